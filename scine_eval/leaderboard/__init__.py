"""Leaderboard output: the Hugging Face leaderboard template's results format (push and pages come later)."""

from scine_eval.leaderboard.hf import leaderboard_record

__all__ = ["leaderboard_record"]
