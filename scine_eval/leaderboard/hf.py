"""The results format of the Hugging Face leaderboard template (``demo-leaderboard-backend``).

The template reads ``config.model_name`` / ``model_sha`` / ``model_dtype`` and, for each task,
``results[task][metric]`` which it multiplies by 100 for display. So ``scine_score`` is the
normalised score as a fraction in [0, 1] (displayed 0-100); ``mean_rating`` is the raw 1-5 mean.
Only tasks with a score are written: the template drops a model missing a task it expects, so a
leaderboard should list tasks every submission can score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scine_eval.contracts.exporter import ResultsExporter, register_exporter


def leaderboard_record(results: Mapping[str, Any]) -> dict[str, Any]:
    """Derives the leaderboard JSON from a results record (never assembled by hand elsewhere)."""
    config = results["config"]
    judge = config["judge"]
    tasks = {}
    for name, entry in results["results"].items():
        mean = entry.get(f"score,{judge}")
        if mean is None:
            continue
        tasks[name] = {
            "scine_score": entry[f"score_norm,{judge}"] / 100.0,
            "mean_rating": mean,
            "ci_low": entry[f"score_ci_low,{judge}"],
            "ci_high": entry[f"score_ci_high,{judge}"],
            "n_samples": entry["n_samples"],
        }
    return {
        "config": {
            "model_name": config.get("model_name") or config["model"],
            "model_sha": config.get("model_sha") or "",
            "model_dtype": config.get("model_dtype") or "",
            "judge": judge,
            "judge_fingerprint": config["judge_fingerprint"],
            "suite_version": results["suite"]["version"],
            "taxonomy_sha256": results["taxonomy"]["sha256"],
        },
        "results": tasks,
    }


@register_exporter("leaderboard")
class HFLeaderboardExporter(ResultsExporter):
    """``leaderboard_<time>.json``: the Hugging Face leaderboard template's results format."""

    def export(self, results: Mapping[str, Any]) -> dict[str, Any]:
        return leaderboard_record(results)
