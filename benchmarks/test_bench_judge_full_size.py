"""Prefix reuse on a full-size, randomly initialised Qwen2.5-VL-7B (needs a CUDA GPU; skipped without).

The model is built from the 7B's real architecture (:mod:`scine_eval.vlm.presets`) with random bf16
weights: no download. A 5 s 720p clip at 2 fps (5,980 video tokens) is stood in for by random patches
of the right shape, with 8 questions of 90 tokens, scored ``independent`` vs ``batched`` in one run.
Reported per mode in ``extra_info``: videos/s and the fraction of the GPU's dense bf16 peak
(``SCINE_BENCH_PEAK_TFLOPS``, default 989 for an H100 SXM) achieved, counting 2 FLOPs per parameter
per token for the language model and the vision tower plus attention's quadratic term.

``SCINE_BENCH_ARCH=small`` runs the same code on a reduced architecture on CPU, to keep it working.
"""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")

from full_size import SMALL, clip, loaded_model, suffix  # noqa: E402

from scine_eval.vlm.engine import EncodedVideo, Query, VideoLM  # noqa: E402
from scine_eval.vlm.spec import InputSpec  # noqa: E402

QUESTIONS, SUFFIX = 8, 90
if not SMALL and not torch.cuda.is_available():
    pytest.skip("full-size 7B benchmark needs a CUDA GPU", allow_module_level=True)


@pytest.fixture(scope="module")
def setup():
    loaded = loaded_model()
    lm = VideoLM(loaded, InputSpec())
    generator = torch.Generator().manual_seed(0)
    video = clip(loaded.model.config, loaded.model.dtype, generator)
    queries = [Query(0, suffix(generator, SUFFIX)) for _ in range(QUESTIONS)]
    return lm, video, queries, loaded.model.config


def _flops(config, video: EncodedVideo, tokens: int, vision_runs: int) -> float:
    text = config.text_config
    per_token = 2 * (text.num_hidden_layers * (4 * text.hidden_size**2 + 3 * text.hidden_size * text.intermediate_size))
    attention = 2 * text.num_hidden_layers * text.hidden_size * tokens * len(video.prefix_ids)
    vision = config.vision_config
    patches = int(video.video_grid_thw.prod())
    vision_flops = (
        2 * patches * vision.depth * (4 * vision.hidden_size**2 + 3 * vision.hidden_size * vision.intermediate_size)
    )
    return per_token * tokens + attention + vision_runs * vision_flops


@pytest.mark.parametrize("mode", ["independent", "batched"])
@pytest.mark.benchmark(group="prefix-reuse-7b")
def test_full_size_8_questions(benchmark, setup, mode):
    lm, video, queries, config = setup

    def run():
        lm.states([video], queries, mode)
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    if benchmark.stats is None:  # --benchmark-disable: ran once as a smoke test
        return
    seconds = benchmark.stats.stats.median
    P, S = len(video.prefix_ids), SUFFIX
    tokens = QUESTIONS * (P + S) if mode == "independent" else P + QUESTIONS * S
    flops = _flops(config, video, tokens, QUESTIONS if mode == "independent" else 1)
    peak = float(os.environ.get("SCINE_BENCH_PEAK_TFLOPS", "989")) * 1e12
    benchmark.extra_info.update(
        videos_per_s=round(1 / seconds, 3),
        prefilled_tokens=tokens,
        tflops=round(flops / seconds / 1e12, 1),
        fraction_of_bf16_peak=round(flops / seconds / peak, 3),
        peak_memory_gib=round(torch.cuda.max_memory_allocated() / 2**30, 1) if torch.cuda.is_available() else None,
    )
    print(f"\n{mode}: {1 / seconds:.3f} videos/s, {tokens} tokens, {flops / seconds / 1e12:.1f} TFLOP/s")
