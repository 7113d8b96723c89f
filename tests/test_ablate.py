"""scine-eval ablate: several judges against expert ratings (or a reference judge) on the same items.

The kit: a four-prompt suite asking about colour temperature (lighting) and 2D camera movement (camera), and
per prompt four rendered clips, every combination of warm/cool light and a left/right pan, so each clip's
truth is known. Three raters rate every (clip, question): 5 when the clip does what is asked, else 1, with one
rater per item a point off. The ``probe`` judge measures both controls, so it orders every pair correctly.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

from scine_eval.cli import main
from scine_eval.cli.plots import EmptyPlotError, ablation_plot
from scine_eval.errors import ConfigError, UnknownNameError
from scine_eval.judge_eval.ablate import AblateConfig, ablate, parse_judge_spec, write_ablation
from scine_eval.stimuli import Stimulus
from scine_eval.stimuli.clips import StimulusCache

SLOW_JUDGE = "tests.plugins.slow_judge:SlowJudge"
COLOUR, PAN = "lighting.color_temperature", "camera.trajectory.movement_2d"
CLIPS = [(colour, pan) for colour in ("warm", "cool") for pan in ("pan left", "pan right")]
PROMPTS = 4
RATERS = 3
ITERS = 100
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def kit(tmp_path_factory, taxonomy) -> Path:
    """A folder with ``suite/``, ``clips/`` and ``annotations.jsonl`` (video paths relative to it)."""
    root = tmp_path_factory.mktemp("ablate-kit")
    stimuli = StimulusCache(root / "clips", Stimulus(duration=2.0, fps=8, size=64))
    prompts, questions, rows = [], [], []
    for i in range(PROMPTS):
        asked = {COLOUR: ("warm", "cool")[i % 2], PAN: ("pan left", "pan right")[i // 2]}
        prompts.append({"id": f"p{i}", "text": f"A {asked[COLOUR]}-lit shot that pans {asked[PAN][4:]}.",
                        "suite": "visuals"})  # fmt: skip
        for node, value in asked.items():
            questions.append({"id": f"p{i}:{node}", "prompt_id": f"p{i}", "node_id": node, "value": value,
                              "text": taxonomy[node].question_for(value)})  # fmt: skip
        for colour, pan in CLIPS:
            path, _ = stimuli.clip(((COLOUR, colour), (PAN, pan)), seed=i)
            shown = {COLOUR: colour, PAN: pan}
            for node, value in asked.items():
                truth = 5 if shown[node] == value else 1
                for rater in range(RATERS):
                    off = (len(rows) // RATERS + rater) % RATERS == 0  # one rater per item is a point off
                    score = truth + (-1 if truth == 5 else 1) * off
                    rows.append({"question_id": f"p{i}:{node}", "video": f"clips/{path.name}", "rater": f"r{rater}",
                                 "score": score})  # fmt: skip
    suite = root / "suite"
    suite.mkdir()
    (suite / "prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts))
    (suite / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (root / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def config(kit: Path, tmp_path: Path, **changes) -> AblateConfig:
    options = {
        "annotations": str(kit / "annotations.jsonl"),
        "judges": ["probe"],
        "suite": str(kit / "suite"),
        "bootstrap_iters": ITERS,
        "output_path": str(tmp_path / "out"),
        "cache_dir": str(kit / "cache"),  # shared: each clip is measured once per module
    }
    return AblateConfig(**{**options, **changes})


def slow(tmp_path: Path, **args) -> str:
    """A SlowJudge spec (a fixed score: a judge that cannot tell) logging what it judges."""
    return f"{SLOW_JUDGE}:" + ",".join(f"{k}={v}" for k, v in {"log": tmp_path / "slow.log", **args}.items())


def test_probe_agrees_with_the_experts_and_the_outputs_are_written(kit, tmp_path):
    report = ablate(config(kit, tmp_path))
    assert report["n_items"] == PROMPTS * len(CLIPS) * 2 and report["n_prompts"] == PROMPTS
    probe = report["judges"]["probe"]
    assert probe["counts"] == {"items": 32, "covered": 32, "not_covered": 0, "scored": 32, "abstained": 0,
                               "abstain_reasons": {}, "compared": 32}  # fmt: skip
    assert probe["spec"]["judge"] == "probe"
    assert probe["all"]["accuracy"]["value"] == pytest.approx(1.0)
    assert probe["all"]["n_ordered_pairs"] == PROMPTS * 2 * 4  # per question: 2 compliant x 2 violating clips
    assert probe["all"]["accuracy"]["ci_low"] is not None
    assert set(probe["pillars"]) == {"camera", "lighting"} and set(probe["nodes"]) == {COLOUR, PAN}
    assert probe["nodes"][COLOUR]["accuracy"]["value"] == pytest.approx(1.0)

    ceiling = report["ceiling"]
    assert ceiling["icc"]["ICC(1,1)"] > 0.8 and ceiling["icc"]["n_targets"] == 32 and ceiling["icc"]["k"] == RATERS
    assert ceiling["counts"] == {"items": 32, "ratings": 32 * RATERS, "raters": RATERS}
    # A rater's own point off can invert two equally good clips against the others' means: under the probe.
    assert 0.5 < ceiling["all"]["accuracy"]["value"] < 1.0
    assert set(ceiling["pillars"]) == {"camera", "lighting"}
    assert report["reference_judge"] is None

    paths = write_ablation(report, tmp_path / "out")
    assert json.loads(paths["report"].read_text()) == report
    assert paths["report"].name == "ablation.json"
    assert paths["plot"].read_bytes()[:8] == PNG_MAGIC


def test_without_matplotlib_the_plot_is_skipped_with_the_install_command(kit, tmp_path, monkeypatch, caplog):
    report = ablate(config(kit, tmp_path, bootstrap_iters=0))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it now raises ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "scine-eval[plot]"')):
        ablation_plot(report, tmp_path / "plot.png")
    paths = write_ablation(report, tmp_path / "out")
    assert list(paths) == ["report"] and not (tmp_path / "out" / "ablation.png").exists()
    assert "skipped the ablation plot" in caplog.text


def test_ceiling_pairs_compare_one_raters_two_videos(kit, tmp_path):
    """Rater vs rest pairs are (same prompt, question and rater; two videos): 4 clips give 6 pairs each."""
    report = ablate(config(kit, tmp_path, bootstrap_iters=0))
    ceiling = report["ceiling"]["all"]
    assert ceiling["n_pairs"] == PROMPTS * 2 * RATERS * 6
    assert ceiling["accuracy"]["ci_low"] is None  # no bootstrap: undefined, written as null


def test_a_judge_that_cannot_tell_is_at_chance_and_reruns_use_the_cache(kit, tmp_path):
    constant = slow(tmp_path, score=3)
    cfg = config(kit, tmp_path, judges=["probe", constant], cache_dir=str(tmp_path / "cache"))
    first = ablate(cfg)
    assert list(first["judges"]) == ["probe", constant]
    assert first["judges"][constant]["spec"] == {"judge": "slow-test-judge", "score": 3.0}
    assert first["judges"][constant]["all"]["accuracy"]["value"] == pytest.approx(0.5)  # every pair a judge tie
    assert first["judges"][constant]["all"]["spearman"]["value"] is None  # constant: undefined
    log = tmp_path / "slow.log"
    assert len(log.read_text().splitlines()) == 32

    second = ablate(cfg)
    assert len(log.read_text().splitlines()) == 32  # nothing judged again
    for label in cfg.judges:
        assert second["judges"][label]["all"] == first["judges"][label]["all"]
        assert second["judges"][label]["counts"] == first["judges"][label]["counts"]

    ablate(config(kit, tmp_path, judges=[constant], cache_dir=cfg.cache_dir, use_cache=False))
    assert len(log.read_text().splitlines()) == 64


def test_a_judge_as_reference_has_no_ceiling(kit, tmp_path):
    report = ablate(config(kit, tmp_path, reference="probe", judges=["probe:fps=8", slow(tmp_path, score=2)]))
    assert report["ceiling"] is None
    assert report["reference"] == "probe" and report["reference_judge"]["counts"]["scored"] == 32
    assert report["judges"]["probe:fps=8"]["all"]["accuracy"]["value"] == pytest.approx(1.0)


def test_the_command_prints_the_table_and_writes_the_files(kit, tmp_path, capsys):
    out = tmp_path / "cli-out"
    code = main(["ablate", "--annotations", str(kit / "annotations.jsonl"), "--suite", str(kit / "suite"),
                 "--judges", "probe", slow(tmp_path, score=3), "--bootstrap_iters", "50",
                 "--output_path", str(out), "--cache_dir", str(kit / "cache")])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "human: rater vs rest" in printed.out and "probe" in printed.out and "1.00" in printed.out
    assert "lighting" in printed.out and "camera" in printed.out and "ICC(1,1)" in printed.out
    assert str(out / "ablation.json") in printed.err.replace("\n", "")
    assert (out / "ablation.png").read_bytes()[:8] == PNG_MAGIC
    assert json.loads((out / "ablation.json").read_text())["bootstrap_iters"] == 50


def test_the_command_reads_a_config_file(kit, tmp_path, capsys):
    options = tmp_path / "ablate.yaml"
    options.write_text(json.dumps({"annotations": str(kit / "annotations.jsonl"), "suite": str(kit / "suite"),
                                   "judges": ["probe"], "bootstrap_iters": 0, "output_path": "",
                                   "cache_dir": str(kit / "cache")}))  # fmt: skip
    assert main(["ablate", "--config", str(options)]) == 0
    assert "probe" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"judges": []}, "pass --judges"),
        ({"judges": ["probe", "probe"]}, "'probe' is listed more than once"),
        ({"annotations": None}, "--annotations"),
        ({"reference_tie": -1.0}, "reference_tie"),
        ({"rubric": "nope"}, "nope"),
        ({"judges": ["probe:fps=0"]}, "judge 'probe:fps=0': fps=0 is not valid"),  # checked before building
        ({"judges": ["probe:colour=1"]}, "takes no argument 'colour'"),
    ],
)
def test_bad_options_are_config_errors(kit, tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        ablate(config(kit, tmp_path, **changes))


def test_missing_annotations_and_unknown_judges_are_named(kit, tmp_path, capsys):
    with pytest.raises(ConfigError, match="missing.jsonl"):
        ablate(config(kit, tmp_path, annotations=str(tmp_path / "missing.jsonl")))
    with pytest.raises(UnknownNameError, match="Did you mean 'probe'"):
        ablate(config(kit, tmp_path, judges=["prob"]))
    assert main(["ablate", "--judges", "probe", "--output_path", ""]) == 2
    assert "pass --annotations" in capsys.readouterr().err


def test_judge_specs_split_at_the_first_key():
    spec = parse_judge_spec("qwen2.5-vl:pretrained=/m,load_in=4bit")
    assert (spec.name, spec.args) == ("qwen2.5-vl", {"pretrained": "/m", "load_in": "4bit"})
    assert parse_judge_spec("qwen2.5-vl-7b").args == {"pretrained": "Qwen/Qwen2.5-VL-7B-Instruct"}
    spec = parse_judge_spec(f"{SLOW_JUDGE}:log=/tmp/x:y,score=2")
    assert (spec.name, spec.args) == (SLOW_JUDGE, {"log": "/tmp/x:y", "score": 2})
    assert parse_judge_spec(f"{SLOW_JUDGE}:log=/tmp/x").name == SLOW_JUDGE
    with pytest.raises(ConfigError, match="needs the argument 'log'"):  # checked before anything is built
        parse_judge_spec(SLOW_JUDGE)


@pytest.fixture
def qwen_checkpoint(request) -> Path:
    """The tiny random Qwen2.5-VL checkpoint; skipped (before it is built) without torch and transformers."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return request.getfixturevalue("tiny_qwen")


