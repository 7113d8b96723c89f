"""Every model and judge argument and every run option is checked before any work, with a message that names it.

Each case runs the real command line and must exit 2 before anything is generated: the store and the results
folder stay empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from scine_eval.cli import main
from scine_eval.components import bind_arguments, resolve
from scine_eval.contracts.judge import judge_registry
from scine_eval.errors import ConfigError


def run(capsys, tmp_path, *argv: str) -> tuple[int, str]:
    code = main(["--tasks", "camera.*", "--output_path", str(tmp_path / "out"), "--cache_dir", str(tmp_path / "cache"),
                 "--bootstrap_iters", "0", *argv])  # fmt: skip
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--model_args", "follow_prompt=maybe"], "follow_prompt='maybe' is not valid: input should be a valid bool"),
        (["--model_args", "fps=-3"], "fps=-3 is not valid: input should be greater than 0"),
        (["--model_args", "size=abc"], "size='abc' is not valid: input should be a valid integer"),
        (["--model_args", "size=65"], "size=65 is not valid: input should be a multiple of 2"),
        (["--model_args", "preset=turbo"], "preset='turbo' is not valid: input should be 'ultrafast'"),
        (["--model_args", "colour=red"], "takes no argument 'colour'; valid arguments: follow_prompt"),
        (["--judge_args", "fps=-1"], "judge 'probe': fps=-1 is not valid: input should be greater than 0"),
        (["--judge_args", "max_frames=1"], "max_frames=1 is not valid: input should be greater than or equal to 2"),
        (["--bootstrap_iters", "-5"], "--bootstrap_iters -5 is not valid: bootstrap_iters must be at least 0"),
        (["--limit", "-1"], "--limit -1 is not valid: limit must be at least 1"),
        (["--limit", "0"], "--limit 0 is not valid: limit must be at least 1"),
        (["--videos_per_prompt", "0"], "videos_per_prompt must be at least 1"),
        (["--tasks", ""], "names no task"),
        (["--tasks", " , "], "names no task"),
        (["--model", ""], "--model is empty"),
    ],
)
def test_bad_input_exits_2_before_any_work(capsys, tmp_path, argv, expected):
    code, err = run(capsys, tmp_path, *argv)
    assert code == 2 and expected in " ".join(err.split()), err
    assert "Traceback" not in err
    assert not (tmp_path / "cache" / "videos").exists() or not any((tmp_path / "cache" / "videos").rglob("*.mp4"))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("results_*.json"))


def test_a_vlm_judges_grouped_options_are_checked_flat_and_dotted():
    """``dtype=...`` and ``load.dtype=...`` reach the same group; a bad value names the field."""
    qwen = judge_registry.get("qwen2.5-vl")
    flat = bind_arguments("judge", "qwen2.5-vl", qwen, {"pretrained": "x", "dtype": "bfloat16", "fps": 1})
    dotted = bind_arguments("judge", "qwen2.5-vl", qwen, {"pretrained": "x", "load.dtype": "bfloat16",
                                                          "input_spec.fps": 1})  # fmt: skip
    assert flat == dotted and flat["load"].dtype == "bfloat16" and flat["input_spec"].fps == 1.0
    with pytest.raises(ConfigError, match="dtype='fp8': valid values are auto, bfloat16"):
        bind_arguments("judge", "qwen2.5-vl", qwen, {"dtype": "fp8"})
    with pytest.raises(ConfigError, match="mode='fast' is not valid: input should be 'batched', 'sequential'"):
        bind_arguments("judge", "qwen2.5-vl", qwen, {"mode": "fast"})
    with pytest.raises(ConfigError, match="takes no argument 'dtyp'; valid arguments: pretrained, revision.*dtype"):
        bind_arguments("judge", "qwen2.5-vl", qwen, {"dtyp": "bfloat16"})


def test_presets_reach_models_and_judges_through_the_same_path():
    """A preset's defaults lie under the user's arguments, for judges and (now) models alike."""
    component = resolve(judge_registry, "qwen2.5-vl-7b", "revision=main")
    assert component.args == {"pretrained": "Qwen/Qwen2.5-VL-7B-Instruct", "revision": "main"}
    assert component.kwargs["pretrained"] == "Qwen/Qwen2.5-VL-7B-Instruct"


def test_a_number_given_where_a_string_is_asked_stays_a_string():
    """``revision=2024`` is parsed as an int from the argument string; the class asked for a string."""

    @dataclass
    class Adapter:
        revision: str | None = None
        tags: list[str] = field(default_factory=list)

    assert bind_arguments("model", "m", Adapter, {"revision": 2024}) == {"revision": "2024"}
