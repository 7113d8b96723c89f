"""The lexicon mapper: finds a prompt's controls from the phrase banks' cues, with negation handled.

Text and cues are compared lower-cased with hyphens read as spaces ("close-up" = "close up"), as whole
words. Cues come from the phrase banks and from the taxonomy vocabulary itself where a value is
unambiguous (several words or a hyphenated term that no other leaf uses, e.g. "rack focus", "low-key");
a cue that two banks give to different controls is left out. Events and the other pillars are two lexicons
matched apart, so one phrase may set a control in each ("snow starts falling": snow, and a change in the
environment); within each, where matches overlap, the longest wins ("dolly zoom" over "zoom"). A match is
dropped when a negator ("no", "not", "never", "nobody", "without", "n't", "avoid", "nor", "instead of",
"rather than") comes at most three words before it in the same clause (clauses end at punctuation, an
emoji, "but", "and", "while" or "then"), so "not a close-up" sets nothing; cues that carry their own
negation ("no camera movement" → locked-off) are cues like any other. A few decoys hold a cue and mean
something else ("fast food", "rapid-fire"): they set nothing. Each leaf gets one value: the one mentioned
first.

Events are said in everyday verbs and in the shape of the prompt more than in terms of art, so for that
pillar only:

* a cue is also read in its other inflections and with other pronouns: "runs" also finds "run", "ran" and
  "running" (and "runned", harmless: no text holds it); "rolls her eyes" also finds "rolled their eyes".
  Bank cues win over derived ones, and forms that prompts use as nouns ("beams", "drink") are not derived;
* an action whose subject is the camera, the light or the weather is no one's action ("the camera pushes
  in", "the flood comes in"); a tempo word next to a camera move is the camera's ("a slow push in");
* some controls come from how the cues stand to one another: a one-word focus cue ("everyone", "except")
  sets the focus of what its sentence is about (the action, the emotion or the talk); two different
  emotions joined by "then", "turns to", "→"... follow one another, joined by "while", "through"... come
  together; an action after "then" comes after what went before, an action named twice with "again" is
  repeated; "slowly" next to an action is its pace;
* dialogue is read from punctuation, as a script's is: quoted lines or speaker-labelled lines ("MAYA: ..."
  or a screenplay's name line above the line said) give the exchange (one line, or several turns), and a
  line broken off by a dash or trailing off in an ellipsis gives the delivery.

Camera, lighting and setup cues are read as written: their inflections are often other words ("pans" for
gold), and the SCINE-Visuals generator reads scripts with this mapper to keep injected controls from
contradicting them, so what it reads there must not move (``tests/test_bundled_suite.py`` regenerates the
bundled suite byte for byte).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scine_eval.suites.mapping.base import Control, Mapper, Mapping
from scine_eval.suites.phrases import PhraseBank, load_phrase_bank
from scine_eval.taxonomy import Taxonomy, load_taxonomy

NEGATORS = re.compile(r"\b(?:no|not|never|nobody|without|nor|avoid|avoiding|instead of|rather than)\b|n't\b")
CLAUSE_END = re.compile(r"[.;:!?,()\[\]\n\u2190-\u21ff\u2600-\u27bf\U0001f300-\U0001faff]|\b(?:but|and|while|then)\b")
NEGATION_WINDOW = 3
"""Words before a match in which a negator cancels it."""
INFLECTED_PILLARS = frozenset({"events"})
"""Pillars whose cues are also read in their other inflections and pronouns."""
PACE = "events.advanced.rhythm.pace"
CAMERA_WINDOW = 2
"""Words between a one-word tempo cue and a camera move for the tempo to be the camera's."""
EXCHANGE, DELIVERY = "events.dialogues.exchange", "events.dialogues.delivery"

# -- inflections -------------------------------------------------------------------------------------

