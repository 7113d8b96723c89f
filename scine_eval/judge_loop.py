"""Judging a set of (video, question) items with one judge: cached, batched by video, never fatal.

Shared by ``scine-eval`` runs and ``scine-eval ablate``: the runner hands the judge every question of
``videos_per_batch`` videos at once, lets it prefetch the next batch while it scores this one, caches
each batch's judgements as soon as they exist (a rerun does only the missing ones), and turns a failing
call into per-item abstentions that are not cached (a rerun retries them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from scine_eval.cache import JudgementCache
from scine_eval.components import Component
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, checked_judgements, is_crash, score_safely
from scine_eval.progress import progress_bar
from scine_eval.workers import component_pool, run_batches, worker_count

log = logging.getLogger("scine_eval")

ItemsByVideo = Mapping[str, Mapping[str, JudgeItem]]
"""video sha256 → item key → item (all questions about one video)."""


def judge_items(
    judge: Judge,
    cache: JudgementCache,
    items: ItemsByVideo,
    label: str = "judge",
    progress: bool = True,
    component: Component[Judge] | None = None,
    num_workers: int | None = None,
) -> dict[tuple[str, str], Judgement]:
    """A judgement for every item, keyed by (video sha256, item key); cached ones are not asked again.

    A ``cpu_bound`` judge whose ``component`` is given scores its batches in worker processes (``num_workers``;
    default every core); others score here, prefetching the next batch while this one is scored.
    """
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
    workers = worker_count(num_workers, len(batches)) if judge.cpu_bound and len(batches) > 1 else 1
    with (
        component_pool(component, workers) as pool,
        progress_bar(label, sum(map(len, batches)), enabled=progress and bool(pending), unit="questions") as advance,
    ):

        def record(todo: list[JudgeItem], out: Sequence[Judgement] | BaseException) -> None:
            new = list(zip(todo, checked_judgements(judge.name, todo, out), strict=True))
            cache.put_many(fp, [(it.video_sha256, it.key, j) for it, j in new if not is_crash(j)])
            done.update({(it.video_sha256, it.key): j for it, j in new})
            advance(len(todo))

        if pool is not None:
            run_batches(pool, judge, "score", batches, record)
            return done
        ahead = max(1, judge.prefetch_batches)
        for index, todo in enumerate(batches):
            for upcoming in batches[index + 1 : index + 1 + ahead]:  # decoding overlaps this batch's scoring
                try:
                    judge.prefetch(upcoming)
                except Exception as error:  # an optimisation only: score() redoes the work and reports
                    log.warning("judge %s could not prefetch: %s", judge.name, error)
            record(todo, score_safely(judge, todo))
    return done
