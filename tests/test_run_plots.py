"""``--plots`` on a run: a pillar radar and a node bar chart beside the results."""

from __future__ import annotations

import pytest

from scine_eval.cli import main

pytest.importorskip("matplotlib")


def test_plots_are_written_beside_the_results(tmp_path, capsys):
    code = main(["--tasks", "camera.trajectory.movement_2d", "lighting.color_temperature", "--judge", "probe",
                 "--model_args", "duration=2.0,fps=8,size=96", "--bootstrap_iters", "20", "--plots",
                 "--output_path", str(tmp_path / "out"), "--cache_dir", str(tmp_path / "cache")])  # fmt: skip
    assert code == 0
    folder = tmp_path / "out" / "synthetic"
    [results] = folder.glob("results_*.json")
    stamp = results.stem.removeprefix("results_")
    err = capsys.readouterr().err
    for kind in ("pillars", "nodes"):
        path = folder / f"{kind}_{stamp}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000, path
        assert f"plot ({kind})" in err


def test_pillar_scores_fall_back_to_the_weighted_mean_of_their_tasks():
    from scine_eval.cli.plots import _pillar_scores

    scored = {
        "camera.trajectory": {"score_norm,probe": 100.0, "n_samples": 3},
        "camera.extrinsics": {"score_norm,probe": 0.0, "n_samples": 1},
        "camera.trajectory.static": {"score_norm,probe": 10.0, "n_samples": 3},  # inside camera.trajectory
        "lighting": {"score_norm,probe": 40.0, "n_samples": 9},
    }
    assert _pillar_scores(scored, "probe") == {"camera": 75.0, "lighting": 40.0}
