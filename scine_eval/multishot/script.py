"""The multi-shot script schema, its vocabulary, the JSONL loader, and the texts and controls a shot yields.

A :class:`Script` follows the shooting-script schema of "The Script is All You Need" (arXiv 2601.17737,
§A.2 of ``shared/reference/other-papers.md``): character profiles, a scene description, and numbered shot
nodes, each with a time code ``[Xs-Ys]``, a shot type, a camera movement, an action, dialogue and
blocking. Shot types, framings, camera movements, lighting words, times of day and weather elements are
closed vocabularies (:data:`SHOT_TYPES` ...): each term maps to SCINE taxonomy (leaf, value) pairs, so a
shot's controls can be judged and rendered like a single-shot prompt's (:func:`controls_for_shot`).

Terms are matched forgivingly: case, hyphens and underscores do not matter, a trailing "shot" is dropped
("Medium Shot" is ``medium``, "Arc Shot" is ``arc``) and a few common aliases are accepted ("Establishing
Shot" is ``extreme wide``, the paper's "Handheld Camera Effect" is ``handheld``). A validated script holds
the canonical spelling. The schema is documented field by field in ``task_data/suites/multishot/SCRIPTS.md``.

Importing this module is cheap: pydantic and the standard library, no numpy, torch or video code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from scine_eval.errors import ConfigError
from scine_eval.readers import bundled_path

Pair = tuple[str, str]
"""A taxonomy (leaf id, value) pair: what a shot asks of a video, as a single-shot prompt's questions do."""

SHOT_SIZE = "camera.creative_intent.shot_size"
FRAMING = "camera.creative_intent.framing"
STATIC = "camera.trajectory.static"
MOVE_2D = "camera.trajectory.movement_2d"
MOVE_3D = "camera.trajectory.movement_3d"
GEAR = "camera.trajectory.gear"
CONDITIONS = "lighting.conditions"
NATURAL = "lighting.source.natural"
ARTIFICIAL = "lighting.source.artificial"
PRACTICAL = "lighting.source.practical"
COLOR_TEMPERATURE = "lighting.color_temperature"
SOFT_SHADOWS = "lighting.effects.soft_shadows"
HARD_SHADOWS = "lighting.effects.hard_shadows"
POSITION = "lighting.position"
LIGHT_MOTION = "lighting.advanced.motion"
TIME_OF_DAY = "setup.set_design.backdrop.time_of_day"
ELEMENTS_LEAF = "setup.set_design.environment.elements"

BUNDLED_SCRIPTS = ("suites", "multishot", "scripts.jsonl")
"""Where the bundled scripts are, under the package's task data."""


# ------------------------------------------------------------------------------------------------ vocabulary


