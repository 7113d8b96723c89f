"""The judge contract, re-exported where judge authors look for it (it lives in :mod:`scine_eval.contracts.judge`)."""

from scine_eval.contracts.judge import (
    SCALE,
    Judge,
    JudgeItem,
    Judgement,
    is_crash,
    item_key,
    judge_registry,
    register_judge,
    score_safely,
)

__all__ = [
    "SCALE",
    "Judge",
    "JudgeItem",
    "Judgement",
    "is_crash",
    "item_key",
    "judge_registry",
    "register_judge",
    "score_safely",
]
