"""Video metrics (``--metrics clipsim fvd vsa``) over a run's videos, recorded beside the SCINE scores.

Metrics are computed once generation is over, on every usable video the run made or read, in the order they
were named. A metric that fails (a missing reference set, a model that will not load) is recorded with its
reason and the run goes on, as a judge's failure on one video does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scine_eval.components import resolve_spec
from scine_eval.contracts.metric import MetricValue, MetricVideo, VideoMetric, metric_registry
from scine_eval.store import VideoRecord
from scine_eval.suite import Suite

log = logging.getLogger("scine_eval")


def build_metrics(specs: Sequence[str]) -> dict[str, VideoMetric]:
    """Each ``NAME`` or ``NAME:key=value,...`` of ``--metrics``, built before any work, by what the user wrote.

    Building checks a metric's options and files (FVD's detector and reference) but loads no model: a typo
    must not cost a generation run.
    """
    components = [resolve_spec(metric_registry, spec, where="--metrics") for spec in specs]
    return {component.label or component.name: component.build() for component in components}


def metric_videos(videos: Mapping[tuple[str, int], VideoRecord], suite: Suite) -> list[MetricVideo]:
    """The usable videos with their prompts' text and, for multi-shot scripts, their shots.

    Where the adapter made the shots it reports where they fell (``metadata["shots"]``: ``[[text, start_s,
    end_s], ...]``); otherwise a script's own time codes stand (a metric such as VSA scales them to the video).
    """
    out = []
    for (prompt_id, seed), video in sorted(videos.items()):
        if not video.ok or video.path is None:
            continue
        reported = video.metadata.get("shots") or ()
        script = suite.scripts.get(prompt_id)
        shots = tuple((str(t), float(a), float(b)) for t, a, b in reported) or (script.shot_spans() if script else ())
        out.append(MetricVideo(Path(video.path), prompt_id, seed, suite.prompts[prompt_id].text, shots))
    return out


def measure(metrics: Mapping[str, VideoMetric], videos: Sequence[MetricVideo]) -> dict[str, dict[str, Any]]:
    """Each metric's entry for the results record (its value, or ``None`` and why)."""
    out = {}
    for label, metric in metrics.items():
        try:
            value = metric.compute(videos)
        except Exception as error:  # recorded, never fatal: the SCINE scores stand without it
            log.warning("metric %s failed: %s", label, error)
            value = MetricValue(None, 0, f"{type(error).__name__}: {error}")
        out[label] = {
            "metric": metric.name,
            "value": value.value,
            "n_videos": value.n_videos,
            "reason": value.reason,
            "higher_is_better": metric.higher_is_better,
            "spec": metric.spec(),
            "details": value.details,
        }
    return out
