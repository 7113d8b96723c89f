"""Multi-shot scripts in a run: the bundled suite, shots rendered with cuts at their time codes, and VSA.

VSA is shown to measure *per-shot* alignment with a tiny CLIP fine-tuned here (contrastively, for a few
seconds) on frames of three scripts' shots and their shot texts: on those scripts the aligned value must beat
the shuffled-shot control by a wide margin, and an untrained CLIP of the same shape must show almost no gap.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from scine_eval import evaluate
from scine_eval.errors import ConfigError
from scine_eval.measure import metric_videos
from scine_eval.multishot.render import render_script_frames
from scine_eval.multishot.script import load_scripts
from scine_eval.multishot.suite import write_multishot_suite
from scine_eval.readers import bundled_path
from scine_eval.store import VideoRecord
from scine_eval.suite import load_suite
from tests.helpers import tiny_clip

torch = pytest.importorskip("torch")

BUNDLED = bundled_path("suites", "multishot")
RENDER = "fps=4,size=64"
TRAINED = 3
"""The first scripts, whose shots the tiny CLIP is fine-tuned on."""


def test_the_bundled_suite_is_what_the_generator_writes(taxonomy, tmp_path):
    folder = tmp_path / "multishot"
    shutil.copytree(BUNDLED, folder)
    write_multishot_suite(folder, taxonomy)
    if os.environ.get("SCINE_UPDATE_SUITE") == "1":
        write_multishot_suite(BUNDLED, taxonomy)
    for name in ("prompts.jsonl", "questions.jsonl", "README.md"):
        assert (folder / name).read_text() == (BUNDLED / name).read_text(), f"{name} is stale: SCINE_UPDATE_SUITE=1"


def test_every_script_is_a_prompt_with_scene_questions(taxonomy):
    suite = load_suite("multishot", taxonomy)
    assert len(suite.prompts) == len(suite.scripts) == len(load_scripts()) >= 30
    for prompt_id in suite.scripts:
        assert suite.prompts[prompt_id].suite == "multishot" and "Shot 1" in suite.prompts[prompt_id].text
        assert suite.controls(prompt_id)  # the scene sets something every shot must show


def test_scripts_and_prompts_must_pair(taxonomy, tmp_path):
    folder = tmp_path / "ms"
    shutil.copytree(BUNDLED, folder)
    lines = (folder / "scripts.jsonl").read_text().splitlines()
    (folder / "scripts.jsonl").write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(ConfigError, match="ms-001.*without a script"):
        load_suite(str(folder), taxonomy)
    stray = json.loads(lines[0]) | {"id": "ms-999"}
    (folder / "scripts.jsonl").write_text("\n".join([*lines, json.dumps(stray)]) + "\n")
    with pytest.raises(ConfigError, match="scripts without a prompt: ms-999"):
        load_suite(str(folder), taxonomy)


def test_a_video_without_reported_shots_takes_the_script_time_codes(taxonomy, tmp_path):
    suite = load_suite("multishot", taxonomy)
    record = VideoRecord("ms-002", 0, 0, str(tmp_path / "v.mp4"), sha256="x")
    [video] = metric_videos({("ms-002", 0): record}, suite)
    assert video.shots == suite.scripts["ms-002"].shot_spans() and video.text == suite.prompts["ms-002"].text


def _clip(folder: Path, steps: int) -> str:
    """A tiny CLIP, fine-tuned for ``steps`` on the first scripts' shot frames and texts (0: left random)."""
    model, processor = tiny_clip(width=32, projection=16)
    if steps:
        frames, texts = [], []
        for script in load_scripts()[:TRAINED]:
            video, shots = render_script_frames(script, 0, fps=4, size=64)
            first = 0
            for i, shot in enumerate(shots):
                clip, first = video[first : first + shot.frames], first + shot.frames
                for k in np.linspace(0, len(clip) - 1, 3).astype(int):
                    frames.append(clip[k])
                    texts.append(script.shot_text(i))
        batch = processor(text=texts, images=frames, return_tensors="pt", padding=True, truncation=True,
                          max_length=77)  # fmt: skip
        optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3)
        for _ in range(steps):
            loss = model(**batch, return_loss=True).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval().save_pretrained(folder)
    processor.save_pretrained(folder)
    return str(folder)


def test_vsa_in_a_run_scores_aligned_shots_above_the_shuffled_control(tmp_path):
    trained, untrained = _clip(tmp_path / "trained", 150), _clip(tmp_path / "random", 0)
    output = evaluate(suite="multishot", tasks=["multishot"], limit=1, model_args=RENDER, bootstrap_iters=10,
                      metrics=[f"vsa:clip={trained}", f"vsa:clip={untrained}"], output_path=None,
                      cache_dir=str(tmp_path / "cache"))  # fmt: skip
    suite_scripts = {s.id: s for s in load_scripts()}
    rows = [r for rows in output.samples.values() for r in rows if r["video_metadata"].get("shots")]
    for row in rows:  # the renderer cut where the script says (4 fps: every time code is on a frame)
        spans = [(start, end) for _, start, end in row["video_metadata"]["shots"]]
        assert spans == list(suite_scripts[row["prompt_id"]].boundaries())

    fitted, control = (output.record.metrics[f"vsa:clip={c}"] for c in (trained, untrained))
    per_video = {r["prompt_id"]: r for r in fitted.details["per_video"]}
    seen = [s.id for s in load_scripts()[:TRAINED]]
    assert set(seen) <= set(per_video) and fitted.details["n_multi_shot"] == fitted.n_videos >= 5
    for script in seen:  # the shots the CLIP learned: each frame matches its own shot's text best
        assert per_video[script]["value"] > per_video[script]["shuffled"] + 0.1, per_video[script]
    assert fitted.details["gap"] > 0.05
    assert abs(control.details["gap"]) < fitted.details["gap"] / 2  # a random CLIP: no alignment to measure
