"""What the trainer consumes: a question, its prompt, and two videos, one preferred (or a tie)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["TrainingPair"]


@dataclass(frozen=True)
class TrainingPair:
    """Two videos for one (prompt, question), with their reference scores (rater means, or 5 / 1)."""

    prompt_id: str
    question_id: str
    prompt: str
    question: str
    chosen: Path
    rejected: Path
    chosen_score: float
    rejected_score: float
    tie: bool = False
