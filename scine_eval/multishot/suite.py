"""The bundled ``multishot`` suite: one prompt per script, scene-level questions, the scripts beside them.

Each script is one prompt (``suite: multishot``) whose text is the whole script (:meth:`Script.prompt_text`,
for models that make one long video), with one question per leaf the *scene* sets (its lighting, time of
day, weather): what every shot must show, so a judge can ask it of the whole video. What each shot sets
(shot size, camera movement, the shot's own light) differs from shot to shot; that is measured per shot by
the ``vsa`` metric against the script's shot texts, not by a question about the whole video. The folder
holds ``prompts.jsonl``, ``questions.jsonl``, ``scripts.jsonl`` (the hand-written source) and a dataset
card; ``tests/test_multishot_suite.py`` checks the bundled files are what :func:`write_multishot_suite`
writes (``SCINE_UPDATE_SUITE=1`` rewrites them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scine_eval.multishot.script import Script, controls_for_scene, load_scripts
from scine_eval.suites.writer import question_rows, write_suite
from scine_eval.taxonomy import Taxonomy

DESCRIPTION = """Multi-shot scripts after the schema of "The Script is All You Need" (ScriptBench is unreleased):
37 hand-written scripts of 3-6 shots, each with characters, scene, blocking, dialogue and per-shot shot type and
camera movement. Prompts are whole scripts; questions are what the scene sets for every shot; `scripts.jsonl`
holds the shots (see SCRIPTS.md). Run with `--suite multishot --tasks multishot --metrics vsa`."""


def multishot_rows(scripts: Sequence[Script], taxonomy: Taxonomy) -> tuple[list[dict], list[dict]]:
    """Prompt and question rows for ``scripts``, in their order."""
    prompts = [{"id": s.id, "text": s.prompt_text(), "suite": "multishot", "genre": s.genre, "duration": s.duration}
               for s in scripts]  # fmt: skip
    questions = [row for s in scripts for row in question_rows(s.id, controls_for_scene(s), taxonomy)]
    return prompts, questions


def write_multishot_suite(folder: str | Path, taxonomy: Taxonomy) -> Path:
    """Writes prompts, questions and the card of the suite whose ``scripts.jsonl`` is in ``folder``."""
    folder = Path(folder)
    prompts, questions = multishot_rows(load_scripts(folder / "scripts.jsonl"), taxonomy)
    return write_suite(folder, prompts, questions, "SCINE multi-shot scripts", DESCRIPTION)
