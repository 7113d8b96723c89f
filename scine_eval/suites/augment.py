"""SCINE-Visuals by structured augmentation: scripts with Camera, Lighting and Setup controls injected.

As in the paper, a Visuals prompt is a Scripts prompt plus sampled controls, written out with the phrase
banks' phrasings ("taxonomy-guided upsampling", not free rewriting). Per script, ``per_script``
interpretations cycle through the roles (cinematographer: camera and lighting; production designer:
setup; director: all three, and is also asked about the script's Events) and difficulties, counted over
the whole suite so each (role, difficulty) gets an equal share:

* basic: 2-4 controls, common values only;
* advanced: 5-10 controls, rare values preferred (70 % when the leaf has them).

Leaves are drawn with weights that fall as a leaf is used (1 / (1 + uses)), so every leaf gets its share.
A control is never drawn with one it contradicts (``conflicts.yaml``), with another value of its leaf, or
with a control the script's own text already sets (read with the lexicon mapper: a night-time script gets
no golden hour). One script never yields the same control set twice. Seeded: the same scripts, bank and
seed give the same suite.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scine_eval.suites.mapping.base import Mapper
from scine_eval.suites.phrases import Entry, PhraseBank
from scine_eval.suites.sources import Script
from scine_eval.taxonomy import Taxonomy

ROLES = {
    "cinematographer": ("camera", "lighting"),
    "production_designer": ("setup",),
    "director": ("camera", "lighting", "setup"),
}
COUNTS = {"basic": (2, 4), "advanced": (5, 10)}
RARE_SHARE = 0.7
ATTEMPTS = 50


@dataclass(frozen=True)
class Visual:
    """One generated Visuals prompt."""

    id: str
    script: Script
    role: str
    difficulty: str
    text: str
    controls: tuple[tuple[str, str], ...]
    """The injected (leaf, value) pairs, in the order their phrases appear."""


class VisualsGenerator:
    """Generates Visuals prompts from scripts (see the module docstring)."""

    def __init__(self, taxonomy: Taxonomy, bank: PhraseBank, reader: Mapper | None = None, seed: int = 0):
        self.taxonomy, self.bank, self.reader = taxonomy, bank, reader
        self.rng = random.Random(seed)
        self.uses: Counter[str] = Counter()
        self.pools = {
            role: [leaf.id for leaf in taxonomy.leaves() if leaf.pillar in pillars and self._drawable(leaf.id)]
            for role, pillars in ROLES.items()
        }

    def _drawable(self, node_id: str) -> bool:
        return any(entry.phrases for entry in self.bank.values(node_id).values())

    def generate(self, scripts: Sequence[Script], per_script: int) -> list[Visual]:
        visuals = []
        kinds = [(role, difficulty) for difficulty in COUNTS for role in ROLES]
        for index, script in enumerate(scripts):
            present = self._read(script)
            made: set[frozenset[tuple[str, str]]] = set()
            for k in range(per_script):
                # Counted across scripts, so every (role, difficulty) gets the same share of the suite.
                role, difficulty = kinds[(index * per_script + k) % len(kinds)]
                for _ in range(ATTEMPTS):
                    entries = self._sample(role, difficulty, present)
                    key = frozenset((e.node, e.value) for e in entries)
                    if key not in made:
                        break
                made.add(key)
                for entry in entries:
                    self.uses[entry.node] += 1
                phrases = " ".join(self.rng.choice(entry.phrases) for entry in entries)
                visuals.append(Visual(f"{script.id}-v{k + 1}", script, role, difficulty, f"{script.text} {phrases}",
                                      tuple((e.node, e.value) for e in entries)))  # fmt: skip
        return visuals

    def _read(self, script: Script) -> list[tuple[str, str]]:
        """The controls the script's text already sets (so none is drawn against them)."""
        controls = list(script.events)
        if self.reader is not None:
            controls += [(c.node, c.value) for c in self.reader.map([script.text])[0].controls]
        return controls

    def _sample(self, role: str, difficulty: str, present: list[tuple[str, str]]) -> list[Entry]:
        low, high = COUNTS[difficulty]
        want = self.rng.randint(low, high)
        pool = list(self.pools[role])
        chosen: list[Entry] = []
        while pool and len(chosen) < want:
            weights = [1.0 / (1 + self.uses[leaf]) for leaf in pool]
            leaf = self.rng.choices(pool, weights)[0]
            pool.remove(leaf)
            entry = self._value(leaf, difficulty, present + [(e.node, e.value) for e in chosen])
            if entry is not None:
                chosen.append(entry)
        return chosen

    def _value(self, leaf: str, difficulty: str, taken: list[tuple[str, str]]) -> Entry | None:
        entries = [e for e in self.bank.values(leaf).values() if e.phrases]
        entries = [e for e in entries if self.bank.conflicts_with((e.node, e.value), taken) is None]
        common = [e for e in entries if e.tier == "common"]
        rare = [e for e in entries if e.tier == "rare"]
        if difficulty == "basic":
            options = common
        else:
            options = rare if rare and (not common or self.rng.random() < RARE_SHARE) else common
        return self.rng.choice(options) if options else None
