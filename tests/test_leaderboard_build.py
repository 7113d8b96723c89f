"""``scine-eval leaderboard build``: ranking, every written file, the refusals, and the CLI's exit codes.

The inputs are real run outputs (``scine_eval.evaluate`` with the synthetic renderer and the probe judge): a
model that follows the prompt, the null model (``follow_prompt=false``) and a second configuration under the
first model's name.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scine_eval.errors import ConfigError
from scine_eval.headline import Score, mean_score
from scine_eval.leaderboard.board import build_leaderboard, significant_gap
from scine_eval.leaderboard.build import write_leaderboard
from scine_eval.leaderboard.hf import leaderboard_record
from scine_eval.record import load_record
from scine_eval.results import SCHEMA_VERSION

TASKS = ["camera.trajectory.movement_2d", "lighting.color_temperature"]
ENTRY = (
    "scine_eval.leaderboard.build_command:leaderboard_parser",
    "scine_eval.leaderboard.build_command:leaderboard",
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Results files by role: ``follow`` and ``null`` under ``runs/``, ``other`` (same name, fps=8) apart."""
    from scine_eval import evaluate

    base = tmp_path_factory.mktemp("leaderboard-runs")
    files = {}
    for role, args, folder in (("follow", "", "runs"), ("null", "follow_prompt=false", "runs"),
                               ("other", "fps=8", "other")):  # fmt: skip
        output = evaluate(model="synthetic", model_args=args, tasks=TASKS, bootstrap_iters=50,
                          output_path=str(base / folder))  # fmt: skip
        files[role] = output.files["results"]
    return files


def _board(paths, output: Path):
    board = build_leaderboard(paths, output)
    write_leaderboard(board, output)
    return board


def _edited(source: Path, target: Path, edit) -> Path:
    record = json.loads(source.read_text())
    edit(record)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record))
    return target


def test_ranking_follower_beats_null(runs, tmp_path):
    board = _board([runs["follow"].parent.parent], tmp_path / "out")
    assert [r.model for r in board.rows] == ["synthetic", "synthetic-null"]
    top, bottom = board.rows
    assert top.overall.value > bottom.overall.value
    assert top.overall.low <= top.overall.value <= top.overall.high
    assert top.significant_gap is True and bottom.significant_gap is None
    assert board.pillars == ["camera", "lighting"]  # the radar's order, of the pillars present
    assert board.nodes == TASKS
    record = json.loads(runs["follow"].read_text())
    mean = sum(record["results"][t]["score_norm,probe"] for t in TASKS) / 2  # two roots: mean of the pillars
    assert top.overall.value == pytest.approx(mean)
    assert top.n_samples == sum(record["results"][t]["n_samples"] for t in TASKS)


def test_json_csv_markdown(runs, tmp_path):
    out = tmp_path / "out"
    _board([runs["follow"], runs["null"]], out)
    data = json.loads((out / "leaderboard.json").read_text())
    assert data["judge"] == "probe" and data["suite_version"].startswith("starter")
    assert [r["model"] for r in data["rows"]] == ["synthetic", "synthetic-null"]
    row = data["rows"][0]
    assert set(row) >= {"model", "model_sha", "overall", "ci", "pillars", "nodes", "n_samples", "details"}
    assert row["model_sha"] == "renderer-1" and row["significant_gap_to_next"] is True
    assert set(row["pillars"]) == {"camera", "lighting"} and set(row["nodes"]) == set(TASKS)
    assert (out / row["details"]).resolve() == runs["follow"].resolve()  # relative to the output folder
    record = json.loads(runs["follow"].read_text())
    movement = record["results"]["camera.trajectory.movement_2d"]
    assert row["nodes"]["camera.trajectory.movement_2d"]["score"] == pytest.approx(
        movement["score_norm,probe"], abs=0.01
    )
    lines = list(csv.DictReader((out / "leaderboard.csv").open()))
    assert [(r["rank"], r["model"]) for r in lines] == [("1", "synthetic"), ("2", "synthetic-null")]
    assert float(lines[0]["overall"]) == pytest.approx(row["overall"], abs=0.01)
    assert lines[0]["significant_gap_to_next"] == "true" and lines[1]["details"] == data["rows"][1]["details"]
    markdown = (out / "leaderboard.md").read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(table) == 3 and "synthetic-null" in table[2] and "probe" in markdown


