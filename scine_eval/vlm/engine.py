"""Last-token states of (video, question) sequences, with the video encoded once for all its questions.

A judge prompt is ``prefix + suffix``: the prefix (system message, user turn up to and including the
video) is the same for every question about a video and holds nearly all the tokens (about 6,000 for
a 5 s 720p clip at 2 fps against about 100 for a question). So the vision tower and the prefix run
once per video; each question's suffix then runs against the cached keys and values:

* ``batched``: the prefixes of several videos run as one batch (when their lengths agree); suffixes
  run in right-padded batches of ``suffix_batch`` against copies of their video's cache rows.
* ``sequential``: one video at a time, one suffix at a time, cropping the cache back to the prefix
  after each. The least memory: one prefix cache, nothing copied.
* ``independent``: every question as its own full forward, video included. The reference the other
  two are tested against, and the path training uses (it needs gradients through everything).

Positions are the 3-D M-RoPE ids of each *full* sequence (:func:`~scine_eval.vlm.mrope.rope_positions`),
sliced for the prefix and the suffix and passed explicitly, which is what makes the three modes agree
(to 1e-6 on the tiny fixture; the test asserts 1e-4 on the scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scine_eval.video import decode
from scine_eval.vlm.loading import LoadedVLM
from scine_eval.vlm.mrope import rope_positions
from scine_eval.vlm.spec import InputSpec

if TYPE_CHECKING:
    import torch

__all__ = ["MODES", "ContextOverflowError", "EncodedVideo", "Query", "VideoLM"]

Mode = Literal["batched", "sequential", "independent"]
MODES: tuple[str, ...] = ("batched", "sequential", "independent")

VIDEO_END = "<|vision_end|>"
"""The prefix ends with the video: everything up to this marker is shared by a video's questions."""


class ContextOverflowError(ValueError):
    """A clip needs more tokens than the model's context holds."""


@dataclass
class EncodedVideo:
    """A video ready for the model: the prefix tokens and the processor's tensors (on CPU).

    Attributes:
        prefix_ids: ``(P,)`` tokens of the shared prefix, the video expanded to its placeholders.
        pixel_values_videos: the processor's patches.
        video_grid_thw: ``(1, 3)`` patch grid (time steps, height and width in patches).
        second_per_grid_ts: ``(1,)`` seconds per time step.
        frames: frames sampled from the file; fps: their rate; size: ``(width, height)`` after resizing.
    """

    prefix_ids: torch.Tensor
    pixel_values_videos: torch.Tensor
    video_grid_thw: torch.Tensor
    second_per_grid_ts: torch.Tensor
    frames: int
    fps: float
    size: tuple[int, int]

    @property
    def video_tokens(self) -> int:
        t, h, w = (int(x) for x in self.video_grid_thw[0])
        return t * h * w // 4

    def describe(self) -> dict[str, Any]:
        """JSON-able, for a judgement's raw output."""
        t, h, w = (int(x) for x in self.video_grid_thw[0])
        return {
            "frames": self.frames,
            "fps": self.fps,
            "size": list(self.size),
            "grid_thw": [t, h, w],
            "prefix_tokens": len(self.prefix_ids),
        }


@dataclass(frozen=True)
class Query:
    """One question about one video: which video (index into the batch) and the suffix tokens."""

    video: int
    suffix_ids: tuple[int, ...]


