"""Judges: score a video's answer to one question on the 1-5 scale of the paper's expert study.

A judge is one file in this package with one class and one ``@register_judge`` line. Third-party
judges register through the ``scine_eval.judges`` entry-point group.
"""

from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, judge_registry, register_judge

__all__ = ["Judge", "JudgeItem", "Judgement", "judge_registry", "register_judge"]