def test_html_is_self_contained(runs, tmp_path):
    out = tmp_path / "out"
    board = _board([runs["follow"], runs["null"]], out)
    page = (out / "index.html").read_text()
    assert len(re.findall(r"<tr data-model=", page)) == 2
    assert "probe" in page and board.suite_version in page
    assert "http://" not in page and "https://" not in page
    assert "<script>" in page and "addEventListener('click'" in page and "src=" not in page
    assert page.count("<svg") == 2 and "id='heatmap'" in page
    for row in board.rows:
        assert f"href='{row.details}'" in page


def test_space_files_match_the_template(runs, tmp_path):
    out = tmp_path / "out"
    _board([runs["follow"], runs["null"]], out)
    results = sorted((out / "results").rglob("*.json"))
    assert [p.parent.name for p in results] == ["synthetic", "synthetic-null"]
    expected = leaderboard_record(load_record(runs["follow"]))
    assert json.loads(results[0].read_text()) == json.loads(json.dumps(expected))
    requests = sorted((out / "requests").glob("*_eval_request_*.json"))
    assert sorted(p.name.split("_eval_request_")[0] for p in requests) == ["synthetic", "synthetic-null"]
    request = json.loads((out / "requests" / "synthetic_eval_request_False_unknown_Original.json").read_text())
    assert request["status"] == "FINISHED" and request["model"] == "synthetic" and request["precision"] == "?"


def test_rebuild_replaces_space_files_and_refuses_foreign_folders(runs, tmp_path):
    out = tmp_path / "out"
    _board([runs["follow"], runs["null"]], out)
    _board([runs["follow"]], out)  # an earlier build's folder: rewritten, the dropped model gone
    assert [p.parent.name for p in (out / "results").rglob("*.json")] == ["synthetic"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="non-empty folder"):
        _board([runs["follow"]], foreign)


def test_newest_run_of_a_model_wins(runs, tmp_path):
    newer = _edited(runs["follow"], tmp_path / "in" / "results_newer.json",
                    lambda r: r.update(date=r["date"] + 100))  # fmt: skip
    board = build_leaderboard([runs["follow"], newer], tmp_path / "out")
    assert len(board.rows) == 1 and board.rows[0].run.path == newer


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["config"].update(judge_fingerprint="f" * 64), r"different judge.*probe \(fingerprint f{64}\)"),
        (lambda r: r["suite"].update(version="scine@0000"), r"different suite version.*scine@0000"),
        (lambda r: r["taxonomy"].update(sha256="abc"), r"different taxonomy sha256.* has abc"),
        (lambda r: r["config"].update(root_tasks=["camera"]), r"different root tasks"),
    ],
)
def test_refuses_mixing(runs, tmp_path, edit, message):
    mixed = _edited(runs["null"], tmp_path / "in" / "results_mixed.json", edit)
    with pytest.raises(ConfigError, match=message) as caught:
        build_leaderboard([runs["follow"], mixed], tmp_path / "out")
    assert str(runs["follow"]) in str(caught.value) and str(mixed) in str(caught.value)


def test_refuses_two_fingerprints_of_one_model(runs, tmp_path):
    with pytest.raises(ConfigError, match="two runs of model 'synthetic' have different model fingerprints") as caught:
        build_leaderboard([runs["follow"], runs["other"]], tmp_path / "out")
    assert str(runs["follow"]) in str(caught.value) and str(runs["other"]) in str(caught.value)


def test_refuses_truncated_json(runs, tmp_path):
    broken = tmp_path / "in" / "results_broken.json"
    broken.parent.mkdir()
    broken.write_text(runs["follow"].read_text()[:500])
    with pytest.raises(ConfigError, match=r"results_broken.json: not valid JSON .*truncated.*expected a results"):
        build_leaderboard([broken], tmp_path / "out")


def test_refuses_unknown_schema_version(runs, tmp_path):
    future = _edited(runs["follow"], tmp_path / "in" / "results_future.json", lambda r: r.update(schema_version=99))
    expected = rf"results_future.json: unknown schema_version 99; expected {SCHEMA_VERSION}"
    with pytest.raises(ConfigError, match=expected):
        build_leaderboard([future], tmp_path / "out")


