"""Training the Bradley-Terry judge: the tiny proof on CPU, and pairs/s and peak memory of one step at full size.

* ``test_tiny_proof``: ``train-judge``'s code on the tiny random Qwen2.5-VL, rendered colour-temperature
  pairs for all three values (the scorer must read the question: warm, neutral or cool), the tiny recipe of
  docs/bt-judge.md. Records validation accuracy, wall time and pairs/s (CPU).
* ``test_pair_step``: one training pair (two clips forward with gradients, backward, as the trainer runs it)
  on a randomly initialised full-size Qwen2.5-VL-7B with LoRA r=64 on the language model, a 5 s 720p clip
  at 2 fps (5,980 video tokens) per side, with and without gradient checkpointing, side by side. Records
  pairs/s, peak GPU memory and the hours the paper's 44,062 training pairs would take on one GPU. Needs
  CUDA; ``SCINE_BENCH_ARCH=small`` runs it on CPU with a reduced architecture to keep it working.

    python -m pytest benchmarks/test_bench_bt_train.py --benchmark-enable -s
"""

from __future__ import annotations

import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from full_size import SMALL, clip, loaded_model, suffix  # noqa: E402

PAPER_TRAIN_PAIRS = 44_062
SUFFIX = 90


@pytest.mark.benchmark(group="bt-train-tiny")
def test_tiny_proof(benchmark, tmp_path):
    from scine_eval.bt.config import TrainConfig
    from scine_eval.bt.synthetic import synthetic_pairs
    from scine_eval.bt.train import train
    from scine_eval.judge_eval.preferences import split_by_prompt
    from scine_eval.testing import make_tiny_qwen25vl

    started = time.perf_counter()
    base = make_tiny_qwen25vl(tmp_path / "tiny")
    pairs = synthetic_pairs(["lighting.color_temperature"], range(24), tmp_path / "stimuli")
    split = split_by_prompt(pairs, validation_fraction=0.25)
    config = TrainConfig(base=str(base), output_dir=str(tmp_path / "scorer"), epochs=8, lr=3e-3, lora_r=8,
                         lora_alpha=16, loss="bt", max_pixels=28 * 28 * 16)  # fmt: skip
    report = benchmark.pedantic(lambda: train(config, split.train, split.validation)[1], rounds=1, iterations=1)
    wall = time.perf_counter() - started
    threads = torch.get_num_threads()
    benchmark.extra_info.update(
        train_pairs=len(split.train),
        validation_pairs=len(split.validation),
        validation_accuracy=report["validation_accuracy"],
        validation_curve=[round(v["accuracy"], 3) for v in report["validation_curve"]],
        pairs_per_second=report["pairs_per_second"],
        wall_seconds_including_fixture_and_rendering=round(wall, 1),
        threads=threads,
    )
    print(f"\ntiny proof: validation accuracy {report['validation_accuracy']:.3f} on {len(split.validation)} pairs, "
          f"{report['pairs_per_second']:.1f} pairs/s, {wall:.0f} s in all on {threads} threads")  # fmt: skip
    assert report["validation_accuracy"] >= 0.9


@pytest.fixture(scope="module")
def scorer():
    if not SMALL and not torch.cuda.is_available():
        pytest.skip("the full-size step needs a CUDA GPU (SCINE_BENCH_ARCH=small runs it on CPU)")
    from scine_eval.bt.config import ScorerConfig
    from scine_eval.bt.scorer import Scorer

    scorer = Scorer.attach(loaded_model(), ScorerConfig(base="random Qwen2.5-VL-7B"), {"r": 64, "lora_alpha": 128})
    scorer.train()
    return scorer


@pytest.mark.parametrize("checkpointing", [False, True], ids=["plain", "gradient-checkpointing"])
@pytest.mark.benchmark(group="bt-train-7b")
def test_pair_step(benchmark, scorer, checkpointing):
    from scine_eval.bt.loss import rao_kupper

    model = scorer.loaded.model
    if checkpointing:
        scorer.enable_gradient_checkpointing()
    else:
        model.gradient_checkpointing_disable()
    generator = torch.Generator().manual_seed(0)
    chosen, rejected = (clip(model.config, model.dtype, generator) for _ in range(2))
    question = suffix(generator, SUFFIX)

    def step():
        a = scorer.raw_with_grad(chosen, question)
        b = scorer.raw_with_grad(rejected, question)
        rao_kupper(a[None], b[None], torch.tensor([False], device=a.device)).backward()
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    benchmark.pedantic(step, rounds=3, warmup_rounds=1)
    model.zero_grad(set_to_none=True)
    if benchmark.stats is None:  # --benchmark-disable: ran once as a smoke test
        return
    pairs_per_second = 1 / benchmark.stats.stats.median
    benchmark.extra_info.update(
        pairs_per_second=round(pairs_per_second, 3),
        video_tokens_per_clip=int((chosen.prefix_ids == model.config.video_token_id).sum()),
        lora_parameters=sum(p.numel() for p in scorer.peft_model.parameters() if p.requires_grad),
        peak_memory_gib=round(torch.cuda.max_memory_allocated() / 2**30, 1) if torch.cuda.is_available() else None,
        paper_train_pairs_hours_one_gpu=round(PAPER_TRAIN_PAIRS / pairs_per_second / 3600, 1),
    )
    print(f"\n{'checkpointing' if checkpointing else 'plain'}: {pairs_per_second:.3f} pairs/s, "
          f"{benchmark.extra_info['peak_memory_gib']} GiB peak, "
          f"{benchmark.extra_info['paper_train_pairs_hours_one_gpu']} h for 44,062 pairs on one GPU")  # fmt: skip