_KEEP = frozenset(
    "a an the and or but nor of to in on at by for with from into onto over under up down off out back away around "
    "round as is are was were be been being it its this that these those than then so no not very all each every one "
    "two both other another same own such always".split()
)
_POSSESSIVE = ("her", "his", "their", "my", "your")
_OBJECT = ("her", "him", "them", "me", "you", "us")
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in (
        "arise:arose awake:awoke bear:bore beat:beat become:became begin:began bend:bent bite:bit bleed:bled "
        "blow:blew break:broke bring:brought build:built burst:burst buy:bought cast:cast catch:caught choose:chose "
        "cling:clung come:came creep:crept cut:cut deal:dealt dig:dug dive:dove do:did draw:drew drink:drank "
        "drive:drove eat:ate fall:fell feed:fed feel:felt fight:fought find:found flee:fled fling:flung fly:flew "
        "forget:forgot freeze:froze get:got give:gave go:went grind:ground grow:grew hang:hung have:had hear:heard "
        "hide:hid hit:hit hold:held hurt:hurt keep:kept kneel:knelt know:knew lay:laid lead:led leap:leapt "
        "leave:left lend:lent let:let lie:lay light:lit lose:lost make:made meet:met pay:paid put:put quit:quit "
        "read:read rewind:rewound ride:rode ring:rang rise:rose run:ran say:said see:saw seek:sought sell:sold "
        "send:sent set:set shake:shook shine:shone shoot:shot shut:shut sing:sang sink:sank sit:sat slay:slew "
        "sleep:slept slide:slid sling:slung slit:slit speak:spoke speed:sped spend:spent spin:spun spit:spat "
        "split:split spread:spread spring:sprang stand:stood steal:stole stick:stuck sting:stung stink:stank "
        "stride:strode strike:struck string:strung strive:strove swear:swore sweep:swept swim:swam swing:swung "
        "take:took teach:taught tear:tore tell:told think:thought throw:threw tread:trod wake:woke wear:wore "
        "weave:wove weep:wept win:won wring:wrung write:wrote"
    ).split()
)
"""Simple past of the irregular verbs (past participles are left out: "fallen leaves" is no falling)."""
_VOWELS = frozenset("aeiou")
_NOUNS = frozenset({"beam", "beams", "drink", "drinks", "hand", "trigger", "triggers"})
"""Derived forms that prompts use as nouns ("steel beams", "an energy drink", "hand over hand"): never derived."""
SIDES = ("other", "events")
"""The two lexicons: camera, lighting and setup; and Events."""
DECOYS = {
    "events": ("fast food", "fast asleep", "hold fast", "holds fast", "slow cooker"),
    "other": ("rapid fire",),
}
"""Words that hold a cue of one side (Events, or the other pillars) and mean something else: they set nothing."""
NON_AGENTS = frozenset(
    "camera lens drone dolly crane shot frame light lights lamp sun moon sky rain snow fog mist smoke wind storm flood "
    "water waves tide fire flames city town night dawn car van truck train bus boat".split()
)
"""What, just before an action cue, is no subject performing it ("the camera pushes", "the flood comes in")."""
ACTIONS = frozenset({"events.actions.standalone", "events.actions.interactive"})
FAMILIES = {
    "actions": ACTIONS | {"events.actions.temporal"},
    "emotions": frozenset({"events.emotions.explicit", "events.emotions.implicit"}),
    "dialogues": frozenset({EXCHANGE, DELIVERY}),
}
"""The Events controls that say what a sentence is about, by the family whose focus they take."""
FOCUS = {family: f"events.{family}.focus" for family in FAMILIES}
ACTION_TIMING, EMOTION_TIMING = "events.actions.temporal", "events.emotions.temporal"
ONE_AFTER_ANOTHER = re.compile(r"\b(?:then|after|afterwards|turns?|turning|into|gives? way|becomes?|until)\b|→|->")
AT_ONCE = re.compile(r"\b(?:while|through|same (?:time|moment|breath)|at once|and yet|both)\b")
"""What, between two emotions, says they follow each other or come together."""
STRUCTURE_LEAVES = (*FOCUS.values(), ACTION_TIMING, EMOTION_TIMING, PACE, EXCHANGE, DELIVERY)


