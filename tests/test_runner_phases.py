"""The runner's phases as a GPU model needs them.

The generator is closed before the judge is built, and requests reach ``generate`` in batches of the adapter's
``batch_size``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scine_eval import evaluate
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement
from scine_eval.contracts.model import GeneratedVideo, GenerationRequest, ModelAdapter
from scine_eval.video import write_video
from tests.helpers import clip

EVENTS: list[str] = []


class BatchingAdapter(ModelAdapter):
    """Writes a tiny clip per request; records each call's batch size and its close()."""

    def __init__(self, batch_size: int = 3, fail_prompt: str = ""):
        self.batch_size, self.fail_prompt = batch_size, fail_prompt

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        EVENTS.append(f"generate:{len(requests)}")
        if any(r.prompt_id == self.fail_prompt for r in requests):
            raise RuntimeError("CUDA out of memory (simulated)")
        return [GeneratedVideo(r, write_video(r.output_path, clip(r.seed), fps=4)) for r in requests]

    def close(self) -> None:
        EVENTS.append("model closed")


class RecordingJudge(Judge):
    def __init__(self):
        EVENTS.append("judge built")

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        return [Judgement(3.0) for _ in items]


def _run(tmp_path, **model_args):
    EVENTS.clear()
    args = ",".join(f"{k}={v}" for k, v in model_args.items())
    return evaluate(model=f"{__name__}:BatchingAdapter", model_args=args, judge=f"{__name__}:RecordingJudge",
                    tasks=["camera.trajectory.movement_2d"], output_path=None, bootstrap_iters=0,
                    cache_dir=str(tmp_path / "cache"))  # fmt: skip


def test_the_judge_is_built_after_the_generator_is_closed(tmp_path):
    _run(tmp_path)
    assert EVENTS.index("model closed") < EVENTS.index("judge built")
    assert EVENTS.count("judge built") == 1


def test_requests_arrive_in_batches_of_the_adapters_batch_size(tmp_path):
    output = _run(tmp_path, batch_size=3)
    sizes = [int(e.split(":")[1]) for e in EVENTS if e.startswith("generate:")]
    planned = output.results["videos"]["planned"]
    assert sum(sizes) == planned and max(sizes) == 3 and all(s == 3 for s in sizes[:-1])


def test_a_failing_batch_fails_only_its_own_requests(tmp_path):
    first = _run(tmp_path, batch_size=2)
    victim = sorted({r["prompt_id"] for rows in first.samples.values() for r in rows})[0]
    output = _run(tmp_path / "again", batch_size=2, fail_prompt=victim)
    failures = output.results["videos"]["failures"]
    assert 1 <= len(failures) <= 2 and all("out of memory" in f["error"] for f in failures)
    assert output.results["videos"]["usable"] == output.results["videos"]["planned"] - len(failures)
