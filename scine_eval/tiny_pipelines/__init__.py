"""Tiny random text-to-video pipelines, built offline, for tests, benchmarks and trying the harness without weights.

Each family's builder assembles a real diffusers pipeline from tiny configs (as in diffusers' own fast tests),
with tokenizers made locally (``ByT5Tokenizer()`` in T5 slots, a hand-written CLIP vocabulary, a byte-level
BPE trained on a few sentences), and writes it with ``save_pretrained``. Tests then load the folder with
``DiffusionPipeline.from_pretrained`` exactly as users load a Hub id. Weights are random: the videos mean
nothing; the folders check loading, argument plumbing, frame rules, export and the run end to end.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["FAMILY_MODULES", "builders", "make_tiny_pipeline"]

FAMILY_MODULES = (
    "scine_eval.tiny_pipelines.wan",
    "scine_eval.tiny_pipelines.t5_video",
    "scine_eval.tiny_pipelines.hunyuan",
    "scine_eval.tiny_pipelines.lavie",
)
"""Modules with a ``BUILDERS`` table (family name → builder); imported only when a pipeline is built."""


def builders() -> dict[str, Callable[[str | Path], Path]]:
    """Every family's builder, by the name of the preset it mimics (``wan2.1``, ``cogvideox-5b``, ``hunyuan``...)."""
    table: dict[str, Callable[[str | Path], Path]] = {}
    for module in FAMILY_MODULES:
        table.update(importlib.import_module(module).BUILDERS)
    return table


def make_tiny_pipeline(family: str, folder: str | Path) -> Path:
    """Writes the tiny random pipeline of ``family`` to ``folder`` (``save_pretrained``) and returns the folder."""
    table = builders()
    if family not in table:
        raise KeyError(f"no tiny pipeline for {family!r}; families: {', '.join(sorted(table))}")
    return table[family](folder)
