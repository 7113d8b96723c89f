"""Judging a set of (video, question) items with one judge: cached, batched by video, never fatal.

Shared by ``scine-eval`` runs and ``scine-eval ablate``: the runner hands the judge every question of
``videos_per_batch`` videos at once, lets it prefetch the next batch while it scores this one, caches
each batch's judgements as soon as they exist (a rerun does only the missing ones), and turns a failing
call into per-item abstentions that are not cached (a rerun retries them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from scine_eval.cache import JudgementCache
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, is_crash, score_safely
from scine_eval.progress import progress_bar

log = logging.getLogger("scine_eval")

ItemsByVideo = Mapping[str, Mapping[str, JudgeItem]]
"""video sha256 → item key → item (all questions about one video)."""


def judge_items(
    judge: Judge, cache: JudgementCache, items: ItemsByVideo, label: str = "judge", progress: bool = True
) -> dict[tuple[str, str], Judgement]:
    """A judgement for every item, keyed by (video sha256, item key); cached ones are not asked again."""
    fp = judge.fingerprint
    keys = [(video, key) for video in items for key in items[video]]
    done = cache.get_many(fp, keys)
    pending = [video for video in items if any((video, key) not in done for key in items[video])]
    per_batch = max(1, judge.videos_per_batch)
    batches = [
        [it for video in pending[start : start + per_batch] for it in items[video].values()
         if (video, it.key) not in done]
        for start in range(0, len(pending), per_batch)
    ]  # fmt: skip
    with progress_bar(label, sum(map(len, batches)), enabled=progress and bool(pending), unit="questions") as advance:
        for index, todo in enumerate(batches):
            if index + 1 < len(batches):
                try:
                    judge.prefetch(batches[index + 1])  # decoding overlaps this batch's scoring
                except Exception as error:  # an optimisation only: score() redoes the work and reports
                    log.warning("judge %s could not prefetch: %s", judge.name, error)
            new = list(zip(todo, score_safely(judge, todo), strict=True))
            cache.put_many(fp, [(it.video_sha256, it.key, j) for it, j in new if not is_crash(j)])
            done.update({(it.video_sha256, it.key): j for it, j in new})
            advance(len(todo))
    return done