def cue_variants(cue: str) -> set[str]:
    """The cue with each of its words in its other inflections, and with its pronouns swapped.

    One word changes at a time, so a cue stays a phrase the bank's author would recognise. Derived forms
    that are not English ("runned") are kept: they cost nothing, since no text holds them.
    """
    words = cue.split()
    variants = {cue}
    for index, word in enumerate(words):
        for form in _word_forms(word):
            variants.add(" ".join([*words[:index], form, *words[index + 1 :]]))
    return {swapped for variant in variants for swapped in _pronoun_swaps(variant)}


def _word_forms(word: str) -> set[str]:
    if word in _KEEP or word in _POSSESSIVE or word in _OBJECT or not word.isalpha():
        return set()
    if len(word) < 3 and word not in _IRREGULAR_PAST:
        return set()
    return {form for lemma in _lemmas(word) for form in _forms(lemma)} - {word} - _NOUNS


def _lemmas(word: str) -> set[str]:
    """Candidate base forms of a verb form ("dancing" → "danc", "dance"); none for a base or -ed form.

    Cues in -ed are mostly adjectives ("scared", "bored"), whose other forms name a cause rather than a
    feeling ("scar", "boring"); base forms are lemmas already, inflected only when known irregular.
    """
    if word in _IRREGULAR_PAST:
        return {word}
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        found = {stem, stem + "e"}
        if stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
            found.add(stem[:-1])  # running → run
        if stem.endswith("y"):
            found.add(stem[:-1] + "ie")  # lying → lie
        return found
    if word.endswith("ies"):
        return {word[:-3] + "y"}
    if word.endswith("es"):
        return {word[:-1], word[:-2]}  # dances → dance, watches → watch
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return {word[:-1]}
    return set()


def _forms(lemma: str) -> set[str]:
    """The base, third-person, -ing and past forms of a lemma (both spellings where doubling is unsure)."""
    if len(lemma) < 2:
        return set()
    if lemma.endswith(("s", "sh", "ch", "x", "z", "o")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2] not in _VOWELS:
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma.endswith("ie"):
        ing = lemma[:-2] + "ying"
    elif lemma.endswith("e") and not lemma.endswith(("ee", "ye", "oe")):
        ing = lemma[:-1] + "ing"
    else:
        ing = lemma + "ing"
    if lemma.endswith("e"):
        past = lemma + "d"
    elif lemma.endswith("y") and lemma[-2] not in _VOWELS:
        past = lemma[:-1] + "ied"
    else:
        past = lemma + "ed"
    forms = {lemma, third, ing, past}
    if (
        len(lemma) >= 3
        and lemma[-1] not in _VOWELS | {"w", "x", "y"}
        and lemma[-2] in _VOWELS
        and (lemma[-3] not in _VOWELS)
    ):
        forms |= {lemma + lemma[-1] + "ing", lemma + lemma[-1] + "ed"}  # stop → stopping, stopped
    if lemma in _IRREGULAR_PAST:
        forms = (forms - {past}) | {_IRREGULAR_PAST[lemma]}
    return forms


def _pronoun_swaps(cue: str) -> set[str]:
    words = cue.split()
    swapped = {cue}
    for index, word in enumerate(words):
        group = (_POSSESSIVE if word in _POSSESSIVE else ()) + (_OBJECT if word in _OBJECT else ())
        for other in set(group) - {word}:
            swapped.add(" ".join([*words[:index], other, *words[index + 1 :]]))
    return swapped


# -- dialogue from punctuation ----------------------------------------------------------------------

