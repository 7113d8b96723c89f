"""The subcommands of ``scine-eval``, each a parser builder and a handler named as ``module:function``.

Named, not imported, so ``scine-eval --help`` and every subcommand load only what they use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("scine_eval.cli.run:run_parser", "scine_eval.cli.run:run"),
    "taxonomy": ("scine_eval.cli.catalog:taxonomy_parser", "scine_eval.cli.catalog:taxonomy"),
    "tasks": ("scine_eval.cli.catalog:tasks_parser", "scine_eval.cli.catalog:tasks"),
    "validate": ("scine_eval.cli.catalog:validate_parser", "scine_eval.cli.catalog:validate"),
    "models": ("scine_eval.cli.catalog:models_parser", "scine_eval.cli.catalog:models"),
    "judges": ("scine_eval.cli.catalog:judges_parser", "scine_eval.cli.catalog:judges"),
    "metrics": ("scine_eval.cli.catalog:metrics_parser", "scine_eval.cli.catalog:metrics"),
    "example": ("scine_eval.cli.example:example_parser", "scine_eval.cli.example:example"),
    "judge-check": ("scine_eval.cli.judge_eval:judge_check_parser", "scine_eval.cli.judge_eval:judge_check"),
    "ablate": ("scine_eval.cli.judge_eval:ablate_parser", "scine_eval.cli.judge_eval:ablate"),
    "suite": ("scine_eval.cli.suite:suite_parser", "scine_eval.cli.suite:suite"),
    "leaderboard": (
        "scine_eval.leaderboard.build_command:leaderboard_parser",
        "scine_eval.leaderboard.build_command:leaderboard",
    ),
    "push": ("scine_eval.leaderboard.push_command:push_parser", "scine_eval.leaderboard.push_command:push"),
    "train-judge": ("scine_eval.cli.train_judge:train_judge_parser", "scine_eval.cli.train_judge:train_judge"),
}
"""Subcommand → (parser builder, handler), as ``module:function``."""


def load_named(target: str) -> Callable:
    """The function a ``module:function`` name points at, imported now (how the CLI reaches extensions)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
