"""The lexicon mapper: finds a prompt's controls from the phrase banks' cues, with negation handled.

Text and cues are compared lower-cased with hyphens read as spaces ("close-up" = "close up"), as whole
words. Cues come from the phrase banks and from the taxonomy vocabulary itself where a value is
unambiguous (several words or a hyphenated term that no other leaf uses, e.g. "rack focus", "low-key").
Where matches overlap, the longest wins ("dolly zoom" over "zoom"). A match is dropped when a negator
("no", "not", "never", "without", "n't", "avoid", "nor", "instead of", "rather than") comes at most
three words before it in the same clause, so "not a close-up" sets nothing; cues that carry their own
negation ("no camera movement" → locked-off) are cues like any other. Each leaf gets one value: the one
mentioned first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scine_eval.suites.mapping.base import Control, Mapper, Mapping
from scine_eval.suites.phrases import PhraseBank, load_phrase_bank
from scine_eval.taxonomy import Taxonomy, load_taxonomy

NEGATORS = re.compile(r"\b(?:no|not|never|without|nor|avoid|avoiding|instead of|rather than)\b|n't\b")
CLAUSE_END = re.compile(r"[.;:!?,()\[\]\n]|\b(?:but|and|while|then)\b")
NEGATION_WINDOW = 3
"""Words before a match in which a negator cancels it."""


def normalise(text: str) -> str:
    """Lower case, hyphens and dashes as spaces, curly apostrophes straight, runs of spaces as one."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"[ \t]+", " ", re.sub(r"(?<=\w)[-‐–](?=\w)", " ", text))


@dataclass(frozen=True)
class _Cue:
    text: str
    node: str
    value: str


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    cue: _Cue


class LexiconMapper(Mapper):
    """Maps free text to controls with the phrase banks' cues (see the module docstring).

    Args:
        taxonomy: the taxonomy (default: the bundled one).
        bank: the phrase bank (default: the bundled ``tasks/phrases``).
    """

    name = "lexicon"

    def __init__(self, taxonomy: Taxonomy | None = None, bank: PhraseBank | None = None):
        self.taxonomy = taxonomy or load_taxonomy()
        self.bank = bank or load_phrase_bank(self.taxonomy)
        cues = self._cues()
        # One alternation, longest first, so the regex engine prefers "dolly zoom" to "zoom" at one position.
        self._by_text = {cue.text: cue for cue in cues}
        pattern = "|".join(re.escape(text) for text in sorted(self._by_text, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![\w'])(?:{pattern})(?![\w])") if pattern else None

    def _cues(self) -> list[_Cue]:
        found: dict[str, _Cue] = {}
        ambiguous: set[str] = set()
        for entry in self.bank:
            for cue in entry.cues:
                text = normalise(cue)
                if text in found and (found[text].node, found[text].value) != (entry.node, entry.value):
                    ambiguous.add(text)  # one cue naming two controls tells nothing: it is left out
                found.setdefault(text, _Cue(text, entry.node, entry.value))
        vocabulary = Counter(normalise(v) for leaf in self.taxonomy.leaves() if not leaf.is_open for v in leaf.values)
        for leaf in self.taxonomy.leaves():
            if leaf.is_open:
                continue
            for value in leaf.values:
                text = normalise(value)
                distinctive = (" " in text or "-" in value) and vocabulary[text] == 1
                if distinctive and text not in found:
                    found[text] = _Cue(text, leaf.id, value)
        return [cue for text, cue in found.items() if text not in ambiguous]

    def map(self, texts: Sequence[str]) -> list[Mapping]:
        return [self._map_one(text) for text in texts]

    def _map_one(self, text: str) -> Mapping:
        normal = normalise(text)
        matches = [] if self._pattern is None else [
            _Match(m.start(), m.end(), self._by_text[m.group(0)]) for m in self._pattern.finditer(normal)
        ]  # fmt: skip
        controls: dict[str, Control] = {}
        trace: list[dict[str, Any]] = []
        for match in matches:
            negated = _negated(normal, match.start)
            trace.append({"cue": match.cue.text, "node": match.cue.node, "value": match.cue.value,
                          "at": match.start, "negated": negated})  # fmt: skip
            if not negated and match.cue.node not in controls:
                evidence = text[match.start : match.end] if len(text) == len(normal) else match.cue.text
                controls[match.cue.node] = Control(match.cue.node, match.cue.value, evidence)
        return Mapping(text, list(controls.values()), raw={"matches": trace})


def _negated(text: str, start: int) -> bool:
    before = text[:start]
    clause = CLAUSE_END.split(before)[-1] if CLAUSE_END.search(before) else before
    words = clause.split()[-NEGATION_WINDOW:]
    return bool(NEGATORS.search(" ".join(words)))
