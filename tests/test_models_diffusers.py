"""The ``diffusers`` adapter and every preset, on tiny random pipelines built in code (no Hub id, no download).

Each preset runs through the path users run: ``--model PRESET`` resolves to the ``diffusers`` adapter with the
preset's defaults, ``pretrained`` points at a tiny pipeline folder of the same family (``save_pretrained``),
the adapter loads it with ``DiffusionPipeline.from_pretrained``, generates 2 steps at 16x16, and the mp4 is read
back by the project's own decoder.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

pytest.importorskip("diffusers")

from scine_eval import evaluate  # noqa: E402
from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.model import GenerationRequest, model_registry  # noqa: E402
from scine_eval.diffusion.presets import PRESETS, FrameRule  # noqa: E402
from scine_eval.errors import ConfigError, MissingDependencyError  # noqa: E402
from scine_eval.tiny_pipelines import builders, make_tiny_pipeline  # noqa: E402
from scine_eval.video import decode as decode_video  # noqa: E402

FAMILY = {"wan2.1-1.3b": "wan2.1", "wan2.1-14b": "wan2.1"}
"""Presets whose tiny pipeline is named after their family; the others share the preset's name."""
TINY = {"height": 16, "width": 16, "steps": 2, "dtype": "float32", "max_sequence_length": 16}


def decode(path):
    """Every frame of ``path`` (the project's own PyAV reader)."""
    return decode_video(path, fps=None).frames


