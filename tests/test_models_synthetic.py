"""The synthetic renderer as a model adapter: full offline runs with the probe judge, the null model, and logs."""

from __future__ import annotations

import json

import pytest

from scine_eval import evaluate
from scine_eval.contracts.model import GenerationRequest
from scine_eval.models.synthetic import SyntheticRenderer
from scine_eval.options import RunConfig
from scine_eval.video import probe

SMALL = "duration=2,fps=8,size=96"


def run(tmp_path, model_args=SMALL, **overrides):
    config = RunConfig(
        model="synthetic",
        model_args=model_args,
        judge="probe",
        judge_args="fps=8",
        tasks=["camera.trajectory.movement_2d", "lighting.color_temperature"],
        output_path=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=100,
        log_samples=True,
    )
    return evaluate(config, **overrides)


def test_renders_what_the_prompt_asks_and_the_probe_sees_it(tmp_path):
    output = run(tmp_path)
    results = output.results["results"]
    assert results["camera.trajectory.movement_2d"]["score,probe"] > 4.5
    assert results["lighting.color_temperature"]["score,probe"] > 4.0
    sample = output.samples["camera.trajectory.movement_2d"][0]
    assert sample["status"] == "scored"
    meta = sample["video_metadata"]
    assert ["camera.trajectory.movement_2d", sample["value"]] in meta["applied"]
    assert meta["stimulus"]["move"] == sample["value"]
    info = probe(sample["video"])
    assert (info.width, info.height, info.n_frames) == (96, 96, 16)


def test_null_model_ignores_the_prompt_and_scores_lower(tmp_path):
    follows = run(tmp_path).results["results"]
    null = run(tmp_path, model_args=f"{SMALL},follow_prompt=false")
    assert null.results["config"]["model_name"] == "synthetic-null"
    for task in ("camera.trajectory.movement_2d", "lighting.color_temperature"):
        assert null.results["results"][task]["score,probe"] <= follows[task]["score,probe"] - 1.5
    assert null.samples["camera.trajectory.movement_2d"][0]["video_metadata"] == {"follow_prompt": False}


def test_rerun_reuses_videos_and_keeps_their_metadata(tmp_path):
    first = run(tmp_path)
    videos = {s["video"] for rows in first.samples.values() for s in rows}
    mtimes = {v: (tmp_path / v).stat().st_mtime_ns for v in videos}
    second = run(tmp_path)
    assert {v: (tmp_path / v).stat().st_mtime_ns for v in videos} == mtimes
    before = [s["video_metadata"] for rows in first.samples.values() for s in rows]
    assert [s["video_metadata"] for rows in second.samples.values() for s in rows] == before
    assert [s["score"] for rows in second.samples.values() for s in rows] == [
        s["score"] for rows in first.samples.values() for s in rows
    ]


def test_contradicting_controls_render_by_the_rule_and_say_so(tmp_path):
    adapter = SyntheticRenderer(duration=1, fps=8, size=64)
    request = GenerationRequest(
        prompt_id="p",
        prompt="static and panning",
        seed=0,
        sample_index=0,
        output_path=tmp_path / "p.mp4",
        controls=(("camera.trajectory.static", "locked-off"), ("camera.trajectory.movement_2d", "pan left")),
    )
    [video] = adapter.generate([request])
    assert video.path == tmp_path / "p.mp4" and video.path.is_file()
    [conflict] = video.metadata["conflicts"]
    assert conflict["kept"][:2] == ["camera.trajectory.static", "locked-off"]
    assert conflict["dropped"][:2] == ["camera.trajectory.movement_2d", "pan left"]
    json.dumps(video.metadata)  # goes to the sample log as is


def test_controls_are_part_of_the_video_key_for_this_adapter(tmp_path):
    from scine_eval.store import VideoStore

    store = VideoStore(tmp_path)
    a = store.path_for("fp", "p", "text", 0, (("lighting.color_temperature", "warm"),))
    b = store.path_for("fp", "p", "text", 0, (("lighting.color_temperature", "cool"),))
    assert a != b and store.path_for("fp", "p", "text", 0) != a


@pytest.mark.parametrize("args", ["size=63", "fps=0", "duration=0"])
def test_bad_arguments_fail_before_any_work(tmp_path, args):
    from scine_eval.errors import ConfigError

    with pytest.raises((ConfigError, ValueError)):
        run(tmp_path, model_args=args)
