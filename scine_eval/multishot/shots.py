"""A script's shots as a generation request carries them (:class:`scine_eval.contracts.model.Shot`)."""

from __future__ import annotations

from scine_eval.contracts.model import Shot
from scine_eval.multishot.script import Script


def script_shots(script: Script) -> tuple[Shot, ...]:
    """Each shot's alignment text, time code, controls (the scene's included) and own prompt, in order."""
    return tuple(
        Shot(script.shot_text(i), shot.start_s, shot.end_s, tuple(script.controls(i)), script.shot_prompt(i))
        for i, shot in enumerate(script.shots)
    )
