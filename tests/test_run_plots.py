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
