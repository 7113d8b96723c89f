"""The probe's judge-check on the renderer's clips and on photographs, side by side, per (leaf, value).

Prints the table ``docs/probe.md`` quotes: for every (leaf, value) of
:data:`scine_eval.probes.independent.CASES`, the accuracy (correct / scored pairs; ties count against the
probe) and the correct / ties / wrong / abstained counts on matched pairs from the ``synthetic`` renderer
(``scine-eval judge-check``: 5 s, 12 fps, 256x256) and on matched pairs made from photographs
(:func:`~scine_eval.probes.independent.independent_check`: 3 s, 12 fps, 96x96), separately for the
photographs in view when the points were set and for the held-out ones. The renderer draws no roll with a
direction (``tests/test_judges_probe.py`` plays its roll forwards and backwards instead), so those rows have
only the photographs. Run it with::

    SCINE_PAIRS=20 python -m pytest benchmarks/test_bench_probe_independent.py -s

``SCINE_PAIRS`` (default 20) sets the pairs per value on every side; 20 took about 6 minutes on 2 cores.
"""

from __future__ import annotations

import os

import pytest

from scine_eval.judge_eval.check import JudgeCheckConfig, judge_check
from scine_eval.judges.probe import ProbeJudge
from scine_eval.probes.independent import (
    CALIBRATION_PHOTOS,
    CASES,
    HELD_OUT_PHOTOS,
    IndependentCheck,
    independent_check,
)

PAIRS = int(os.environ.get("SCINE_PAIRS", "20"))


def _cell(tally: dict | None) -> str:
    if tally is None:
        return "—"
    accuracy = "—" if tally["accuracy"] is None else f"{100 * tally['accuracy']:.0f} %"
    return f"{accuracy} ({tally['correct']}/{tally['ties']}/{tally['wrong']}/{tally['abstained']})"


@pytest.mark.timeout(3600)  # 20 pairs per value: about 6 minutes on 2 cores
def test_renderer_vs_independent_stimuli(tmp_path, capsys):
    leaves = sorted({case.node for case in CASES if not case.node.endswith("roll_direction")})
    rendered = judge_check(JudgeCheckConfig(judge="probe", tasks=leaves, pairs=PAIRS, output_path=None,
                                            cache_dir=str(tmp_path / "cache")))  # fmt: skip
    photographs = [independent_check(ProbeJudge(), tmp_path / name, IndependentCheck(pairs=PAIRS, photos=photos))
                   for name, photos in (("calibration", CALIBRATION_PHOTOS), ("held-out", HELD_OUT_PHOTOS))]
    rows = ["| leaf | value | renderer | photographs (calibration) | photographs (held out) |", "|---|---|---|---|---|"]
    for case in CASES:
        renderer = rendered["nodes"].get(case.node, {}).get("values", {}).get(case.value)
        cells = [_cell(renderer)] + [_cell(report["nodes"][case.node]["values"][case.value]) for report in photographs]
        rows.append(f"| {case.node} | {case.value} | " + " | ".join(cells) + " |")
    seconds = " + ".join(f"{report['seconds']:.0f}" for report in photographs)
    with capsys.disabled():
        print(f"\n{PAIRS} pairs per value; cells: accuracy (correct/ties/wrong/abstained); renderer "
              f"{rendered['seconds']:.0f} s, photographs {seconds} s")  # fmt: skip
        print("\n".join(rows))
    for node in photographs[0]["nodes"].values():
        assert node["accuracy"] is not None and node["accuracy"] >= 0.9