class VideoLM:
    """A loaded Qwen2.5-VL, read as a function from (video, question) sequences to last-token states."""

    def __init__(self, loaded: LoadedVLM, spec: InputSpec):
        self.model = loaded.model
        self.processor = loaded.processor
        self.spec = spec
        config = self.model.config
        self.video_token_id = int(config.video_token_id)
        self.merge = int(config.vision_config.spatial_merge_size)
        self.tokens_per_second = float(config.vision_config.tokens_per_second)
        self.context = int(config.text_config.max_position_embeddings)
        tokenizer = self.processor.tokenizer
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    # -- preparation (CPU only: safe to run in a background thread) ---------------------------------

    def split(self, text: str) -> tuple[str, str]:
        """A rendered judge prompt cut after the video: (shared prefix, question suffix)."""
        head, marker, tail = text.partition(VIDEO_END)
        if not marker:
            raise ValueError(f"the chat template rendered no video ({VIDEO_END!r} missing)")
        return head + marker, tail

    def tokenize(self, text: str) -> tuple[int, ...]:
        return tuple(self.processor.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, path: str | Path, prefix_text: str) -> EncodedVideo:
        """Decode ``path`` by the input spec and run the processor on it with the prefix text.

        Raises:
            VideoError: the file cannot be decoded.
            ContextOverflowError: the clip alone exceeds the model's context.
        """
        from transformers.video_utils import VideoMetadata

        clip = decode(path, fps=self.spec.fps, max_frames=self.spec.max_frames, max_pixels=self.spec.max_pixels)
        batch = self.processor(
            text=[prefix_text],
            videos=[clip.frames],
            video_metadata=[VideoMetadata(total_num_frames=len(clip.frames), fps=clip.fps)],
            do_sample_frames=False,
            size=self.spec.processor_size,
            cap_pixels_per_frame=True,  # max_pixels bounds each frame (Hub configs leave this unset)
            return_tensors="pt",
        )
        grid = batch["video_grid_thw"]
        encoded = EncodedVideo(
            prefix_ids=batch["input_ids"][0],
            pixel_values_videos=batch["pixel_values_videos"],
            video_grid_thw=grid,
            second_per_grid_ts=batch["second_per_grid_ts"].reshape(1).float(),
            frames=len(clip.frames),
            fps=clip.fps,
            size=(int(grid[0, 2]) * 14, int(grid[0, 1]) * 14),
        )
        if len(encoded.prefix_ids) >= self.context:
            raise ContextOverflowError(
                f"the clip needs {len(encoded.prefix_ids)} tokens ({encoded.frames} frames at {encoded.size[0]}x"
                f"{encoded.size[1]}), over the model's context of {self.context}; lower the judge's max_pixels, "
                "fps or max_frames"
            )
        return encoded

    def positions(self, video: EncodedVideo, suffix: Sequence[int]) -> torch.Tensor:
        """``(3, P + S)`` position ids of the full sequence prefix + suffix."""
        import torch

        ids = torch.cat([video.prefix_ids, torch.tensor(suffix, dtype=video.prefix_ids.dtype)])
        return rope_positions(
            ids,
            video.video_grid_thw,
            video.second_per_grid_ts,
            video_token_id=self.video_token_id,
            spatial_merge_size=self.merge,
            tokens_per_second=self.tokens_per_second,
        )

    # -- the forward passes ------------------------------------------------------------------------

    def states(
        self, videos: Sequence[EncodedVideo], queries: Sequence[Query], mode: Mode = "batched", suffix_batch: int = 8
    ) -> torch.Tensor:
        """``(len(queries), hidden)`` final-norm hidden states at each query's last token, in order.

        Raises:
            ContextOverflowError: a full sequence exceeds the model's context.
        """
        import torch

        for query in queries:
            total = len(videos[query.video].prefix_ids) + len(query.suffix_ids)
            if total > self.context:
                raise ContextOverflowError(f"a prompt needs {total} tokens, over the model's context of {self.context}")
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}: valid modes are {', '.join(MODES)}")
        out: list[torch.Tensor | None] = [None] * len(queries)
        with torch.inference_mode():
            if mode == "independent":
                for i, query in enumerate(queries):
                    out[i] = self.full_states(videos[query.video], [query.suffix_ids])[0]
            elif mode == "sequential":
                for v, video in enumerate(videos):
                    mine = [i for i, q in enumerate(queries) if q.video == v]
                    if mine:
                        for i, state in zip(mine, self._sequential(video, [queries[i] for i in mine]), strict=True):
                            out[i] = state
            else:
                for group in _by_prefix_length(videos, queries):
                    sub = [queries[i] for i in group.queries]
                    for i, state in zip(
                        group.queries, self._batched(group.videos, videos, sub, suffix_batch), strict=True
                    ):
                        out[i] = state
        return torch.stack([s for s in out if s is not None])

    def full_states(self, video: EncodedVideo, suffixes: Sequence[Sequence[int]]) -> torch.Tensor:
        """Full forwards of one video with each suffix (batched, right-padded), no cache: the reference.

        Runs with gradients when called outside ``inference_mode`` (training uses this).
        """
        import torch

        device = self.model.device
        P, n = len(video.prefix_ids), len(suffixes)
        lengths = torch.tensor([P + len(s) for s in suffixes])
        ids = torch.full((n, int(lengths.max())), self.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        pos = torch.zeros((3, n, ids.shape[1]), dtype=torch.long)
        for r, suffix in enumerate(suffixes):
            full = torch.cat([video.prefix_ids, torch.tensor(suffix, dtype=torch.long)])
            ids[r, : len(full)], mask[r, : len(full)] = full, 1
            pos[:, r, : len(full)] = self.positions(video, suffix)
        output = self.model.model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=pos.to(device),
            pixel_values_videos=video.pixel_values_videos.repeat(n, 1).to(device),
            video_grid_thw=video.video_grid_thw.repeat(n, 1).to(device),
            second_per_grid_ts=video.second_per_grid_ts.repeat(n).to(device),
            use_cache=False,
        )
        return output.last_hidden_state[torch.arange(n, device=device), (lengths - 1).to(device)]

    def _prefill(self, videos: Sequence[EncodedVideo]) -> Any:
        """Run the vision tower and the prefixes (all of one length) as one batch; returns the cache."""
        import torch

        device = self.model.device
        ids = torch.stack([v.prefix_ids for v in videos])
        pos = torch.stack([self.positions(v, ())[:, : ids.shape[1]] for v in videos], dim=1)
        output = self.model.model(
            input_ids=ids.to(device),
            attention_mask=torch.ones_like(ids).to(device),
            position_ids=pos.to(device),
            pixel_values_videos=torch.cat([v.pixel_values_videos for v in videos]).to(device),
            video_grid_thw=torch.cat([v.video_grid_thw for v in videos]).to(device),
            second_per_grid_ts=torch.cat([v.second_per_grid_ts for v in videos]).to(device),
            use_cache=True,
        )
        return output.past_key_values

    def _suffixes(self, cache: Any, videos: Sequence[EncodedVideo], queries: Sequence[Query]) -> torch.Tensor:
        """One right-padded batch of suffixes against ``cache`` (one row per query, already selected)."""
        import torch

        device = self.model.device
        P = len(videos[queries[0].video].prefix_ids)
        lengths = torch.tensor([len(q.suffix_ids) for q in queries])
        n, S = len(queries), int(lengths.max())
        ids = torch.full((n, S), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, P + S), dtype=torch.long)
        mask[:, :P] = 1
        pos = torch.zeros((3, n, S), dtype=torch.long)
        for r, query in enumerate(queries):
            s = len(query.suffix_ids)
            ids[r, :s] = torch.tensor(query.suffix_ids)
            mask[r, P : P + s] = 1
            full = self.positions(videos[query.video], query.suffix_ids)
            pos[:, r, :s] = full[:, P:]
            pos[:, r, s:] = full[:, -1:]  # padding: any position; it is masked
        output = self.model.model.language_model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=pos.to(device),
            past_key_values=cache,
            use_cache=True,
        )
        return output.last_hidden_state[torch.arange(n, device=device), (lengths - 1).to(device)]

    def _batched(
        self, members: Sequence[int], videos: Sequence[EncodedVideo], queries: Sequence[Query], suffix_batch: int
    ) -> list[torch.Tensor]:
        import torch

        cache = self._prefill([videos[m] for m in members])
        row_of = {m: r for r, m in enumerate(members)}
        states: list[torch.Tensor] = []
        for start in range(0, len(queries), max(1, suffix_batch)):
            chunk = queries[start : start + max(1, suffix_batch)]
            rows = torch.tensor([row_of[q.video] for q in chunk], device=self.model.device)
            states.extend(self._suffixes(_select_rows(cache, rows), videos, chunk))
        return states

    def _sequential(self, video: EncodedVideo, queries: Sequence[Query]) -> list[torch.Tensor]:
        cache = self._prefill([video])
        P = len(video.prefix_ids)
        states = []
        for query in queries:
            states.append(self._suffixes(cache, [video], [Query(0, query.suffix_ids)])[0])
            cache.crop(P - cache.get_seq_length())  # transformers 5.23: a negative count of tokens to drop
        return states


