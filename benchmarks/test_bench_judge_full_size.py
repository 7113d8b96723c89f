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


def _flops(config, video: EncodedVideo, mode: str) -> float:
    """Dense FLOPs of scoring one video's ``QUESTIONS`` questions (2 per multiply-add).

    Language model, per layer: the projections count 2 FLOPs per weight per token, with grouped-query
    attention's narrow K and V (``2h² + 2h·kv``, not ``4h²``) and the gated MLP (``3h·i``); causal attention
    counts ``4h`` per (query, visible key) pair: a prefix of P tokens attends to ``P²/2`` pairs, a suffix
    of S tokens after it to ``S·(P + S/2)``. ``independent`` runs prefix + suffix per question; ``batched``
    runs the prefix once and every suffix against it. The vision tower (full attention in a few layers,
    windows elsewhere) counts its projections and MLP per patch, once per pass over the video.
    """
    text, vision = config.text_config, config.vision_config
    h, layers = text.hidden_size, text.num_hidden_layers
    kv = text.num_key_value_heads * (h // text.num_attention_heads)
    per_token = 2 * layers * (2 * h * h + 2 * h * kv + 3 * h * text.intermediate_size)
    P, S = len(video.prefix_ids), SUFFIX

    def causal(queries: int, before: int) -> float:  # pairs of `queries` new tokens after `before` cached ones
        return queries * before + queries * queries / 2

    if mode == "independent":
        tokens, pairs, vision_runs = QUESTIONS * (P + S), QUESTIONS * causal(P + S, 0), QUESTIONS
    else:
        tokens, pairs, vision_runs = P + QUESTIONS * S, causal(P, 0) + QUESTIONS * causal(S, P), 1
    patches = int(video.video_grid_thw.prod())
    vision_flops = 2 * patches * vision.depth * (4 * vision.hidden_size**2
                                                 + 3 * vision.hidden_size * vision.intermediate_size)  # fmt: skip
    return per_token * tokens + 4 * h * layers * pairs + vision_runs * vision_flops


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
    flops = _flops(config, video, mode)
    peak = float(os.environ.get("SCINE_BENCH_PEAK_TFLOPS", "989")) * 1e12
    benchmark.extra_info.update(
        videos_per_s=round(1 / seconds, 3),
        prefilled_tokens=tokens,
        tflops=round(flops / seconds / 1e12, 1),
        fraction_of_bf16_peak=round(flops / seconds / peak, 3),
        peak_memory_gib=round(torch.cuda.max_memory_allocated() / 2**30, 1) if torch.cuda.is_available() else None,
    )
    print(f"\n{mode}: {1 / seconds:.3f} videos/s, {tokens} tokens, {flops / seconds / 1e12:.1f} TFLOP/s")
