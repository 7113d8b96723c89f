"""``SlowJudge``: a test double that judges slowly and logs every item it judges.

It is a testing tool, not a feature: it is not registered in the package and is loaded only by the
tests, by its ``module:Class`` name (``--judge tests.plugins.slow_judge:SlowJudge``, run with the
repository root as the working folder so ``tests`` imports). It lets a test

* kill a run part-way through judging (``delay`` seconds per item makes judging take a while), and
* count which items were judged, by which process (``log``: one line per judged item).

Each log line is ``<video sha256> <item key> <RANK> <pid>``, tab-separated, appended and flushed as
soon as the item is judged, so it survives a SIGKILL. The score is ``score`` when given, else a
deterministic 1-5 value derived from the video hash and the item key (so aggregated results are not
trivially constant). ``delay`` and ``log`` do not change scores and are left out of :meth:`spec`, so a
fast run and a slow run share judgement-cache entries.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scine_eval.contracts.judge import Judge, JudgeItem, Judgement


class SlowJudge(Judge):
    """Test double: sleeps ``delay`` seconds per item, logs each judged item, returns a fixed or derived score.

    Args:
        log: file to append one line per judged item to (created if missing).
        delay: seconds to sleep per item before judging it.
        score: the score of every item (1-5); ``None`` derives one from the video hash and item key.
    """

    name = "slow-test-judge"

    def __init__(self, log: str, delay: float = 0.0, score: float | None = None):
        self.log = Path(log)
        self.delay = float(delay)
        self.fixed = None if score is None else float(score)
        self.log.parent.mkdir(parents=True, exist_ok=True)

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        out = []
        rank = os.environ.get("RANK", "-")
        for item in items:
            if self.delay:
                time.sleep(self.delay)
            score = self.fixed if self.fixed is not None else derived_score(item)
            out.append(Judgement(score=score, raw={"slow": True}))
            with self.log.open("a", encoding="utf-8") as file:
                file.write(f"{item.video_sha256}\t{item.key}\t{rank}\t{os.getpid()}\n")
                file.flush()
        return out

    def spec(self) -> dict[str, Any]:
        return {"judge": self.name, "score": self.fixed}


def derived_score(item: JudgeItem) -> float:
    """A deterministic score in {1, ..., 5} for an item."""
    digest = hashlib.sha256(f"{item.video_sha256}:{item.key}".encode()).digest()
    return float(1 + digest[0] % 5)


def read_log(path: str | Path) -> list[tuple[str, str, str, str]]:
    """The log's lines as (video sha256, item key, rank, pid) tuples; an absent log is empty."""
    path = Path(path)
    if not path.exists():
        return []
    rows = [tuple(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines()]
    return [row for row in rows if len(row) == 4]  # a SIGKILL may cut the last line short