def test_the_papers_comparison_runs_end_to_end_on_tiny_judges(kit, tmp_path, qwen_checkpoint, request):
    """A weight-free judge, a zero-shot VLM and a fine-tuned Bradley-Terry scorer, side by side."""
    pytest.importorskip("peft")
    scorer, _, _ = request.getfixturevalue("bt_trained")
    qwen, bt = f"qwen2.5-vl:pretrained={qwen_checkpoint}", f"bt:pretrained={scorer}"
    report = ablate(config(kit, tmp_path, judges=["probe", qwen, bt]))
    assert list(report["judges"]) == ["probe", qwen, bt]
    for label in (qwen, bt):
        entry = report["judges"][label]
        assert entry["counts"]["scored"] == 32 and entry["counts"]["abstained"] == 0
    accuracy = report["judges"][qwen]["all"]["accuracy"]["value"]
    assert math.isfinite(accuracy) and accuracy < report["judges"]["probe"]["all"]["accuracy"]["value"]
    assert report["judges"][bt]["spec"]["judge"] == "bt"
    assert write_ablation(report, tmp_path / "out")["plot"].is_file()


# -- an ablation without pairs says why ---------------------------------------------------------------------


def one_video_per_question(kit: Path, tmp_path: Path) -> Path:
    """The kit's annotations cut to the first clip of every question: nothing left to pair."""
    rows = [json.loads(line) for line in (kit / "annotations.jsonl").read_text().splitlines()]
    first = {}
    for row in rows:
        first.setdefault(row["question_id"], row["video"])
    path = tmp_path / "one-video.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows if first[r["question_id"]] == r["video"]))
    return path