@dataclass(frozen=True)
class Term:
    """One vocabulary term: the words a shot's text uses for it and the taxonomy pairs it sets."""

    phrase: str
    controls: tuple[Pair, ...]


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of terms (canonical spelling → :class:`Term`) and the aliases accepted for them."""

    name: str
    """What a term is, for messages ("shot type")."""
    terms: Mapping[str, Term]
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other spellings → canonical term."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.aliases.values()) - set(self.terms))
        if unknown:
            raise ValueError(f"{self.name} aliases point at unknown terms: {unknown}")

    def __contains__(self, term: object) -> bool:
        return term in self.terms

    def __getitem__(self, term: str) -> Term:
        return self.terms[term]

    def canonical(self, value: str) -> str:
        """The canonical spelling of ``value``.

        Raises:
            ValueError: ``value`` is neither a term nor an alias; the message lists the valid terms.
        """
        found = self._lookup.get(_normalise(value))
        if found is None:
            raise ValueError(f"{value!r} is not a {self.name}; valid: {', '.join(self.terms)}")
        return found

    @cached_property
    def _lookup(self) -> dict[str, str]:
        lookup = {_normalise(alias): term for alias, term in self.aliases.items()}
        lookup.update({_normalise(term): term for term in self.terms})  # a term always means itself
        return lookup


def _normalise(value: str) -> str:
    words = value.casefold().replace("-", " ").replace("_", " ").split()
    if len(words) > 1 and words[-1] == "shot":  # "Medium Shot" is "medium", "Arc Shot" is "arc"
        words.pop()
    return " ".join(words)


def _one(leaf: str, value: str, phrase: str | None = None) -> Term:
    return Term(phrase or value, ((leaf, value),))


SHOT_TYPES = Vocabulary(
    "shot type",
    {
        "extreme wide": _one(SHOT_SIZE, "extreme wide", "extreme wide shot"),
        "wide": _one(SHOT_SIZE, "wide", "wide shot"),
        "full": _one(SHOT_SIZE, "full", "full shot"),
        "medium wide": _one(SHOT_SIZE, "medium wide", "medium wide shot"),
        "medium": _one(SHOT_SIZE, "medium", "medium shot"),
        "medium close-up": _one(SHOT_SIZE, "medium close-up"),
        "close-up": _one(SHOT_SIZE, "close-up"),
        "extreme close-up": _one(SHOT_SIZE, "extreme close-up"),
    },
    # The taxonomy folds "establishing" into extreme wide and "medium full" into medium wide (its note);
    # "long shot" is the older name of a wide shot, "cowboy" frames at mid-thigh like a medium wide.
    {
        "establishing": "extreme wide",
        "extreme long": "extreme wide",
        "long": "wide",
        "medium long": "medium wide",
        "medium full": "medium wide",
        "cowboy": "medium wide",
        "closeup": "close-up",
        "extreme closeup": "extreme close-up",
    },
)
"""Shot type → ``camera.creative_intent.shot_size``: how much of the subject the frame holds."""

FRAMINGS = Vocabulary(
    "framing",
    {
        "single": _one(FRAMING, "single"),
        "two-shot": _one(FRAMING, "two-shot"),
        "crowd": _one(FRAMING, "crowd", "crowd shot"),
        "over-the-shoulder": _one(FRAMING, "over-the-shoulder"),
        "point of view": _one(FRAMING, "point of view", "point-of-view shot"),
        "insert": _one(FRAMING, "insert", "insert shot"),
    },
    {"pov": "point of view", "ots": "over-the-shoulder", "over shoulder": "over-the-shoulder"},
)
"""Optional framing → ``camera.creative_intent.framing``: who or what the shot is built around."""

CAMERA_MOVEMENTS = Vocabulary(
    "camera movement",
    {
        "static": Term("static camera", ((STATIC, "locked-off"),)),
        "handheld": Term("handheld camera", ((GEAR, "handheld"),)),
        "steadicam": Term("Steadicam glide", ((GEAR, "steadicam"),)),
        "pan left": _one(MOVE_2D, "pan left", "camera pans left"),
        "pan right": _one(MOVE_2D, "pan right", "camera pans right"),
        "tilt up": _one(MOVE_2D, "tilt up", "camera tilts up"),
        "tilt down": _one(MOVE_2D, "tilt down", "camera tilts down"),
        "zoom in": _one(MOVE_2D, "zoom in", "lens zooms in"),
        "zoom out": _one(MOVE_2D, "zoom out", "lens zooms out"),
        "push in": _one(MOVE_3D, "push in", "camera pushes in"),
        "pull out": _one(MOVE_3D, "pull out", "camera pulls out"),
        "dolly zoom": _one(MOVE_3D, "dolly zoom"),
        "roll": _one(MOVE_3D, "roll", "camera rolls"),
        "tracking": _one(MOVE_3D, "tracking", "camera tracks with the subject"),
        "trucking": _one(MOVE_3D, "trucking", "camera trucks sideways"),
        "arc": _one(MOVE_3D, "arc", "camera arcs around the subject"),
        # Up and down are both the taxonomy's one crane value; the direction stays in the shot's text.
        "crane up": _one(MOVE_3D, "crane", "camera cranes up"),
        "crane down": _one(MOVE_3D, "crane", "camera cranes down"),
        "drone": Term("drone shot", ((GEAR, "drone"),)),
    },
    {
        "locked off": "static",
        "fixed": "static",
        "handheld camera": "handheld",
        "handheld camera effect": "handheld",  # the paper's example wording
        "dolly in": "push in",
        "dolly out": "pull out",
        "truck": "trucking",
        "follow": "tracking",
        "orbit": "arc",
        "vertigo": "dolly zoom",
    },
)
"""Camera movement → ``camera.trajectory.*``: one deliberate move, a locked-off camera, or the gear's signature."""

