"""Statistics that show a suite is a real benchmark, as the paper reported them.

Counts by suite, role, difficulty, genre and pillar; questions per prompt; questions per leaf (every
leaf should have enough to be scored); and lexical diversity of the prompt texts: type-token ratio
(over the first ``TTR_TOKENS`` tokens of the concatenated, shuffled-by-id texts, so suites of different
sizes compare) and distinct bigrams (the share of unique bigrams among all bigrams, also over
``TTR_TOKENS``), and the mean pairwise Jaccard similarity of prompts' word sets (on a sample).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from statistics import mean
from typing import Any

from scine_eval.suite import Suite
from scine_eval.taxonomy import Taxonomy

TTR_TOKENS = 2000
"""Token budget of the diversity measures: they fall as a text grows, so suites compare on equal lengths."""
JACCARD_SAMPLE = 300
WORD = re.compile(r"[a-z']+")


def suite_stats(suite: Suite, taxonomy: Taxonomy, which: str | None = None) -> dict[str, Any]:
    """The statistics of ``suite`` (only its ``scripts`` or ``visuals`` prompts when ``which`` says so)."""
    prompts = [p for p in suite.prompts.values() if which is None or p.suite == which]
    ids = {p.id for p in prompts}
    questions = [q for q in suite.questions if q.prompt_id in ids]
    per_prompt = Counter(q.prompt_id for q in questions)
    leaves = Counter(q.node_id for q in questions)
    return {
        "suite": suite.version,
        "prompts": len(prompts),
        "questions": len(questions),
        "by_suite": dict(Counter(p.suite for p in prompts)),
        "by_role": dict(Counter(p.role for p in prompts if p.role)),
        "by_difficulty": dict(Counter(p.difficulty for p in prompts if p.difficulty)),
        "by_genre": dict(sorted(Counter(p.genre or "(none)" for p in prompts).items())),
        "by_pillar": dict(Counter(taxonomy[q.node_id].pillar for q in questions)),
        "questions_per_prompt": {
            "mean": round(mean(per_prompt[p.id] for p in prompts), 2) if prompts else 0.0,
            "min": min((per_prompt[p.id] for p in prompts), default=0),
            "max": max((per_prompt[p.id] for p in prompts), default=0),
            **{suite_name: round(mean(per_prompt[p.id] for p in prompts if p.suite == suite_name), 2)
               for suite_name in ("scripts", "visuals") if any(p.suite == suite_name for p in prompts)},
        },  # fmt: skip
        "by_leaf": {leaf.id: leaves.get(leaf.id, 0) for leaf in taxonomy.leaves()},
        "leaves_covered": sum(1 for leaf in taxonomy.leaves() if leaves.get(leaf.id)),
        "min_questions_per_leaf": min((leaves.get(leaf.id, 0) for leaf in taxonomy.leaves()), default=0),
        "diversity": diversity([p.text for p in sorted(prompts, key=lambda p: _hash(p.id))]),
    }


def diversity(texts: list[str]) -> dict[str, float]:
    tokens = [w for text in texts for w in WORD.findall(text.lower())][:TTR_TOKENS]
    bigrams = list(zip(tokens, tokens[1:], strict=False))
    sample = [set(WORD.findall(t.lower())) for t in texts[:JACCARD_SAMPLE]]
    pairs = list(itertools.combinations(sample, 2))
    jaccard = mean(len(a & b) / len(a | b) for a, b in pairs if a | b) if pairs else 0.0
    return {
        "tokens_used": len(tokens),
        "type_token_ratio": round(len(set(tokens)) / len(tokens), 4) if tokens else 0.0,
        "distinct_bigrams": round(len(set(bigrams)) / len(bigrams), 4) if bigrams else 0.0,
        "mean_jaccard": round(jaccard, 4),
    }


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