def test_one_video_per_question_is_explained_and_no_empty_plot_is_written(kit, tmp_path, capsys):
    annotations = one_video_per_question(kit, tmp_path)
    out = tmp_path / "cli-out"
    code = main(["ablate", "--annotations", str(annotations), "--videos_root", str(kit), "--suite", str(kit / "suite"),
                 "--judges", "probe", "--bootstrap_iters", "0", "--output_path", str(out),
                 "--cache_dir", str(kit / "cache")])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    table = " ".join(printed.out.split())
    assert "no accuracy for probe: no pairs: every question of the annotations has one video (8 items)" in table
    assert "no accuracy for human: rater vs rest: no pairs: every question" in table
    errors = " ".join(printed.err.split())
    assert "plot: not written: no judge has a pairwise accuracy (probe: no pairs" in errors
    assert (out / "ablation.json").is_file() and not (out / "ablation.png").exists()
    with pytest.raises(EmptyPlotError, match="every question of the annotations has one video"):
        ablation_plot(json.loads((out / "ablation.json").read_text()), tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def _without_accuracy(entry: dict, **counts) -> dict:
    """A judge entry as if it had no pair: its counts changed, every statistic undefined."""
    undefined = {"value": None, "ci_low": None, "ci_high": None}
    summary = {"n_items": 0, "n_prompts": 0, "n_pairs": 0, "n_ordered_pairs": 0, "accuracy": undefined,
               "accuracy_with_ties": {**undefined, "epsilon": None}, "spearman": undefined,
               "kendall": undefined}  # fmt: skip
    return {**entry, "counts": {**entry["counts"], **counts}, "all": summary, "pillars": {}, "nodes": {}}


@pytest.mark.parametrize(
    ("counts", "reason"),
    [
        ({"scored": 0, "abstained": 32, "compared": 0, "abstain_reasons": {"too dark to measure": 32}},
         "the judge abstained on all 32 items it covers (most often: too dark to measure)"),
        ({"covered": 0, "not_covered": 32, "scored": 0, "compared": 0}, "the judge covers none of the 32 items"),
    ],
)  # fmt: skip
def test_a_judge_without_scores_is_explained_in_the_table_and_the_plot(kit, tmp_path, counts, reason):
    from scine_eval.cli.plots import ablation_plot_problem
    from scine_eval.cli.tables import ablation_table

    report = ablate(config(kit, tmp_path, bootstrap_iters=0))
    report["judges"]["probe"] = _without_accuracy(report["judges"]["probe"], **counts)
    assert f"no accuracy for probe: {reason}" in " ".join(str(ablation_table(report).caption).split())
    with pytest.raises(EmptyPlotError, match=re.escape(f"probe: {reason.split(' (most')[0]}")):
        ablation_plot(report, tmp_path / "empty.png")

    report["judges"]["other"] = ablate(config(kit, tmp_path, bootstrap_iters=0))["judges"]["probe"]
    assert ablation_plot_problem(report) is None, "one judge with an accuracy is worth a plot"
    assert ablation_plot(report, tmp_path / "half.png").read_bytes()[:8] == PNG_MAGIC
