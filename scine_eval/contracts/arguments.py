"""Constrained argument types for adapters and judges, checked before any of them is built.

An adapter's or judge's ``__init__`` annotates its keyword arguments; :func:`scine_eval.components.resolve`
validates every ``--model_args`` / ``--judge_args`` value against those annotations (through pydantic)
before anything loads, so ``fps=-3`` or ``follow_prompt=maybe`` exits with a message naming the argument,
the value and what is valid instead of failing after an hour of generation. A parameter annotated with a
dataclass groups options (a VLM judge's ``load``, ``input_spec``, ``batching``): users still write its
fields flat (``dtype=bfloat16``) or dotted (``load.dtype=bfloat16``).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Gt, Le

PositiveInt = Annotated[int, Gt(0)]
"""An integer of at least 1 (frames per second, batch sizes, steps)."""
NonNegativeInt = Annotated[int, Ge(0)]
PositiveFloat = Annotated[float, Gt(0)]
"""A number above 0 (durations, frame rates)."""
UnitInterval = Annotated[float, Ge(0), Le(1)]

__all__ = ["NonNegativeInt", "PositiveFloat", "PositiveInt", "UnitInterval"]
