"""The ``scine-eval`` command: options, errors with suggestions, config files, and the subcommands."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scine_eval.cli import main
from scine_eval.cli.parsing import field_docs
from scine_eval.options import RunConfig
from tests.helpers import subprocess_env

REPO = Path(__file__).resolve().parents[1]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Runs ``scine-eval ARGV`` in-process; returns (exit code, stdout, stderr).

    Errors the harness raises come back as a return value; argparse's own exits (``--help``,
    ``--print_config``, bad option syntax) as ``SystemExit``, which a console script turns into the same code.
    """
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def flat(text: str) -> str:
    """Text with every run of whitespace made one space (help and messages wrap at the terminal width)."""
    return " ".join(text.split())


def run_args(videos, tmp_path: Path, *tasks: str) -> list[str]:
    return [
        "--model",
        "cached",
        "--model_args",
        videos.model_args(),
        "--judge",
        "human",
        "--judge_args",
        videos.judge_args(),
        "--output_path",
        str(tmp_path / "out"),
        "--cache_dir",
        str(tmp_path / "cache"),
        "--bootstrap_iters",
        "50",
        "--tasks",
        *tasks,
    ]


def leaf_ids(nodes: list[dict]) -> list[str]:
    """The ids of the nodes that are no node's parent."""
    parents = {node.get("parent") for node in nodes}
    return [node["id"] for node in nodes if node["id"] not in parents]


def results_of(folder: Path) -> dict:
    [path] = sorted(folder.rglob("results_*.json"))
    return json.loads(path.read_text())


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}


# -- help and entry points --------------------------------------------------------------------------