def test_refuses_missing_paths_and_keys(runs, tmp_path):
    with pytest.raises(ConfigError, match="no such file or folder"):
        build_leaderboard([tmp_path / "nowhere"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no results_"):
        build_leaderboard([tmp_path / "empty"], tmp_path / "out")
    partial = _edited(runs["follow"], tmp_path / "in" / "results_partial.json", lambda r: r.pop("taxonomy"))
    with pytest.raises(ConfigError, match="missing key 'taxonomy'"):
        build_leaderboard([partial], tmp_path / "out")


def test_cli_builds_and_exits_2_on_refusals(runs, tmp_path, capsys):
    from scine_eval.cli import main
    from scine_eval.cli.subcommands import COMMANDS

    assert COMMANDS["leaderboard"] == ENTRY
    out = tmp_path / "out"
    assert main(["leaderboard", "build", str(runs["follow"]), str(runs["null"]), "--output", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "leaderboard.json").is_file()
    mixed = _edited(runs["null"], tmp_path / "in" / "results_judge.json",
                    lambda r: r["config"].update(judge_fingerprint="0" * 64))  # fmt: skip
    broken = tmp_path / "in" / "results_cut.json"
    broken.write_text('{"results": {')
    future = _edited(runs["follow"], tmp_path / "in2" / "results_v9.json", lambda r: r.update(schema_version=9))
    suite = _edited(runs["null"], tmp_path / "in3" / "results_suite.json",
                    lambda r: r["suite"].update(version="other"))  # fmt: skip
    cases = [[runs["follow"], mixed], [broken], [future], [runs["follow"], suite], [runs["follow"], runs["other"]]]
    for paths in cases:
        capsys.readouterr()
        assert main(["leaderboard", "build", *map(str, paths), "--output", str(tmp_path / "refused")]) == 2
        assert "error:" in capsys.readouterr().err


def test_mean_score_and_significance_rules():
    parts = [Score(80.0, 70.0, 90.0), Score(40.0, 30.0, 50.0), Score(None)]
    assert mean_score(parts) == Score(60.0, 50.0, 70.0)  # unscored parts left out; bounds averaged
    assert mean_score([Score(50.0), Score(70.0, 60.0, 80.0)]) == Score(60.0)  # no interval without all bounds
    assert significant_gap(Score(80.0, 71.0, 90.0), Score(60.0, 50.0, 70.0)) is True
    assert significant_gap(Score(80.0, 69.0, 90.0), Score(60.0, 50.0, 70.0)) is False
    assert significant_gap(Score(80.0), Score(60.0, 50.0, 70.0)) is None


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "leaderboard.png"
"""The screenshot docs/leaderboard.md shows; ``SCINE_UPDATE_SCREENSHOT=1`` makes the browser test rewrite it."""


def _browse(page: Path, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on a local file, with background networking off (the machine has no network)."""
    profile = page.parent / f"profile-{len(list(page.parent.glob('profile-*')))}"
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *flags, page.as_uri()]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.skipif(
    _chromium() is None,
    reason="chromium is not installed (.ci/run installs Debian's chromium where apt-get is available; the page's "
    "files and markup are checked above without it)",
)
def test_page_sorts_and_draws_in_a_headless_browser(runs, tmp_path):
    out = tmp_path / "out"
    _board([runs["follow"], runs["null"]], out)
    page = (out / "index.html").read_text()
    # After the page's own script: click headers as a user would, and measure the drawn figures.
    probe = """<script>
      var heads = document.querySelectorAll('#board th'), order = [];
      function rows() { return Array.from(document.querySelectorAll('#board tbody tr')).map(r => r.dataset.model); }
      order.push(rows()); heads[0].click(); order.push(rows()); heads[1].click(); order.push(rows());
      var shapes = Array.from(document.querySelectorAll('polygon.shape')).map(p => p.getBBox().width);
      var heat = Array.from(document.querySelectorAll('#heatmap td')).map(td => getComputedStyle(td).backgroundColor);
      document.body.dataset.check = JSON.stringify({order: order, shapes: shapes, heat: heat});
    </script>"""
    checked = out / "checked.html"
    checked.write_text(page.replace("</body>", probe + "</body>"))
    dom = _browse(checked, "--dump-dom").stdout
    found = re.search(r'data-check="([^"]+)"', dom)
    assert found, "the page's script did not run"
    check = json.loads(html.unescape(found[1]))
    assert check["order"] == [["synthetic", "synthetic-null"], ["synthetic-null", "synthetic"],  # rank: high first
                              ["synthetic", "synthetic-null"]]  # model: A-Z  # fmt: skip
    assert len(check["shapes"]) == 2 and all(width > 20 for width in check["shapes"])  # radars drawn, not empty
    assert len(set(check["heat"])) > 1  # heatmap cells coloured by score

    shot = out / "leaderboard.png"
    _browse(out / "index.html", f"--screenshot={shot}", "--window-size=1100,1250", "--hide-scrollbars")
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1100, 1250)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 50  # text, table, radar: not a blank page
    if os.environ.get("SCINE_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
