"""The folders the Hugging Face demo-leaderboard template reads, so a Space shows the same numbers.

The template (``demo-leaderboard-backend``) walks ``results/<model>/results_*.json`` for scores and
``requests/<model>_eval_request_*.json`` for each model's finished request.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scine_eval.leaderboard.board import Leaderboard
from scine_eval.leaderboard.collect import Run
from scine_eval.leaderboard.hf import leaderboard_record
from scine_eval.results import safe_name, write_json


def template_precision(dtype: str) -> str:
    """The precision name the template matches request files on (its ``Precision.from_str``: else ``?``)."""
    name = dtype.split(".")[-1]
    return name if name in ("float16", "bfloat16") else "?"


def write_space(board: Leaderboard, folder: Path) -> dict[str, Path]:
    """``results/<model>/results_<time>.json`` and ``requests/<model>_eval_request_*.json`` for the template.

    The template walks ``results/`` (folders of JSON files only), reads ``config.model_name`` and
    ``results[task][metric]``, and attaches the ``FINISHED`` request of the same model and precision.
    """
    files = {}
    for row in board.rows:
        record = leaderboard_record(row.run.record)
        parts = [safe_name(p) for p in record["config"]["model_name"].split("/") if p] or ["_"]
        stamp = row.run.path.stem.removeprefix("results_")
        files[f"space:results:{row.model}"] = write_json(folder.joinpath("results", *parts, f"results_{stamp}.json"),
                                                         record)  # fmt: skip
        precision = template_precision(record["config"]["model_dtype"])
        name = f"{parts[-1]}_eval_request_False_{precision.replace('?', 'unknown')}_Original.json"
        request = folder.joinpath("requests", *parts[:-1], name)
        files[f"space:requests:{row.model}"] = write_json(request, request_record(record, row.run, precision))
    return files


def request_record(record: Mapping[str, Any], run: Run, precision: str) -> dict[str, Any]:
    """A finished evaluation request, as the template's submit form would have filed it."""
    return {
        "model": record["config"]["model_name"],
        "base_model": "",
        "revision": record["config"]["model_sha"] or "main",
        "precision": precision,
        "weight_type": "Original",
        "status": "FINISHED",
        "submitted_time": run.record.start_time,
        "model_type": "",
        "likes": 0,
        "params": 0,
        "license": "?",
        "private": False,
        "judge": record["config"]["judge"],
    }
