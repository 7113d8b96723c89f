"""Writing a suite folder in Hub-repository layout: prompts.jsonl, questions.jsonl and a dataset card.

The folder loads with :func:`scine_eval.suite.load_suite` (or ``datasets.load_dataset(folder, "prompts")``)
and can be pushed to the Hub as a dataset repository unchanged. Questions are generated here from the
taxonomy's per-leaf templates, one per (prompt, leaf), naming the value the prompt asks for.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scine_eval.taxonomy import Taxonomy

CARD = """---
pretty_name: {pretty_name}
license: apache-2.0
language:
- en
task_categories:
- text-to-video
configs:
- config_name: prompts
  data_files:
  - split: test
    path: prompts.jsonl
- config_name: questions
  data_files:
  - split: test
    path: questions.jsonl
---

# {pretty_name}

{description}

Two configs, each with a `test` split:

- `prompts`: `id`, `text`, `suite` (`scripts`|`visuals`), `role`, `difficulty`, `genre`, `duration` (s);
- `questions`: `id` (`{{prompt_id}}:{{node_id}}`), `prompt_id`, `node_id`, `value`, `text`.

Each question names one leaf of the SCINE taxonomy and the value the prompt asks for, worded from the
leaf's template for an expert rater; a judge answers it on the 1-5 scale. Made with
[scine-eval](https://pypi.org/project/scine-eval/); this folder has the layout of a Hub dataset repository,
so `datasets.load_dataset(path, "prompts", split="test")` reads it the same way from disk or from the Hub.
"""


def question_rows(prompt_id: str, controls: Iterable[tuple[str, str]], taxonomy: Taxonomy) -> list[dict[str, str]]:
    """One question per leaf (the first value given wins), from the taxonomy's templates."""
    rows, seen = [], set()
    for node_id, value in controls:
        if node_id in seen:
            continue
        seen.add(node_id)
        rows.append({"id": f"{prompt_id}:{node_id}", "prompt_id": prompt_id, "node_id": node_id, "value": value,
                     "text": taxonomy[node_id].question_for(value)})  # fmt: skip
    return rows


def write_suite(
    folder: str | Path,
    prompts: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    pretty_name: str,
    description: str,
) -> Path:
    """Writes the three files atomically (each replaced only when complete); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "prompts.jsonl", "".join(json.dumps(dict(row), ensure_ascii=False) + "\n" for row in prompts))
    _write(folder / "questions.jsonl", "".join(json.dumps(dict(row), ensure_ascii=False) + "\n" for row in questions))
    _write(folder / "README.md", CARD.format(pretty_name=pretty_name, description=description.strip()))
    return folder


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)
