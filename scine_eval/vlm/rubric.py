"""The rating request a VLM judge answers: versioned text, hashed into the judge's fingerprint.

Tasks name a rubric by id (``rubric: scine-1-5`` in a task family). The wording follows the paper's
expert study: one video, its generation prompt and one question, rated 1-5. The study's own rater
anchors were not published (see ../shared/reference/scine-paper.md), so the anchors below are ours;
changing any character changes the rubric's hash and therefore every cached judgement's key.

The score is read from the next-token distribution over the answers "1".."5" after the assistant
turn opens, so there is nothing to parse and nothing to fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scine_eval.errors import ConfigError, suggest
from scine_eval.fingerprint import fingerprint

__all__ = ["RUBRICS", "Rubric", "get_rubric"]


@dataclass(frozen=True)
class Rubric:
    """A system message, a user message around the video, and the answer options in score order."""

    id: str
    version: str
    system: str
    user: str
    """Formatted with ``prompt`` (the generation prompt) and ``question`` (the node's question)."""
    answers: tuple[str, ...] = ("1", "2", "3", "4", "5")

    @property
    def sha256(self) -> str:
        return fingerprint([self.id, self.version, self.system, self.user, list(self.answers)])

    def messages(self, prompt: str, question: str) -> list[dict[str, Any]]:
        """Chat messages with the video first in the user turn, so every question shares the video prefix."""
        return [
            {"role": "system", "content": [{"type": "text", "text": self.system}]},
            {
                "role": "user",
                "content": [
                    {"type": "video"},
                    {"type": "text", "text": self.user.format(prompt=prompt, question=question)},
                ],
            },
        ]


_SCINE_SYSTEM = """\
You are an expert film director and cinematographer reviewing shots made by a video generation model.
You judge whether one specific filmmaking control was carried out as requested, and nothing else:
ignore image quality, artefacts and every other part of the prompt unless the question is about them.

Rate on this scale:
1 - Not at all: the requested control is absent, or the opposite happens.
2 - Slightly: there are faint or brief traces of it, but a professional would not accept it.
3 - Partly: it is recognisable but clearly incomplete, inconsistent or imprecise.
4 - Mostly: it is carried out well, with minor deviations.
5 - Exactly as asked: a professional would accept it without changes.

Answer with the digit only."""

_SCINE_USER = """\
The video was generated from this prompt:
{prompt}

Question: {question}
How well does the video satisfy the question? Answer 1, 2, 3, 4 or 5."""

RUBRICS: dict[str, Rubric] = {r.id: r for r in (Rubric("scine-1-5", "1", _SCINE_SYSTEM, _SCINE_USER),)}
"""Rubrics by id. A task family may name any of these."""


def get_rubric(rubric_id: str) -> Rubric:
    """The rubric a task names.

    Raises:
        ConfigError: unknown id, with the known ones.
    """
    try:
        return RUBRICS[rubric_id]
    except KeyError:
        close = suggest(rubric_id, RUBRICS)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown rubric {rubric_id!r}{hint}; known rubrics: {', '.join(sorted(RUBRICS))}") from None