@dataclass
class _Group:
    videos: list[int]
    queries: list[int]


def _by_prefix_length(videos: Sequence[EncodedVideo], queries: Sequence[Query]) -> list[_Group]:
    """Videos whose prefixes have one length run as one batch; their queries go with them."""
    groups: dict[int, _Group] = {}
    for v, video in enumerate(videos):
        groups.setdefault(len(video.prefix_ids), _Group([], [])).videos.append(v)
    group_of = {v: g for g in groups.values() for v in g.videos}
    for i, query in enumerate(queries):
        group_of[query.video].queries.append(i)
    return [g for g in groups.values() if g.queries]


def _select_rows(cache: Any, rows: torch.Tensor) -> Any:
    """A new cache holding the given batch rows of ``cache`` (repeats allowed); ``cache`` is untouched.

    Rows of one video (the usual chunk: a video's questions) are a broadcast view of it, not a copy: the
    suffix forward's own concatenation of new keys onto the prefix is then the only copy of the prefix.
    """
    from transformers import DynamicCache

    selected = DynamicCache()
    one = bool((rows == rows[0]).all())
    for layer_index, layer in enumerate(cache.layers):
        if one:
            row = int(rows[0])
            shape = (len(rows), *layer.keys.shape[1:])
            keys = layer.keys[row : row + 1].expand(shape)
            values = layer.values[row : row + 1].expand((len(rows), *layer.values.shape[1:]))
        else:
            keys, values = layer.keys.index_select(0, rows), layer.values.index_select(0, rows)
        selected.update(keys, values, layer_index)
    return selected