_QUOTE = re.compile(r"\"([^\"\n]{1,400})\"|“([^”\n]{1,400})”|(?<![\w'’])['‘]([^'‘’\n]{1,200}?)['’](?![\w])")
_SPEAKER = re.compile(
    r"^[ \t]*([A-Z](?:[A-Z.' -]{0,30}[A-Z.])?)[ \t]*(?:\([^)\n]*\))?[ \t]*(?::[ \t]*(\S[^\n]*)|$)", re.M
)
"""A speaker's name in capitals opening a line: ``ROSA (laughing): You...``, or alone above the line said."""
_NOT_SPEAKERS = re.compile(
    r"(?:INT|EXT|I/E|CUT|FADE|DISSOLVE|SMASH|MATCH|CONTINUOUS|LATER|BEAT|MONTAGE|SUPER|TITLE|NOTE|MOOD|TONE|CAMERA|"
    r"LIGHTING|SOUND|MUSIC|VISUAL|SHOT|SCENE|PANEL|FRAME|BOARD|INSERT|BLACKOUT|THE END)\b"
)
"""Capitals that open a line of a script without being anyone's name: headings, transitions, field labels."""
_LABEL = re.compile(r"\b[A-Z][\w.]{0,20}:\s*$")
"""A speaker's label ending the text between two quotes (``A: "You came." B: "I..."``): a new turn."""
_WRITTEN = re.compile(
    r"\b(?:sign|signs|word|banner|poster|label|caption|title|titled|screen|billboard|shirt|card|headline|words|letters|"
    r"lettering|text|logo|graffiti|reads|reading|read|written|spelled|spelling|printed|engraved|painted|labelled|"
    r"labeled)\b[^.!?\n]{0,40}$",
    re.I,
)
"""What, before a quote, makes it text on screen rather than a spoken line."""
_SPOKEN = re.compile(r"(?=.*[a-z])(?:.*\S\s+\S|.*[.!?…—–-]\W*$)", re.S)
"""A quoted line rather than a quoted term ("a \"vintage\" look") or a sign in capitals ('PIE DAY 3.14'): some
lower case, and several words or closing punctuation."""
_BROKEN_OFF = re.compile(r"(?:—|–|--|-)\s*$")
_TRAILING = re.compile(r"(?:\.\.\.|…)\s*$")


def dialogue_controls(text: str) -> list[Control]:
    """The exchange and delivery a prompt's punctuation implies, as a script's would (see the module docstring)."""
    lines: list[str] = []
    speakers: set[str] = set()
    rows = text.split("\n")
    for match in _SPEAKER.finditer(text):
        name, line = match.group(1).strip(), match.group(2)
        if _NOT_SPEAKERS.match(name):
            continue
        if line is None:  # a screenplay name line: the next line that is no stage direction is what is said
            following = [row.strip() for row in rows[text[: match.start()].count("\n") + 1 :] if row.strip()]
            following = [row for row in following if not row.startswith("(")][:1]
            if not following or _SPEAKER.fullmatch(following[0]):
                continue
            line = following[0]
        speakers.add(name)
        lines.append(line)
    if not lines:
        end = 0
        for match in _QUOTE.finditer(text):
            said = next(group for group in match.groups() if group is not None)
            before = text[end : match.start()]
            if _WRITTEN.search(text[max(0, match.start() - 60) : match.start()]) or not _SPOKEN.match(said):
                continue
            if lines and not re.search(r"[.!?]\s|\n", before) and not _LABEL.search(before):
                lines[-1] += " " + said  # '"Stop," she says, "please."' is one line
            else:
                lines.append(said)
            end = match.end()
    if not lines:
        return []
    evidence = lines[0][:60]
    found = [Control(EXCHANGE, "single line" if len(lines) == 1 and len(speakers) < 2 else "multi-turn", evidence)]
    for line in lines:
        if _BROKEN_OFF.search(line.rstrip("\"”'’ ")):
            found.append(Control(DELIVERY, "dash", line[-60:]))
            break
        if _TRAILING.search(line.rstrip("\"”'’ ")):
            found.append(Control(DELIVERY, "ellipsis", line[-60:]))
            break
    return found


# -- the mapper ---------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, hyphens and dashes as spaces, curly apostrophes straight, runs of spaces as one."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"[ \t]+", " ", re.sub(r"(?<=\w)[-‐–](?=\w)", " ", text))