def test_help_lists_every_run_option_with_its_description(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = cli(capsys, "--help")
    assert code == 0
    text = flat(out)
    docs = field_docs(RunConfig)
    for f in dataclasses.fields(RunConfig):
        assert f"--{f.name}" in text, f.name
        assert docs[f.name], f"RunConfig's docstring describes {f.name}"
        assert flat(docs[f.name])[:40] in text, f.name
    assert "--config" in text and "--print_config" in text
    assert "--no_log_samples" in text, "booleans are --x / --no_x"
    for sub in ("taxonomy", "tasks", "validate", "models", "judges"):
        assert sub in text


@dataclasses.dataclass
class _BaseOptions:
    """Options a base dataclass declares.

    Args:
        shared: Documented only on the base.
        overridden: The base's description.
    """

    shared: int = 0
    overridden: int = 0


@dataclasses.dataclass
class _OtherOptions:
    """A second base, as in ``RunConfig(DataOptions, CacheOptions)``.

    Args:
        other: Documented on the second base.
    """

    other: str = ""


@dataclasses.dataclass
class _DerivedOptions(_BaseOptions, _OtherOptions):
    """A config that inherits fields.

    Args:
        own: Declared here.
        overridden: The subclass's description wins.
    """

    own: bool = False


def test_field_docs_include_fields_inherited_from_base_dataclasses():
    docs = field_docs(_DerivedOptions)
    assert docs == {
        "other": "Documented on the second base.",
        "shared": "Documented only on the base.",
        "overridden": "The subclass's description wins.",
        "own": "Declared here.",
    }
    assert {f.name for f in dataclasses.fields(_DerivedOptions)} == set(docs)


@pytest.mark.parametrize("launcher", ["console_script", "module"])
def test_the_command_runs_as_a_console_script_and_as_a_module(launcher, tmp_path):
    if launcher == "console_script":
        script = Path(sys.executable).parent / "scine-eval"  # installed with the package, as the README does
        assert script.is_file(), f"no console script at {script}"
        command = [str(script), "--help"]
    else:
        command = [sys.executable, "-m", "scine_eval", "--help"]
    done = subprocess.run(command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage: scine-eval" in done.stdout
    assert "--model_args" in done.stdout and "--judge_args" in done.stdout


# -- errors -----------------------------------------------------------------------------------------


def test_unknown_task_exits_2_with_a_suggestion(capsys, tmp_path):
    code, _, err = cli(
        capsys, "--tasks", "camra", "--output_path", str(tmp_path / "out"), "--cache_dir", str(tmp_path / "cache")
    )
    assert code == 2
    assert "unknown task 'camra'" in flat(err)
    assert "Did you mean 'camera'" in flat(err)
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists(), "nothing is written before names resolve"


def test_unknown_model_exits_2_with_a_suggestion(capsys, tmp_path, videos):
    argv = run_args(videos, tmp_path, "camera")
    argv[argv.index("cached")] = "cachd"
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert "unknown model 'cachd'" in flat(err) and "Did you mean 'cached'" in flat(err)


def test_unknown_judge_exits_2_with_a_suggestion(capsys, tmp_path, videos):
    argv = run_args(videos, tmp_path, "camera")
    argv[argv.index("human")] = "humn"
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert "unknown judge 'humn'" in flat(err) and "Did you mean 'human'" in flat(err)


def test_names_and_arguments_are_checked_before_the_model_is_built(capsys, tmp_path, videos, monkeypatch):
    # Building an adapter may load weights; a typo elsewhere must fail first.
    from scine_eval.models.cached import CachedVideos

    monkeypatch.setattr(CachedVideos, "__init__", lambda self, **kw: pytest.fail("the model was built"))
    for option, bad, message in (
        ("--judge", "humn", "unknown judge 'humn'"),
        ("--judge_args", "annotations", "'annotations' is not key=value"),
        ("--videos_per_prompt", "0", "videos_per_prompt must be at least 1"),
    ):
        argv = run_args(videos, tmp_path, "camera")
        if option in argv:
            argv[argv.index(option) + 1] = bad
        else:
            argv += [option, bad]
        code, _, err = cli(capsys, *argv)
        assert code == 2 and message in err, (option, err)


def test_an_unknown_model_argument_is_named_with_the_valid_ones(capsys, tmp_path, videos):
    argv = run_args(videos, tmp_path, "camera")
    argv[argv.index("--model_args") + 1] += ",resolution=720"
    code, _, err = cli(capsys, *argv)
    assert code == 2
    assert "takes no argument 'resolution'" in err
    [line] = [line for line in err.splitlines() if "resolution" in line]
    assert line.rstrip().endswith("valid arguments: path, manifest, pattern, model_name, revision"), (
        "a long message stays on one line (rich must not wrap it at the terminal width)"
    )


def test_a_message_quoting_brackets_is_printed_verbatim(capsys, tmp_path):
    # A glob's character class looks like rich markup ("[xyz]"), as does a path with "[/...]".
    code, _, err = cli(
        capsys,
        "--tasks",
        "camera.[xyz]*",
        "--output_path",
        str(tmp_path / "out"),
        "--cache_dir",
        str(tmp_path / "cache"),
    )
    assert code == 2
    assert "unknown task pattern 'camera.[xyz]*'" in err
    code, _, err = cli(capsys, "--taxonomy", str(tmp_path / "[/x]" / "taxonomy.yaml"), "--tasks", "camera")
    assert code == 2, "a message rich cannot parse as markup still prints as a message, not a traceback"
    assert "[/x]" in err


def test_an_unknown_option_exits_2_and_suggests_the_nearest(capsys):
    code, _, err = cli(capsys, "--modle", "cached")
    assert code == 2
    assert "unknown option '--modle'; did you mean '--model'" in flat(err)
    code, _, err = cli(capsys, "ablate", "--judgs=probe")
    assert code == 2
    assert "did you mean '--judges'?" in flat(err)


# -- config files -----------------------------------------------------------------------------------


def test_print_config_prints_the_resolved_options_as_yaml(capsys, tmp_path):
    code, out, _ = cli(
        capsys,
        "--model_args",
        "path=somewhere",
        "--tasks",
        "camera",
        "lighting",
        "--log_samples",
        "--limit",
        "3",
        "--cache_dir",
        str(tmp_path / "cache"),
        "--print_config",
    )
    assert code == 0
    printed = yaml.safe_load(out)
    assert {f.name for f in dataclasses.fields(RunConfig)} <= set(printed)
    assert printed["model_args"] == "path=somewhere"
    assert printed["tasks"] == ["camera", "lighting"]
    assert printed["log_samples"] is True and printed["limit"] == 3
    assert printed["model"] == "synthetic" and printed["judge"] == "probe" and printed["bootstrap_iters"] == 1000


def test_a_config_file_runs_and_flags_after_it_override_it(capsys, tmp_path, videos):
    config = {
        "model": "cached",
        "model_args": videos.model_args(),
        "tasks": ["camera.trajectory.static"],
        "judge": "human",
        "judge_args": videos.judge_args(),
        "output_path": str(tmp_path / "from-config"),
        "cache_dir": str(tmp_path / "cache"),
        "bootstrap_iters": 0,
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))

    code, out, err = cli(capsys, "--config", str(path), "--print_config")
    assert code == 0, err
    assert {k: yaml.safe_load(out)[k] for k in config} == config

    code, _, err = cli(capsys, "--config", str(path))
    assert code == 0, err
    record = results_of(tmp_path / "from-config")
    assert record["config"]["requested_tasks"] == ["camera.trajectory.static"]
    assert record["config"]["bootstrap_iters"] == 0

    code, _, err = cli(
        capsys, "--config", str(path), "--tasks", "lighting.position", "--output_path", str(tmp_path / "overridden")
    )
    assert code == 0, err
    record = results_of(tmp_path / "overridden")
    assert record["config"]["requested_tasks"] == ["lighting.position"]
    assert "camera.trajectory.static" not in record["results"]
    assert record["config"]["judge"] == "human" and record["config"]["bootstrap_iters"] == 0


def test_a_config_file_may_give_arguments_as_mappings(capsys, tmp_path, videos):
    """``model_args`` and ``judge_args`` may be YAML mappings in a config file, not only k=v strings."""
    config = {
        "model": "cached",
        "judge": "human",
        "model_args": {"path": str(videos.root), "model_name": "from-mapping"},
        "judge_args": {"annotations": str(videos.annotations)},
        "tasks": ["lighting.position"],
        "output_path": str(tmp_path / "out"),
        "cache_dir": str(tmp_path / "cache"),
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    code, _, err = cli(capsys, "--config", str(path))
    assert code == 0, err
    assert (tmp_path / "out" / "from-mapping").is_dir()
    assert results_of(tmp_path / "out")["config"]["model_name"] == "from-mapping"


@pytest.mark.parametrize(
    ("command", "typo", "meant"),
    [("run", "modle", "model"), ("run", "judge_arg", "judge_args"), ("ablate", "judgs", "judges")],
)
def test_a_config_file_typo_names_the_file_the_key_and_the_nearest_option(capsys, tmp_path, command, typo, meant):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({typo: "x", "tasks": ["camera"]}))
    code, _, err = cli(capsys, command, "--config", str(path))
    assert code == 2
    message = flat(err)
    assert f"{path}: key '{typo}': not an option" in message
    assert "(value 'x')" in message
    assert f"did you mean '{meant}'" in message
    assert "Traceback" not in err and "usage:" not in err


def test_a_config_string_typo_is_named_too(capsys):
    code, _, err = cli(capsys, "--config", "{tsks: [camera], zzzz: 1}")
    assert code == 2
    message = flat(err)
    assert "--config: key 'tsks'" in message and "did you mean 'tasks'?" in message
    assert "Also unknown: 'zzzz'" in message


# -- selecting tasks --------------------------------------------------------------------------------


def test_tasks_take_several_values_and_globs(capsys, tmp_path, videos):
    code, _, err = cli(capsys, *run_args(videos, tmp_path, "camera.*", "lighting.*"))
    assert code == 0, err
    record = results_of(tmp_path / "out")
    requested = record["config"]["requested_tasks"]
    assert "camera.trajectory" in requested and "lighting.position" in requested
    assert all(name.startswith(("camera.", "lighting.")) for name in requested)
    assert "camera.trajectory.static" in record["results"] and "lighting.position" in record["results"]


def test_tasks_separated_by_commas(capsys, tmp_path, videos):
    code, _, err = cli(capsys, *run_args(videos, tmp_path, "camera,lighting"))
    assert code == 0, err
    record = results_of(tmp_path / "out")
    assert record["config"]["requested_tasks"] == ["camera", "lighting"]
    assert set(record["groups"]) >= {"camera", "lighting"}


def test_log_samples_is_a_bare_flag(capsys, tmp_path, videos):
    code, _, err = cli(capsys, *run_args(videos, tmp_path, "lighting.position"), "--log_samples")
    assert code == 0, err
    samples = list((tmp_path / "out").rglob("samples_*.jsonl"))
    assert samples, "--log_samples writes per-task sample logs"
    row = json.loads(samples[0].read_text().splitlines()[0])
    assert {"prompt_id", "question", "score", "video_sha256"} <= set(row)


def test_a_run_without_log_samples_writes_no_sample_logs(capsys, tmp_path, videos):
    code, _, err = cli(capsys, *run_args(videos, tmp_path, "lighting.position"))
    assert code == 0, err
    assert not list((tmp_path / "out").rglob("samples_*.jsonl"))


def test_a_run_prints_the_summary_table_on_stdout(capsys, tmp_path, videos):
    argv = run_args(videos, tmp_path, "camera.trajectory")
    argv[argv.index("--output_path") + 1] = str(tmp_path / "runs [exp1]")
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    [path] = sorted((tmp_path / "runs [exp1]").rglob("results_*.json"))
    assert f"results: {path}" in err, "the results path is printed whole, on one line"
    record = results_of(tmp_path / "runs [exp1]")
    lines = out.splitlines()
    for name in ["camera.trajectory", *record["group_subtasks"]["camera.trajectory"]]:
        entry = record["results"][name]
        [line] = [line for line in lines if re.search(rf"\s{re.escape(name)}\s", line)]
        assert f"{entry['score,human']:.2f}" in line, name
        assert f"{entry['score_norm,human']:.1f}" in line, name
        assert re.search(rf"\s{entry['n_samples']}\s", line), name
    assert "results:" in err and "results:" not in out, "file paths go to stderr, the table to stdout"


# -- subcommands ------------------------------------------------------------------------------------


def test_taxonomy_prints_the_tree(capsys):
    code, out, _ = cli(capsys, "taxonomy")
    assert code == 0
    assert "76 leaves" in out
    for node in ("camera", "lighting", "camera.trajectory.static", "events"):
        assert node in out


def test_taxonomy_json_parses_with_76_leaves(capsys, taxonomy):
    code, out, _ = cli(capsys, "taxonomy", "--format", "json")
    assert code == 0
    data = json.loads(out)
    leaves = leaf_ids(data["nodes"])
    assert len(leaves) == 76
    assert sorted(leaves) == sorted(n.id for n in taxonomy.leaves())


def test_taxonomy_yaml_parses(capsys):
    code, out, _ = cli(capsys, "taxonomy", "--format", "yaml")
    assert code == 0
    assert len(leaf_ids(yaml.safe_load(out)["nodes"])) == 76


def test_taxonomy_node_prints_one_subtree(capsys):
    code, out, _ = cli(capsys, "taxonomy", "--node", "camera.trajectory")
    assert code == 0
    for leaf in ("static", "movement_2d", "movement_3d", "gear"):
        assert f"camera.trajectory.{leaf}" in out
    assert "camera.intrinsics" not in out and "lighting" not in out

    code, out, _ = cli(capsys, "taxonomy", "--node", "camera.trajectory", "--format", "json")
    assert code == 0
    ids = {n["id"] for n in json.loads(out)["nodes"]}
    assert "camera.trajectory.gear" in ids and "camera.intrinsics" not in ids


def test_tasks_pattern_shows_question_counts(capsys, suite):
    code, out, _ = cli(capsys, "tasks", "--pattern", "camera.*")
    assert code == 0
    static = sum(1 for q in suite.questions if q.node_id == "camera.trajectory.static")
    [line] = [line for line in out.splitlines() if re.search(r"\scamera\.trajectory\.static\s", line)]
    assert re.search(rf"\s{static}\s", line)
    names = re.findall(r"(?<=\s)([a-z_]+(?:\.[a-z_0-9]+)+)(?=\s)", out)
    assert names and all(name.startswith("camera.") for name in names)
    assert "lighting" not in out


def test_tasks_json(capsys, suite):
    code, out, _ = cli(capsys, "tasks", "--format", "json")
    assert code == 0
    rows = {row["task"]: row for row in json.loads(out)}
    assert {"scine", "camera", "lighting", "camera.trajectory.static"} <= set(rows)
    assert rows["camera"]["kind"] == "group" and rows["camera.trajectory.static"]["kind"] == "task"
    camera = sum(1 for q in suite.questions if q.node_id.startswith("camera."))
    assert rows["camera"]["questions"] == camera
    assert rows["scine"]["leaves"] == 76


def test_validate_passes_on_the_bundled_data(capsys):
    code, out, _ = cli(capsys, "validate")
    assert code == 0
    assert "76 leaves" in out


def test_validate_exits_2_on_a_bad_taxonomy(capsys, tmp_path):
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("nodes: [\n")
    code, out, err = cli(capsys, "validate", "--taxonomy", str(bad))
    assert code == 2
    assert f"{bad}: " in err and "invalid YAML" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("command", "name", "alias"), [("models", "cached", "folder"), ("judges", "human", "annotations")]
)
def test_registries_are_listed(capsys, command, name, alias):
    code, out, _ = cli(capsys, command)
    assert code == 0
    assert name in out and alias in out
    code, out, _ = cli(capsys, command, "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert alias in rows[name]["aliases"]
    assert rows[name]["summary"]


def test_judges_lists_coverage_input_and_memory_per_preset(capsys):
    code, out, _ = cli(capsys, "judges", "--format", "json", "--memory")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    qwen = rows["qwen2.5-vl"]
    assert qwen["presets"] == ["qwen2.5-vl-32b", "qwen2.5-vl-72b", "qwen2.5-vl-7b"]
    assert "2 fps" in qwen["input"] and qwen["covers"] == "every node"
    fits = {(r["preset"], r["load_in"]): r["fits"] for r in qwen["memory"]}
    assert fits[("qwen2.5-vl-72b", "bf16")] is False and fits[("qwen2.5-vl-72b", "4bit")] is True
    assert rows["probe"]["memory"] == [] and "leaves" in rows["probe"]["covers"]
    code, out, _ = cli(capsys, "judges", "--gpu_gib", "160", "--memory")
    assert code == 0 and "fits 160 GiB" in out and "Qwen/Qwen2.5-VL-72B-Instruct" in out


@pytest.mark.parametrize("command", [["judges"], ["models"], ["judges", "--format", "json"]])
def test_listing_commands_do_not_import_torch(command, tmp_path):
    """Listing is instant: memory estimates (which need torch) only come with --memory."""
    probe = f"import sys; from scine_eval.cli import main; main({command!r}); print('HEAVY', 'torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env=subprocess_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEAVY False" in done.stdout


def test_help_names_the_cache_location_and_lists_the_run_options_first(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SCINE_EVAL_CACHE", "/srv/scinecache")
    monkeypatch.setenv("COLUMNS", "300")  # no wrapping inside the path
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "SCINE_EVAL_CACHE" in text and "/srv/scinecache" in text
    assert text.index("--model MODEL") < text.index("--cache_dir CACHE_DIR")
