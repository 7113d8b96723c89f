"""Preference pairs from the synthetic renderer: for one question, a clip that follows it and one that does not.

The same matched pairs ``scine-eval judge-check`` renders (same world; the control followed vs violated),
so the truth is known without annotators. Used to prove training end to end on tiny models offline.
"""

from __future__ import annotations

from pathlib import Path

from scine_eval.bt.pairs import TrainingPair
from scine_eval.judge_eval.check import violators
from scine_eval.stimuli import Stimulus
from scine_eval.stimuli.clips import StimulusCache
from scine_eval.stimuli.controls import CONTROLS
from scine_eval.taxonomy import load_taxonomy

__all__ = ["synthetic_pairs"]


def synthetic_pairs(
    leaves: list[str], seeds: range, cache_dir: Path, duration: float = 2.0, fps: int = 4, size: int = 64
) -> list[TrainingPair]:
    """One pair per (leaf, drawable value, violator, seed): ``chosen`` follows the value, ``rejected`` violates it.

    ``prompt_id`` is ``{leaf}:{value}:{seed}``, so splitting by prompt keeps a world's clips on one side.
    """
    taxonomy = load_taxonomy(None)
    cache = StimulusCache(cache_dir, Stimulus(duration=duration, fps=fps, size=size))
    pairs = []
    for leaf in leaves:
        node = taxonomy[leaf]
        drawable = [v for v in node.values if v in CONTROLS.get(leaf, {})]
        for value in drawable:
            question = node.question_for(value)
            for violator in violators(node, value, drawable):
                for seed in seeds:
                    chosen, _ = cache.clip(((leaf, value),), seed)
                    rejected, _ = cache.clip(violator, seed)
                    pairs.append(
                        TrainingPair(
                            prompt_id=f"{leaf}:{value}:{seed}",
                            question_id=f"{leaf}:{value}",
                            prompt=f"A shot of a street. {question}",
                            question=question,
                            chosen=chosen,
                            rejected=rejected,
                            chosen_score=5.0,
                            rejected_score=1.0,
                        )
                    )
    return pairs