@dataclass(frozen=True)
class _Cue:
    text: str
    node: str
    value: str
    derived: bool = False
    """Found as another inflection of a bank cue, not written in the bank."""


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
        # Events and the other pillars are two lexicons, matched apart: a phrase may set a control in each
        # ("snow starts falling": snow, and a change in the environment) and the longest match wins within each.
        self._lexicons = {side: {cue.text: cue for cue in self._cues(side)} for side in SIDES}
        self._patterns = {side: _trie_pattern([*self._lexicons[side], *DECOYS[side]]) for side in SIDES}

    def _side(self, node: str) -> str:
        return "events" if self.taxonomy[node].pillar == "events" else "other"

    def _cues(self, side: str) -> list[_Cue]:
        found: dict[str, _Cue] = {}
        named: dict[str, tuple[str, str]] = {}
        ambiguous: set[str] = set()
        for entry in self.bank:
            for cue in entry.cues:
                text = normalise(cue)
                if named.setdefault(text, (entry.node, entry.value)) != (entry.node, entry.value):
                    ambiguous.add(text)  # one cue naming two controls tells nothing, on either side: it is left out
                if self._side(entry.node) == side:
                    found.setdefault(text, _Cue(text, entry.node, entry.value))
        vocabulary = Counter(normalise(v) for leaf in self.taxonomy.leaves() if not leaf.is_open for v in leaf.values)
        for leaf in self.taxonomy.leaves():
            if leaf.is_open or self._side(leaf.id) != side:
                continue
            for value in leaf.values:
                text = normalise(value)
                distinctive = (" " in text or "-" in value) and vocabulary[text] == 1
                if distinctive and text not in found:
                    found[text] = _Cue(text, leaf.id, value)
        explicit = [cue for text, cue in found.items() if text not in ambiguous]
        return explicit + self._derived(explicit, set(found))

    def _derived(self, explicit: Iterable[_Cue], taken: set[str]) -> list[_Cue]:
        """Other inflections of the inflected pillars' cues, where no bank cue says the same words."""
        derived: dict[str, _Cue] = {}
        ambiguous: set[str] = set()
        for cue in explicit:
            if self.taxonomy[cue.node].pillar not in INFLECTED_PILLARS:
                continue
            for text in cue_variants(cue.text) - taken:
                if text in derived and (derived[text].node, derived[text].value) != (cue.node, cue.value):
                    ambiguous.add(text)
                derived.setdefault(text, _Cue(text, cue.node, cue.value, derived=True))
        return [cue for text, cue in derived.items() if text not in ambiguous]

    def map(self, texts: Sequence[str]) -> list[Mapping]:
        return [self._map_one(text) for text in texts]

    def _map_one(self, text: str) -> Mapping:
        normal = normalise(text)
        found = [(m, self._lexicons[side].get(m.group(0))) for side, pattern in self._patterns.items() if pattern
                 for m in pattern.finditer(normal)]  # fmt: skip
        matches = sorted((_Match(m.start(), m.end(), cue) for m, cue in found if cue), key=lambda match: match.start)
        controls: dict[str, Control] = {}
        trace: list[dict[str, Any]] = []
        kept: list[_Match] = []
        for match in matches:
            negated = _negated(normal, match.start)
            cameras = match.cue.node == PACE and self._describes_camera(normal, match, matches)
            thing = match.cue.node in ACTIONS and _done_by_a_thing(normal, match.start)
            notes = {"negated": negated} | {
                key: True for key, on in (("derived", match.cue.derived), ("camera", cameras), ("thing", thing)) if on
            }
            trace.append({"cue": match.cue.text, "node": match.cue.node, "value": match.cue.value, "at": match.start}
                         | notes)  # fmt: skip
            if negated or cameras or thing:
                continue
            kept.append(match)
            if match.cue.node not in controls and not _is_scope_word(match):
                evidence = text[match.start : match.end] if len(text) == len(normal) else match.cue.text
                controls[match.cue.node] = Control(match.cue.node, match.cue.value, evidence)
        if all(node in self.taxonomy for node in STRUCTURE_LEAVES):
            for control in _structure(normal, kept) + dialogue_controls(text):
                controls.setdefault(control.node, control)
        return Mapping(text, list(controls.values()), raw={"matches": trace})

    def _describes_camera(self, text: str, match: _Match, matches: Sequence[_Match]) -> bool:
        """Whether a one-word tempo cue sits within a few words of a camera move, in the same clause."""
        if " " in match.cue.text:
            return False
        for other in matches:
            if self.taxonomy[other.cue.node].pillar != "camera":
                continue
            gap = text[match.end : other.start] if other.start >= match.end else text[other.end : match.start]
            if len(gap.split()) <= CAMERA_WINDOW and not CLAUSE_END.search(gap):
                return True
        return False


