"""Issue 15's targets, measured side by side in one run: the serial, plan-everything path vs the defaults.

``before`` is what the harness did until it planned by coverage and used every core (``num_workers=1``,
``generate=all``); ``after`` is the defaults (``generate=covered``, one worker process per core). Each round
starts from empty caches, so rendering, encoding, decoding and the probe's readings are all timed. Read the
two rows of a group as a ratio (``docs/performance.md`` records them with the machine's core count).

Groups: ``main-command`` (the README's first command: synthetic + probe on ``camera.*`` ``lighting.*``) and
``scine-limit-40`` (the bundled ``scine`` suite, 40 prompts per task, all its tasks).
"""

from __future__ import annotations

import itertools

import pytest

from scine_eval import evaluate
from scine_eval.workers import available_cores

MODES = {"before": {"num_workers": 1, "generate": "all"}, "after": {}}
RUNS = {
    "main-command": {"tasks": ["camera.*", "lighting.*"]},
    "scine-limit-40": {"suite": "scine", "tasks": ["scine"], "limit": 40},
}
ROUNDS = {"main-command": 3, "scine-limit-40": 1}  # the second takes minutes per cold round before the change


@pytest.mark.timeout(3600)  # a cold scine-limit-40 round takes minutes before the change
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("run", list(RUNS))
def test_cold_run(benchmark, tmp_path, run, mode):
    benchmark.group = run
    counter = itertools.count()

    def setup():
        cache = tmp_path / f"cache-{next(counter)}"
        return (), {"cache_dir": str(cache), "output_path": None, **RUNS[run], **MODES[mode]}

    benchmark.extra_info["cores"] = available_cores()
    benchmark.pedantic(lambda **kw: evaluate(**kw), setup=setup, rounds=ROUNDS[run], warmup_rounds=0)