LIGHTING = Vocabulary(
    "lighting term",
    {
        "candlelight": _one(CONDITIONS, "candlelight"),
        "golden hour": _one(CONDITIONS, "golden hour", "golden-hour light"),
        "clear daylight": _one(CONDITIONS, "clear daylight"),
        "overcast": _one(CONDITIONS, "overcast", "overcast light"),
        "white fluorescent": _one(CONDITIONS, "white fluorescent", "white fluorescent light"),
        "sunlight": _one(NATURAL, "sunlight"),
        "moonlight": _one(NATURAL, "moonlight"),
        "firelight": _one(NATURAL, "firelight"),
        "skylight": _one(NATURAL, "skylight", "soft skylight"),
        "tungsten": _one(ARTIFICIAL, "tungsten", "tungsten light"),
        "streetlight": _one(ARTIFICIAL, "HID", "sodium streetlight"),
        "strobe": _one(ARTIFICIAL, "strobe", "strobe light"),
        "lamps": _one(PRACTICAL, "lamps", "practical lamps"),
        "neon": _one(PRACTICAL, "neon", "neon signs"),
        "screens": _one(PRACTICAL, "screens", "screen glow"),
        "candles": _one(PRACTICAL, "candles", "candles in frame"),
        "warm": _one(COLOR_TEMPERATURE, "warm", "warm light"),
        "neutral": _one(COLOR_TEMPERATURE, "neutral", "neutral white light"),
        "cool": _one(COLOR_TEMPERATURE, "cool", "cool light"),
        "high-key": _one(SOFT_SHADOWS, "high-key", "high-key lighting"),
        "diffused light": _one(SOFT_SHADOWS, "diffused light"),
        "low-key": _one(HARD_SHADOWS, "low-key", "low-key lighting"),
        "direct light": _one(HARD_SHADOWS, "direct light", "hard direct light"),
        "backlight": _one(POSITION, "back", "backlight"),
        "side light": _one(POSITION, "side", "side light"),
        "top light": _one(POSITION, "top", "top light"),
        "flickering": _one(LIGHT_MOTION, "flickering", "flickering light"),
        "pulsing": _one(LIGHT_MOTION, "pulsing", "pulsing light"),
        "moving source": _one(LIGHT_MOTION, "moving source", "a moving light source"),
    },
    {
        "candle light": "candlelight",
        "lamplight": "lamps",
        "neon signs": "neon",
        "screen glow": "screens",
        "soft light": "diffused light",
        "hard light": "direct light",
        "rim light": "backlight",
        "back light": "backlight",
        "sidelight": "side light",
        "sodium streetlight": "streetlight",
        "HID": "streetlight",
    },
)
"""Lighting words → ``lighting.*``. The paper's script has no lighting field (its lighting lives in prose); these
make it explicit so it can be judged and rendered."""

TIMES_OF_DAY = Vocabulary(
    "time of day",
    {
        value: _one(TIME_OF_DAY, value)
        for value in (
            "dawn",
            "sunrise",
            "morning",
            "midday",
            "afternoon",
            "sunset",
            "dusk",
            "evening",
            "night",
            "late night",
            "day",
        )
    },  # fmt: skip
    {"noon": "midday", "twilight": "dusk"},
)
"""The scene's time of day → ``setup.set_design.backdrop.time_of_day`` (the taxonomy's values, unchanged)."""

