"""Prefix reuse for the zero-shot VLM judge: one video, 8 questions, three ways, side by side.

Group "prefix-reuse" runs the same 8 questions about one 16-frame 224x224 clip (512 video tokens) on the
"small" random Qwen2.5-VL fixture: ``independent`` is one full forward per question (vision tower
included), ``sequential`` encodes the video once and runs the suffixes one by one against the cached
prefix, ``batched`` runs them as one padded batch. Read the ratios against ``independent``; every row
also checks that its states equal the independent ones (the judge's scores to 1e-4).

``test_prefilled_tokens_real_7b`` prints how many tokens are prefilled per video for the real 7B at
the paper's 6.4 questions per video, with and without reuse.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scine_eval.testing import make_tiny_qwen25vl  # noqa: E402
from scine_eval.video import write_video  # noqa: E402
from scine_eval.vlm.engine import Query, VideoLM  # noqa: E402
from scine_eval.vlm.loading import LoadOptions, load_vlm  # noqa: E402
from scine_eval.vlm.memory import video_tokens  # noqa: E402
from scine_eval.vlm.rubric import RUBRICS  # noqa: E402
from scine_eval.vlm.spec import InputSpec  # noqa: E402

QUESTIONS = 8
PAPER_QUESTIONS_PER_VIDEO = 13_457 / 2_089  # 6.44: unique questions over prompts in the paper


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    loaded = load_vlm(LoadOptions(str(make_tiny_qwen25vl(root / "small", size="small", layout="hub"))))
    lm = VideoLM(loaded, InputSpec(max_pixels=28 * 28 * 64))
    frames = np.random.default_rng(0).integers(0, 256, (16, 224, 224, 3), dtype=np.uint8)
    path = write_video(root / "clip.mp4", frames, fps=2.0)
    rubric = RUBRICS["scine-1-5"]
    texts = [
        loaded.processor.apply_chat_template(
            rubric.messages("A slow dolly in on a lighthouse at dusk, warm key light.", f"Question {i}: is it so?"),
            tokenize=False,
            add_generation_prompt=True,
        )
        for i in range(QUESTIONS)
    ]
    video = lm.encode(path, lm.split(texts[0])[0])
    assert video.video_tokens >= 512
    queries = [Query(0, lm.tokenize(lm.split(t)[1])) for t in texts]
    reference = lm.states([video], queries, "independent")
    return lm, video, queries, reference


@pytest.mark.parametrize("mode", ["independent", "sequential", "batched"])
@pytest.mark.benchmark(group="prefix-reuse")
def test_eight_questions_one_video(benchmark, setup, mode):
    lm, video, queries, reference = setup
    states = benchmark.pedantic(lm.states, args=([video], queries, mode), rounds=10, warmup_rounds=1)
    logits = lm.model.lm_head(states).log_softmax(-1)
    expected = lm.model.lm_head(reference).log_softmax(-1)
    assert (logits - expected).abs().max().item() < 1e-4
    benchmark.extra_info.update(prefix_tokens=len(video.prefix_ids), video_tokens=video.video_tokens)


def test_prefilled_tokens_real_7b(capsys):
    """Tokens prefilled per video for a 5 s 720p clip on Qwen2.5-VL-7B at 6.44 questions per video."""
    video = video_tokens(seconds=5.0, fps=2.0, width=1280, height=720)  # 5 x 26 x 46 = 5,980
    text_prefix, suffix = 230, 90  # rubric system text + template; prompt + question (about 4 characters/token)
    prefix = video + 2 + text_prefix
    without = PAPER_QUESTIONS_PER_VIDEO * (prefix + suffix)
    with_reuse = prefix + PAPER_QUESTIONS_PER_VIDEO * suffix
    with capsys.disabled():
        print(
            f"\n7B, 5 s 720p at 2 fps: {video} video tokens, prefix {prefix}, suffix ~{suffix}; "
            f"{PAPER_QUESTIONS_PER_VIDEO:.2f} questions/video: {without:,.0f} tokens prefilled without reuse, "
            f"{with_reuse:,.0f} with: {without / with_reuse:.2f}x fewer"
        )
    assert without / with_reuse >= 5
