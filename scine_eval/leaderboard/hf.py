"""The results format of the Hugging Face leaderboard template (``demo-leaderboard-backend``).

The template reads ``config.model_name`` / ``model_sha`` / ``model_dtype`` and, for each task,
``results[task][metric]`` which it multiplies by 100 for display. So ``scine_score`` is the
normalised score as a fraction in [0, 1] (displayed 0-100); ``mean_rating`` is the raw 1-5 mean.
Only tasks with a score are written: the template drops a model missing a task it expects, so a
leaderboard should list tasks every submission can score.
"""

from __future__ import annotations

from typing import Any

from scine_eval.contracts.exporter import ResultsExporter, register_exporter
from scine_eval.record import ResultsRecord


def leaderboard_record(record: ResultsRecord) -> dict[str, Any]:
    """Derives the leaderboard JSON from a results record (never assembled by hand elsewhere)."""
    tasks = {
        task.name: {
            "scine_score": task.score_norm / 100.0,
            "mean_rating": task.score,
            "ci_low": task.ci_low,
            "ci_high": task.ci_high,
            "n_samples": task.n_samples,
        }
        for task in record.tasks()
        if task.score is not None and task.score_norm is not None
    }
    config = record.config
    return {
        "config": {
            "model_name": record.model_name,
            "model_sha": config.model_sha,
            "model_dtype": config.model_dtype,
            "judge": record.judge,
            "judge_fingerprint": config.judge_fingerprint,
            "suite_version": record.suite.version,
            "taxonomy_sha256": record.taxonomy.sha256,
        },
        "results": tasks,
    }


@register_exporter("leaderboard")
class HFLeaderboardExporter(ResultsExporter):
    """``leaderboard_<time>.json``: the Hugging Face leaderboard template's results format."""

    def export(self, record: ResultsRecord) -> dict[str, Any]:
        return leaderboard_record(record)