def family(preset: str) -> str:
    return FAMILY.get(preset, preset)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Tiny pipelines, built once per family on first use."""
    built: dict[str, object] = {}

    def get(name: str):
        if name not in built:
            built[name] = make_tiny_pipeline(name, tmp_path_factory.mktemp(name))
        return built[name]

    return get


def _tiny_args(preset: str, folder, **more) -> dict:
    """The preset at its smallest: 2 steps, the smallest size its VAE and patches allow, the fewest frames above 1."""
    rule, side = PRESETS[preset].frame_rule, max(16, PRESETS[preset].size_multiple)
    frames = next(n for n in range(2, 50) if rule.allows(n))
    return {**TINY, "height": side, "width": side, "pretrained": str(folder), "frames": frames, **more}


def _request(tmp_path, prompt_id="p1", seed=0) -> GenerationRequest:
    text = "A slow push in on a lighthouse at dusk."
    return GenerationRequest(prompt_id, text, seed, 0, tmp_path / f"{prompt_id}.mp4")


def test_every_preset_has_a_tiny_pipeline_of_its_family():
    available = builders()
    assert {family(p) for p in PRESETS} <= set(available), sorted({family(p) for p in PRESETS} - set(available))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_runs_on_a_tiny_pipeline(preset, folders, tmp_path):
    folder = folders(family(preset))
    args = _tiny_args(preset, folder)
    adapter = resolve(model_registry, preset, args).build()
    assert json.loads((folder / "model_index.json").read_text())["_class_name"] == PRESETS[preset].pipeline
    [result] = adapter.generate([_request(tmp_path)])
    assert result.error is None, result.error
    frames = decode(result.path)
    assert frames.shape[0] == args["frames"] and frames.shape[1:3] == (args["height"], args["width"])
    info = adapter.model_info()
    assert info["model_name"] == preset and info["model_sha"].startswith("local-") and info["model_dtype"] == "float32"
    adapter.close()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_defaults_resolve_and_follow_the_frame_rule(preset):
    component = resolve(model_registry, preset, "")
    args = component.args
    assert args["pretrained"] == PRESETS[preset].repo_id and args["model_name"] == preset
    assert FrameRule(args["frame_step"], args["frame_offset"]).allows(args["frames"])
    assert component.cls.__name__ == "DiffusersT2V"


def test_the_same_seed_gives_the_same_video_and_the_fingerprint_follows_pixel_options(folders, tmp_path):
    folder = folders("wan2.1")
    adapter = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder)).build()
    first, second = adapter.generate([_request(tmp_path / "a"), _request(tmp_path / "b")])
    assert (decode(first.path) == decode(second.path)).all()
    base = adapter.fingerprint
    for change in ({"steps": 3}, {"guidance": 2.0}, {"frames": 9}, {"height": 32}, {"fps": 8}, {"flow_shift": 2.0},
                   {"negative_prompt": "blurry"}, {"dtype": "bfloat16"}):  # fmt: skip
        other = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder, **change)).build()
        assert other.fingerprint != base, change
    same = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder, batch_size=2, offload="none"))
    assert same.build().fingerprint == base


def test_a_batch_of_prompts_with_their_own_seeds(folders, tmp_path):
    folder = folders("wan2.1")
    adapter = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder, batch_size=2)).build()
    results = adapter.generate([_request(tmp_path, "a", seed=0), _request(tmp_path, "b", seed=1)])
    assert all(r.error is None for r in results)
    alone = adapter.generate([_request(tmp_path / "alone", "b", seed=1)])[0]
    assert decode(alone.path).shape == decode(results[1].path).shape


def test_a_run_with_the_probe_writes_a_filled_model_sha(folders, tmp_path):
    folder = folders("wan2.1")
    args = ",".join(f"{k}={v}" for k, v in _tiny_args("wan2.1-1.3b", folder).items())
    output = evaluate(model="wan2.1-1.3b", model_args=args, tasks=["camera.trajectory.movement_2d"], judge="probe",
                      limit=2, bootstrap_iters=0, output_path=str(tmp_path / "out"),
                      cache_dir=str(tmp_path / "cache"))  # fmt: skip
    config = output.results["config"]
    assert config["model_name"] == "wan2.1-1.3b" and config["model_sha"].startswith("local-")
    assert config["model_dtype"] == "float32" and output.results["videos"]["usable"] == 2
    [leaderboard] = (tmp_path / "out" / "wan2.1-1.3b").glob("leaderboard_*.json")
    assert json.loads(leaderboard.read_text())["config"]["model_sha"] == config["model_sha"]


def test_a_multishot_script_one_clip_per_shot_or_one_video(folders, tmp_path):
    from scine_eval.multishot.script import load_scripts
    from scine_eval.multishot.shots import script_shots

    folder, script = folders("wan2.1"), load_scripts()[0]
    request = replace(_request(tmp_path / "one"), prompt=script.prompt_text(), shots=script_shots(script))
    per_shot = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder, multishot="per_shot")).build()
    made = per_shot.generate([request])[0]
    clip = decode(made.path)  # one video, all shots
    frames = _tiny_args("wan2.1-1.3b", folder)["frames"]
    assert len(clip) == frames * len(script.shots)
    spans = made.metadata["shots"]
    assert [text for text, _, _ in spans] == [text for text, _, _ in script.shot_spans()]
    fps = per_shot.fps
    assert [(a, b) for _, a, b in spans] == [(i * frames / fps, (i + 1) * frames / fps) for i in range(len(spans))]
    one = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folder)).build()
    single = one.generate([replace(request, output_path=tmp_path / "single.mp4")])[0]
    assert len(decode(single.path)) == frames and "shots" not in single.metadata  # the metric takes the time codes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"frames": 6}, "cannot make frames=6: its frame counts are 4k+1 (k a whole number); the nearest is 5"),
        ({"offload": "gpu"}, "offload='gpu' is not valid: input should be 'none', 'model' or 'sequential'"),
        ({"steps": 0}, "steps=0 is not valid: input should be greater than 0"),
        ({"height": 20}, "height=20 is not a multiple of 16 (its VAE and patch size need one); the nearest is 16"),
    ],
)
def test_bad_arguments_name_the_value_and_what_is_valid(folders, args, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folders("wan2.1"), **args)).build()


def test_a_folder_that_is_not_a_pipeline_and_an_offline_hub_id(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="not a diffusers pipeline folder: it has no model_index.json"):
        resolve(model_registry, "diffusers", {"pretrained": str(tmp_path)}).build()
    with pytest.raises(ConfigError, match="'nobody/no-such-t2v' is not in the local Hugging Face cache and HF_HUB_OFF"):
        resolve(model_registry, "diffusers", {"pretrained": "nobody/no-such-t2v"}).build()


def test_a_missing_extra_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # import diffusers now fails
    with pytest.raises(MissingDependencyError, match=r'pip install "scine-eval\[gen\]"'):
        resolve(model_registry, "diffusers", {"pretrained": str(tmp_path)}).build()


def test_out_of_memory_on_one_batch_is_recorded_and_the_run_goes_on(folders, tmp_path):
    import torch

    adapter = resolve(model_registry, "wan2.1-1.3b", _tiny_args("wan2.1-1.3b", folders("wan2.1"))).build()
    pipe = adapter._pipeline()
    real_call = type(pipe).__call__

    @functools.wraps(real_call)  # the adapter reads the call's signature to pass only what it takes
    def flaky(self, *args, **kwargs):
        if "lighthouse" in kwargs["prompt"][0]:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_call(self, *args, **kwargs)

    type(pipe).__call__ = flaky
    try:
        [failed] = adapter.generate([_request(tmp_path, "p1")])
        ok = adapter.generate([GenerationRequest("p2", "A dog.", 0, 0, tmp_path / "p2.mp4")])[0]
    finally:
        type(pipe).__call__ = real_call
    assert failed.path is None and "out of GPU memory" in failed.error and "20.00 GiB" in failed.error
    assert ok.error is None


def test_models_lists_every_preset_with_its_hub_id_size_frames_fps_and_memory(capsys):
    from scine_eval.cli import main

    assert main(["models", "--format", "json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    presets = {row["preset"]: row for row in rows["diffusers"]["presets"]}
    assert set(presets) == set(PRESETS)
    wan = presets["wan2.1-1.3b"]
    assert wan["pretrained"] == "Wan-AI/Wan2.1-T2V-1.3B-Diffusers" and wan["size"] == "832x480"
    assert wan["frames"] == "81 (4k+1)" and wan["fps"] == 16 and wan["weights_gib"] > wan["offload_model_gib"] > 0


def test_an_unknown_model_says_what_exists_and_how_to_run_videos_you_have(capsys):
    from scine_eval.cli import main

    assert main(["--model", "hunyan", "--tasks", "camera.*"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Did you mean 'hunyuan'" in err and "--model cached --model_args path=DIR" in err


def test_two_processes_generate_their_slices_into_one_store_as_one_process_would(folders, tmp_path):
    """Under torchrun each rank generates its share of the videos; the results equal a single process's."""
    pytest.importorskip("torch.distributed")
    from tests.helpers import REPO, free_port, subprocess_env

    args = ",".join(f"{k}={v}" for k, v in _tiny_args("wan2.1-1.3b", folders("wan2.1")).items())
    results = {}
    for processes in (2, 1):
        out = tmp_path / f"out-{processes}"
        run = ["-m", "scine_eval", "--model", "wan2.1-1.3b", "--model_args", args, "--tasks",
               "camera.trajectory.movement_2d", "--limit", "4", "--bootstrap_iters", "0", "--output_path", str(out),
               "--cache_dir", str(tmp_path / f"cache-{processes}")]  # fmt: skip
        launcher = ["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                    "--master_port", str(free_port())] if processes == 2 else []  # fmt: skip
        done = subprocess.run([sys.executable, *launcher, *run], cwd=REPO, env=subprocess_env(tmp_path),
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-6000:]
        [path] = out.rglob("results_*.json")
        results[processes] = json.loads(path.read_text())
        videos = list((tmp_path / f"cache-{processes}" / "videos").rglob("*.mp4"))
        assert len(videos) == results[processes]["videos"]["planned"] == 4
    assert results[2]["config"]["world_size"] == 2
    assert results[2]["task_hashes"] == results[1]["task_hashes"]  # the same videos, byte for byte
    assert results[2]["videos"] == results[1]["videos"]
