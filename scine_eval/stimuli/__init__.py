"""Procedural stimuli whose truth is known: a control-following renderer and the table that drives it.

:mod:`.spec` is the typed description of one clip, :mod:`.controls` turns a prompt's (leaf, value)
pairs into one (with the rule for contradictions), and :mod:`.render` draws it with numpy.
"""

from scine_eval.stimuli.controls import Resolution, resolve_controls
from scine_eval.stimuli.render import render
from scine_eval.stimuli.spec import Stimulus

__all__ = ["Resolution", "Stimulus", "render", "resolve_controls"]