ELEMENTS = Vocabulary(
    "weather element",
    {
        value: _one(ELEMENTS_LEAF, value)
        for value in ("rain", "snow", "fog", "wind", "thunder", "smoke", "dust", "ash", "fire")
    },  # fmt: skip
    {"haze": "fog", "mist": "fog", "storm": "thunder"},
)
"""The scene's element → ``setup.set_design.environment.elements`` (the taxonomy's values, unchanged)."""

VOCABULARIES = (SHOT_TYPES, FRAMINGS, CAMERA_MOVEMENTS, LIGHTING, TIMES_OF_DAY, ELEMENTS)
"""Every vocabulary; the tests check each term's pairs against the taxonomy."""

ShotType = Annotated[str, AfterValidator(SHOT_TYPES.canonical)]
FramingTerm = Annotated[str, AfterValidator(FRAMINGS.canonical)]
CameraMovement = Annotated[str, AfterValidator(CAMERA_MOVEMENTS.canonical)]
LightingTerm = Annotated[str, AfterValidator(LIGHTING.canonical)]
TimeOfDay = Annotated[str, AfterValidator(TIMES_OF_DAY.canonical)]
Element = Annotated[str, AfterValidator(ELEMENTS.canonical)]


def _text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_text)]
"""Non-blank text, whitespace collapsed (so a line break inside a JSON string does not reach a prompt)."""


# ------------------------------------------------------------------------------------------------ schema


class _Model(BaseModel):
    # Unknown keys are errors: a misspelt "camera_move" must not silently leave a shot without its movement.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Character(_Model):
    """A character profile: the name dialogue uses, and how they look and carry themselves."""

    name: Text
    description: Text
    """Age, build, face, hair, clothing, demeanour: what keeps them recognisable from shot to shot."""


class Line(_Model):
    """One line of dialogue: ``Name: "line" (note)``."""

    speaker: Text
    """A character's name (or a narrator listed among the characters)."""
    line: Text
    note: Text | None = None
    """An acting note: how the line is delivered ("whispering", "without looking up")."""


