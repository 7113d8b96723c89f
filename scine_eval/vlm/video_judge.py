"""What every judge built on :class:`~scine_eval.vlm.engine.VideoLM` shares: one encoding per video, decoded ahead.

A subclass says how an item becomes chat text (:meth:`VideoLMJudge.chat`) and how the last-token states
become judgements (:meth:`VideoLMJudge.read`); grouping by video, background decoding of the next batch,
per-video and per-question abstentions and prefix reuse live here. The zero-shot ``qwen2.5-vl`` judge reads
the language-model head's answer-token probabilities; the ``bt`` judge reads its trained linear head.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from scine_eval.contracts.arguments import PositiveInt
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement
from scine_eval.errors import ConfigError, VideoError
from scine_eval.vlm.engine import MODES, ContextOverflowError, EncodedVideo, Query, VideoLM

if TYPE_CHECKING:
    import torch

__all__ = ["Asked", "Batching", "VideoLMJudge"]


@dataclass(frozen=True)
class Batching:
    """How a VLM judge batches (``--judge_args`` fields; none of them changes a score).

    Attributes:
        mode: ``batched`` (default), ``sequential`` (least memory) or ``independent`` (no prefix reuse).
        suffix_batch: questions per forward against a video's cached prefix in ``batched`` mode.
        videos_per_batch: videos handed over together; their prefixes run as one batch when their lengths agree.
        decode_workers: threads decoding and preprocessing videos (PyAV and the processor release the GIL), so
            a 720p clip's ~0.4 s of preprocessing is hidden behind the GPU's forward passes.
        prefetch_batches: batches decoded ahead of the one being scored.
    """

    mode: Literal["batched", "sequential", "independent"] = "batched"
    suffix_batch: PositiveInt = 8
    videos_per_batch: PositiveInt = 2
    decode_workers: PositiveInt = 2
    prefetch_batches: PositiveInt = 2

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode={self.mode!r}; valid modes are {', '.join(MODES)}")
        if min(self.suffix_batch, self.videos_per_batch, self.decode_workers, self.prefetch_batches) < 1:
            raise ConfigError("suffix_batch, videos_per_batch, decode_workers and prefetch_batches must be at least 1")


@dataclass(frozen=True)
class Asked:
    """One question put to the model: the item, its video's encoding and the suffix query."""

    item: JudgeItem
    video: EncodedVideo
    query: Query


class VideoLMJudge(Judge):
    """Base of the VLM judges: subclasses set ``lm``, call :meth:`set_batching` and :meth:`start_decoding`."""

    lm: VideoLM
    mode: str = "batched"
    suffix_batch: int = 8
    decode_workers: int = 1

    @abstractmethod
    def chat(self, item: JudgeItem) -> str:
        """The full chat text asking ``item`` (video first), with the generation prompt."""

    @abstractmethod
    def read(self, states: torch.Tensor, asked: Sequence[Asked]) -> list[Judgement]:
        """Judgements from the ``(len(asked), hidden)`` last-token states, in order."""

    def set_batching(self, batching: Batching) -> None:
        """Keeps the prefix-reuse mode and batch sizes (checked when ``batching`` was made)."""
        self.mode, self.suffix_batch = batching.mode, batching.suffix_batch
        self.videos_per_batch, self.prefetch_batches = batching.videos_per_batch, batching.prefetch_batches
        self.decode_workers = batching.decode_workers

    def start_decoding(self) -> None:
        self._workers = ThreadPoolExecutor(max_workers=self.decode_workers, thread_name_prefix="scine-eval-decode")
        self._pending: dict[tuple[str, str], Future[EncodedVideo]] = {}

    def prefetch(self, items: Sequence[JudgeItem]) -> None:
        for key, group in _by_video(items).items():
            if key not in self._pending:
                self._pending[key] = self._workers.submit(self._encode, group[0])

    def score(self, items: Sequence[JudgeItem]) -> list[Judgement]:
        import torch

        self.prefetch(items)
        videos: list[EncodedVideo] = []
        asked: list[Asked] = []
        out: dict[int, Judgement] = {}
        position = {id(item): i for i, item in enumerate(items)}
        for key, group in _by_video(items).items():
            try:
                video = self._pending.pop(key).result()
            except (VideoError, ContextOverflowError) as error:
                for item in group:
                    out[position[id(item)]] = Judgement.abstain(str(error))
                continue
            videos.append(video)
            for item in group:
                if not item.question.text.strip():
                    out[position[id(item)]] = Judgement.abstain(
                        f"question {item.question.id!r} on {item.node.id} has no text to ask"
                    )
                    continue
                _, suffix = self.lm.split(self.chat(item))
                asked.append(Asked(item, video, Query(len(videos) - 1, self.lm.tokenize(suffix))))
        if asked:
            with torch.inference_mode():
                states = self.lm.states(videos, [a.query for a in asked], self.mode, self.suffix_batch)
                for one, judgement in zip(asked, self.read(states, asked), strict=True):
                    out[position[id(one.item)]] = judgement
        return [out[i] for i in range(len(items))]

    def close(self) -> None:
        self._workers.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()

    def _encode(self, item: JudgeItem) -> EncodedVideo:
        prefix, _ = self.lm.split(self.chat(item))
        return self.lm.encode(item.video, prefix)


def _by_video(items: Sequence[JudgeItem]) -> dict[tuple[str, str], list[JudgeItem]]:
    """Items keyed by (video, rubric): one prefix each."""
    groups: dict[tuple[str, str], list[JudgeItem]] = {}
    for item in items:
        groups.setdefault((item.video_sha256, item.rubric), []).append(item)
    return groups
