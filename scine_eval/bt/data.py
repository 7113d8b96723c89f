"""Where ``scine-eval train-judge`` gets its preference pairs: expert annotations, or the synthetic renderer.

Annotations go through :mod:`scine_eval.judge_eval.preferences` (rater means, pairs within a question, ties under a
margin, split by prompt); each pair then carries its prompt's and question's text from the suite, which
is what the scorer is asked. ``synthetic`` renders a compliant and a violating clip per question instead
(:mod:`scine_eval.bt.synthetic`): no annotators, a known truth, for offline proofs and smoke tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scine_eval.bt.pairs import TrainingPair
from scine_eval.errors import ConfigError
from scine_eval.judge_eval.preferences import Pair, PairSplit, load_rated_videos, make_pairs, split_by_prompt
from scine_eval.suite import Suite

__all__ = ["PairSource", "training_pairs"]


@dataclass
class PairSource:
    """Where the preference pairs come from, and how they are made and split.

    Args:
        annotations: expert ratings, one row per (question_id, video, model, rater, score): a local
            ``.jsonl``/``.csv``/``.parquet`` file or a Hub dataset id (see docs/bt-judge.md).
        videos_root: the folder relative video paths start from (default: the annotations file's folder).
        min_raters: (question, video) items with fewer raters are dropped.
        tie_margin: two videos whose rater means differ by at most this much are a tie.
        cross_model_only: pair only videos from different models, as the paper does.
        keep_ties: keep tied pairs (used by the ``bt-ties`` loss, ignored by ``bt``).
        validation_fraction: the share of prompts held out for validation (never on both sides).
        split_seed: the seed of the prompt split.
        synthetic: instead of annotations, render compliant / violating clip pairs for these leaves
            (those the synthetic renderer draws, e.g. ``lighting.color_temperature``).
        synthetic_seeds: rendered worlds per (leaf, value, violation).
        synthetic_size: rendered clip size in pixels (square).
    """

    annotations: str | None = None
    videos_root: str | None = None
    min_raters: int = 1
    tie_margin: float = 0.5
    cross_model_only: bool = True
    keep_ties: bool = True
    validation_fraction: float = 0.2
    split_seed: int = 0
    synthetic: list[str] = field(default_factory=list)
    synthetic_seeds: int = 24
    synthetic_size: int = 64


def training_pairs(source: PairSource, suite: Suite, cache_dir: Path) -> PairSplit[TrainingPair]:
    """The train / validation pairs ``source`` describes (rendered clips are cached under ``cache_dir``)."""
    if bool(source.annotations) == bool(source.synthetic):
        raise ConfigError(
            "give either --annotations (expert ratings) or --synthetic LEAF... (rendered pairs), not both or neither"
        )
    if source.synthetic:
        from scine_eval.bt.synthetic import synthetic_pairs

        pairs = synthetic_pairs(
            source.synthetic, range(source.synthetic_seeds), cache_dir / "stimuli", size=source.synthetic_size
        )
        if not pairs:
            raise ConfigError(f"the synthetic renderer draws none of {source.synthetic}; see docs/synthetic.md")
        return split_by_prompt(pairs, source.validation_fraction, source.split_seed)
    rated = load_rated_videos(source.annotations, suite, source.videos_root, source.min_raters)
    pairs = make_pairs(rated, source.tie_margin, source.cross_model_only, source.keep_ties)
    if not pairs:
        raise ConfigError(
            "the annotations make no pairs: each question needs two or more rated videos"
            + (" from different models (or pass --no_cross_model_only)" if source.cross_model_only else ""),
            path=source.annotations,
        )
    split = split_by_prompt(pairs, source.validation_fraction, source.split_seed)
    questions = {q.id: q.text for q in suite.questions}
    return PairSplit(
        [_training_pair(p, suite, questions) for p in split.train],
        [_training_pair(p, suite, questions) for p in split.validation],
    )


def _training_pair(pair: Pair, suite: Suite, questions: dict[str, str]) -> TrainingPair:
    return TrainingPair(
        prompt_id=pair.prompt_id,
        question_id=pair.question_id,
        prompt=suite.prompts[pair.prompt_id].text,
        question=questions[pair.question_id],
        chosen=pair.chosen.video,
        rejected=pair.rejected.video,
        chosen_score=pair.chosen.mean,
        rejected_score=pair.rejected.mean,
        tie=pair.tie,
    )