class Shot(_Model):
    """One shot node: its time code, how it is filmed, and what happens in it."""

    index: int = Field(ge=1)
    """1-based shot number; shots are numbered 1, 2, 3... in order."""
    start_s: float = Field(ge=0, allow_inf_nan=False)
    """Start of the time code, seconds from the start of the video: 0 for shot 1, the previous shot's end after."""
    end_s: float = Field(allow_inf_nan=False)
    """End of the time code, seconds from the start of the video; the next shot starts here."""
    shot_type: ShotType
    framing: FramingTerm | None = None
    camera_movement: CameraMovement
    lighting: tuple[LightingTerm, ...] = ()
    """Lighting this shot states on top of (or instead of, leaf by leaf) the scene's."""
    action: Text
    dialogue: tuple[Line, ...] = ()
    blocking: Text | None = None
    """Where the characters stand and move in this shot."""

    @field_validator("lighting")
    @classmethod
    def _shot_lighting(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return _one_value_per_leaf(terms)

    @field_validator("end_s")
    @classmethod
    def _after_start(cls, value: float, info: ValidationInfo) -> float:
        start = info.data.get("start_s")
        if start is not None and not value > start:
            raise ValueError(f"{value:g} must be after start_s ({start:g}): a shot lasts a positive time")
        return value

    @property
    def duration(self) -> float:
        return self.end_s - self.start_s

    @property
    def time_code(self) -> str:
        """The paper's ``[Xs-Ys]`` time code."""
        return f"[{self.start_s:g}s-{self.end_s:g}s]"


class Script(_Model):
    """A multi-shot shooting script: one scene, its characters, and its shots in order."""

    id: Text
    title: Text
    genre: Text | None = None
    scene: Text
    """Setting and atmosphere, lighting included, in prose."""
    time_of_day: TimeOfDay | None = None
    element: Element | None = None
    """The weather or atmosphere element present throughout (rain, fog...): one, as the taxonomy leaf takes one."""
    lighting: tuple[LightingTerm, ...] = ()
    """Lighting that holds for the whole scene; a shot's own lighting overrides it leaf by leaf."""
    characters: tuple[Character, ...] = ()
    shots: tuple[Shot, ...] = Field(min_length=1)

    @field_validator("lighting")
    @classmethod
    def _scene_lighting(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        return _one_value_per_leaf(terms)

    @field_validator("characters")
    @classmethod
    def _unique_names(cls, characters: tuple[Character, ...]) -> tuple[Character, ...]:
        seen: set[str] = set()
        for character in characters:
            if character.name in seen:
                raise ValueError(f"two characters are named {character.name!r}; names must be unique")
            seen.add(character.name)
        return characters

    @field_validator("shots")
    @classmethod
    def _timeline(cls, shots: tuple[Shot, ...], info: ValidationInfo) -> tuple[Shot, ...]:
        names = [c.name for c in info.data.get("characters", ())]
        for position, shot in enumerate(shots, start=1):
            if shot.index != position:
                raise ValueError(f"shot {position} has index {shot.index}; shots are numbered 1, 2, 3... in order")
            if position == 1 and not math.isclose(shot.start_s, 0.0, abs_tol=1e-6):
                raise ValueError(f"shot 1 starts at {shot.start_s:g} s; the first shot starts at 0 s")
            if position > 1 and not math.isclose(shot.start_s, shots[position - 2].end_s, abs_tol=1e-6):
                raise ValueError(
                    f"shot {position} starts at {shot.start_s:g} s but shot {position - 1} ends at "
                    f"{shots[position - 2].end_s:g} s; time codes must be contiguous (each shot starts where the "
                    "previous one ends)"
                )
            for line in shot.dialogue:
                if line.speaker not in names:
                    raise ValueError(
                        f"shot {position}: speaker {line.speaker!r} is not a character; characters: "
                        + (", ".join(names) or "none (add the speaker to 'characters')")
                    )
        return shots

    @property
    def duration(self) -> float:
        """Seconds from the first shot's start to the last shot's end."""
        return self.shots[-1].end_s

    def boundaries(self) -> tuple[tuple[float, float], ...]:
        """(start_s, end_s) of every shot, in order."""
        return tuple((shot.start_s, shot.end_s) for shot in self.shots)

    def shot_text(self, i: int) -> str:
        """The text of shot ``i`` (0-based position) for alignment judges such as per-shot VSA.

        Shot type (with framing), camera movement, the action, the shot's own lighting words and its dialogue,
        in that order: ``Close-up, over-the-shoulder, camera pushes in. Mara slides the letter across. Lighting:
        warm light. Mara: "Read it." (quietly)``. Characters, scene and blocking are left out: they are the
        same for every shot, and a CLIP text encoder reads only 77 tokens.
        """
        shot = self.shots[i]
        parts = [_sentence(_camera(shot)), _sentence(shot.action)]
        if shot.lighting:
            parts.append(_sentence("Lighting: " + ", ".join(LIGHTING[term].phrase for term in shot.lighting)))
        parts += [_spoken(line) for line in shot.dialogue]
        return " ".join(parts)

    def shot_spans(self) -> tuple[tuple[str, float, float], ...]:
        """(shot text, start_s, end_s) per shot: what ``MetricVideo.shots`` carries for a video of this script."""
        return tuple((self.shot_text(i), shot.start_s, shot.end_s) for i, shot in enumerate(self.shots))

    def prompt_text(self) -> str:
        """One prompt for a model that makes the whole script as one long video, shot by shot.

        The scene (title, setting, time of day, element, scene lighting), the characters, then one line per
        shot: ``Shot 2 [3s-7s]: Medium shot, camera pushes in. <action> Blocking: <blocking> Lighting: <words>
        Mara: "line" (note)``.
        """
        lines = [self._scene_text()]
        lines += self._character_lines()
        lines += [f"Shot {shot.index} {shot.time_code}: {self._shot_body(shot)}" for shot in self.shots]
        return "\n".join(lines)

    def shot_prompt(self, i: int) -> str:
        """A self-contained prompt for shot ``i`` (0-based) alone, for models that make one video per shot.

        Like the paper's DirectorAgent node prompt: the shot's number and length, the scene, the characters,
        then the shot itself, so that every shot's video is asked for the same scene and people.
        """
        shot = self.shots[i]
        lines = [f"Shot {shot.index} of {len(self.shots)}, {shot.duration:g} seconds.", self._scene_text()]
        lines += self._character_lines()
        lines.append(self._shot_body(shot))
        return "\n".join(lines)

    def controls(self, i: int) -> list[Pair]:
        """Shot ``i``'s (leaf, value) pairs (0-based): its own controls, then the scene's on leaves it leaves unset.

        The shot's pairs come first so that, in :func:`scine_eval.stimuli.resolve_controls`, what the shot
        states wins over what the scene implies.
        """
        own = controls_for_shot(self.shots[i])
        set_here = {leaf for leaf, _ in own}
        return own + [pair for pair in controls_for_scene(self) if pair[0] not in set_here]

    def _character_lines(self) -> list[str]:
        if not self.characters:
            return []
        return ["Characters:"] + [f"- {c.name}: {_sentence(c.description)}" for c in self.characters]

    def _scene_text(self) -> str:
        details = []
        if self.time_of_day:
            details.append(f"Time of day: {self.time_of_day}.")
        if self.element:
            details.append(f"Elements: {self.element}.")
        if self.lighting:
            details.append(_sentence("Lighting: " + ", ".join(LIGHTING[term].phrase for term in self.lighting)))
        return " ".join([_sentence(self.title), _sentence(self.scene), *details])

    def _shot_body(self, shot: Shot) -> str:
        parts = [_sentence(_camera(shot)), _sentence(shot.action)]
        if shot.blocking:
            parts.append(_sentence(f"Blocking: {shot.blocking}"))
        if shot.lighting:
            parts.append(_sentence("Lighting: " + ", ".join(LIGHTING[term].phrase for term in shot.lighting)))
        parts += [_spoken(line) for line in shot.dialogue]
        return " ".join(parts)


def _camera(shot: Shot) -> str:
    size = SHOT_TYPES[shot.shot_type].phrase
    framing = f", {FRAMINGS[shot.framing].phrase}" if shot.framing else ""
    return f"{size[0].upper()}{size[1:]}{framing}, {CAMERA_MOVEMENTS[shot.camera_movement].phrase}"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", '"', "…")) else f"{text}."


def _spoken(line: Line) -> str:
    return f'{line.speaker}: "{line.line}"' + (f" ({line.note})" if line.note else "")


# ------------------------------------------------------------------------------------------------ controls


def controls_for_shot(shot: Shot) -> list[Pair]:
    """The taxonomy (leaf, value) pairs a shot states: shot size, framing, camera movement, then its lighting.

    In that order, one value per leaf; the scene's time of day, element and lighting are added by
    :meth:`Script.controls`. Which of them the synthetic renderer can draw is
    :func:`scine_eval.stimuli.controls.expressible`'s call (framing, tracking, arc, crane, dolly zoom,
    Steadicam and drone are judged but not drawn).
    """
    terms = [SHOT_TYPES[shot.shot_type], CAMERA_MOVEMENTS[shot.camera_movement]]
    if shot.framing:
        terms.insert(1, FRAMINGS[shot.framing])
    terms += [LIGHTING[term] for term in shot.lighting]
    return _unique(pair for term in terms for pair in term.controls)


def controls_for_scene(script: Script) -> list[Pair]:
    """The pairs the scene states for every shot: its lighting, time of day and element."""
    terms = [LIGHTING[term] for term in script.lighting]
    if script.time_of_day:
        terms.append(TIMES_OF_DAY[script.time_of_day])
    if script.element:
        terms.append(ELEMENTS[script.element])
    return _unique(pair for term in terms for pair in term.controls)


def _unique(pairs: Iterable[Pair]) -> list[Pair]:
    return list(dict.fromkeys(pairs))


def _one_value_per_leaf(terms: tuple[str, ...]) -> tuple[str, ...]:
    """``terms`` (lighting words), checked to set each taxonomy leaf once, as a prompt sets one value per leaf."""
    seen: dict[str, str] = {}
    for term in terms:
        for leaf, _ in LIGHTING[term].controls:
            if leaf in seen and seen[leaf] != term:
                raise ValueError(f"{seen[leaf]!r} and {term!r} both set {leaf}; state one value per taxonomy leaf")
            seen[leaf] = term
    return tuple(dict.fromkeys(terms))


# ------------------------------------------------------------------------------------------------ loading


def load_scripts(path: str | Path | None = None) -> tuple[Script, ...]:
    """Reads and validates a JSONL file of scripts, one JSON object per line (the bundled file when ``None``).

    Blank lines are skipped. The first fault raises :class:`ConfigError` naming the file, the 1-based line,
    the script id when it can be read, the key (``shots.1.shot_type`` is the second shot's, with the shot
    number repeated in words) and what would be valid.
    """
    file = Path(path).expanduser() if path is not None else bundled_path(*BUNDLED_SCRIPTS)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("scripts file not found", path=file) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the scripts file: {error}", path=file) from None
    scripts: list[Script] = []
    lines: dict[str, int] = {}
    # Split on "\n" only: str.splitlines would also split at U+2028 and friends, which JSON strings may hold.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"not valid JSON ({error.msg} at column {error.colno}); each line is one script, a JSON object",
                path=file,
                where=where,
            ) from None
        if not isinstance(row, dict):
            raise ConfigError(
                f"a script must be a JSON object ({{...}}), not a JSON {type(row).__name__}", path=file, where=where
            )
        if isinstance(row.get("id"), str):
            where = f"{where} (script {row['id']!r})"
        try:
            script = Script.model_validate(row)
        except ValidationError as error:
            raise ConfigError(_message(error), path=file, where=where) from None
        if script.id in lines:
            raise ConfigError(f"duplicate script id (first on line {lines[script.id]})", path=file, where=where)
        lines[script.id] = number
        scripts.append(script)
    if not scripts:
        raise ConfigError("no scripts: the file is empty (one JSON object per line expected)", path=file)
    return tuple(scripts)


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Script,
    ("characters",): Character,
    ("shots",): Shot,
    ("shots", "dialogue"): Line,
}
"""The model at a key path (list positions left out), to list the valid keys when a key is unknown."""


def _message(error: ValidationError) -> str:
    """The first fault as ``key 'shots.1.shot_type' (shot 2): what is wrong (got ...); what is valid``."""
    first = error.errors()[0]
    loc = first["loc"]
    key = ".".join(str(part) for part in loc)
    kind, message = first["type"], first["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        model = _MODELS.get(tuple(str(part) for part in loc[:-1] if not isinstance(part, int)))
        message = "unknown key" + (f"; valid keys: {', '.join(model.model_fields)}" if model else "")
    elif kind not in ("missing", "value_error") and isinstance(first.get("input"), (str, int, float, bool)):
        message = f"{message} (got {first['input']!r})"
    label = f"key {key!r}"
    if len(loc) > 1 and loc[0] == "shots" and isinstance(loc[1], int):
        label += f" (shot {loc[1] + 1})"
    return f"{label}: {message}" if loc else message