def _is_scope_word(match: _Match) -> bool:
    """A one-word focus cue ("everyone", "except") says how much of the scene takes part, not in what."""
    return match.cue.node == FOCUS["actions"] and " " not in match.cue.text


def _family(node: str) -> str | None:
    for family, nodes in FAMILIES.items():
        if node in nodes:
            return family
    return None


def _structure(text: str, matches: Sequence[_Match]) -> list[Control]:
    """Events controls read from how the found cues stand to one another (see the module docstring)."""
    found: list[Control] = []
    sentences = [(m.start(), m.end()) for m in re.finditer(r"[^.;:!?\n]+", text)]  # a label's colon ends one too

    def sentence_of(match: _Match) -> tuple[int, int]:
        return next((span for span in sentences if span[0] <= match.start < span[1]), (0, len(text)))

    # focus words qualify what their sentence is about: the action, the emotion, the talk
    for match in (m for m in matches if m.cue.node == FOCUS["actions"]):
        start, end = sentence_of(match)
        families = {_family(m.cue.node) for m in matches if start <= m.start < end} - {None}
        for family in families | ({"actions"} if " " in match.cue.text else set()):
            found.append(Control(FOCUS[family], match.cue.value, match.cue.text))
    # two emotions and what joins them: one after the other, or both at once
    emotions = [m for m in matches if m.cue.node in FAMILIES["emotions"]]
    for first, second in zip(emotions, emotions[1:], strict=False):
        if first.cue.value == second.cue.value:
            continue
        between = text[first.end : second.start]
        if ONE_AFTER_ANOTHER.search(between):
            found.append(Control(EMOTION_TIMING, "sequential", between.strip()[:60]))
        elif AT_ONCE.search(between):
            found.append(Control(EMOTION_TIMING, "concurrent", between.strip()[:60]))
    # an action named again is repeated; an action after "then" comes after what went before it
    actions = [m for m in matches if m.cue.node in ACTIONS]
    if any(n > 1 for n in Counter(m.cue.text for m in actions).values()) and re.search(r"\bagain\b", text):
        found.append(Control(ACTION_TIMING, "cyclic", "again"))
    for then in re.finditer(r"\b(?:then|afterwards|after that)\b", text):
        start, end = next((span for span in sentences if span[0] <= then.start() < span[1]), (0, len(text)))
        if then.start() > 0 and any(then.end() <= m.start < end for m in actions):
            found.append(Control(ACTION_TIMING, "sequential", then.group(0)))
            break
    # "slowly" next to an action is the action's pace
    for match in actions:
        around = text[max(0, match.start - 12) : match.start] + " " + text[match.end : match.end + 12]
        if re.search(r"\bslowly\b", around):
            found.append(Control(PACE, "slow", "slowly"))
            break
    return found


def _trie_pattern(cues: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all cues, as a trie so it stays fast with tens of thousands of them.

    At one position the text follows one path through the trie, and longer continuations are tried first,
    so the longest cue that ends on a word boundary wins, as with a longest-first alternation.
    """
    trie: dict[str, Any] = {}
    for cue in cues:
        node = trie
        for char in cue:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None

    def render(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(rf"(?<![\w'])(?:{render(trie)})(?![\w])")


def _done_by_a_thing(text: str, start: int) -> bool:
    """Whether the word before an action cue (adverbs skipped) is the camera, the light or the weather."""
    before = [word.strip(".,;:!?'\"") for word in text[:start].split()[-3:]]
    while before and before[-1].endswith("ly"):
        before.pop()
    return bool(before) and before[-1] in NON_AGENTS


def _negated(text: str, start: int) -> bool:
    before = text[:start]
    clause = CLAUSE_END.split(before)[-1] if CLAUSE_END.search(before) else before
    words = clause.split()[-NEGATION_WINDOW:]
    return bool(NEGATORS.search(" ".join(words)))
