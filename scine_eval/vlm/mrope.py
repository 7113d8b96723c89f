"""Multimodal rotary positions (M-RoPE) for a Qwen2.5-VL video prompt, by the reference convention.

Qwen2.5-VL gives every token three position ids (time, height, width). Text tokens advance all
three together; a video's tokens take ``(t * tokens_per_second * second_per_grid, h, w)`` offset by
the position where the video starts. The reference implementation (Qwen's release code, and
transformers up to 5.2) starts the text *after* a video at ``max(all vision positions) + 1``.

transformers 5.23's ``get_rope_index`` starts it at ``start + max(h, w) / merge`` instead, which
overlaps the video's temporal positions whenever the time axis outruns the spatial one (a 5 s clip at
2 fps reaches time position 8; a 64x64 clip has spatial positions 0..1). The checkpoints were trained
with the reference convention, so the harness computes positions here and always passes them
explicitly; that is also what makes prefix reuse exact (the model's implicit ``rope_deltas`` path
disagrees with its own full-sequence positions). ``tests/test_vlm_mrope.py`` pins both behaviours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["rope_positions"]


def rope_positions(
    input_ids: torch.Tensor,
    video_grid_thw: torch.Tensor | Sequence[Sequence[int]],
    second_per_grid_ts: Sequence[float] | torch.Tensor,
    *,
    video_token_id: int,
    spatial_merge_size: int,
    tokens_per_second: float,
) -> torch.Tensor:
    """The ``(3, L)`` position ids of one unpadded token sequence holding zero or more videos.

    Args:
        input_ids: ``(L,)`` token ids, each video already expanded to its placeholder tokens.
        video_grid_thw: one ``(t, h, w)`` patch grid per video, in order of appearance.
        second_per_grid_ts: seconds per temporal grid step, per video (``temporal_patch_size / fps``).
        video_token_id: the placeholder token of video features.
        spatial_merge_size: patches merged per side into one token (2 for Qwen2.5-VL).
        tokens_per_second: temporal position units per second (the vision config's value).

    Raises:
        ValueError: the placeholder runs do not match the grids (count or length).
    """
    import torch

    grids = [
        tuple(int(x) for x in g)
        for g in (video_grid_thw.tolist() if hasattr(video_grid_thw, "tolist") else video_grid_thw)
    ]
    seconds = [float(s) for s in second_per_grid_ts]
    runs = _runs(input_ids, video_token_id)
    if len(runs) != len(grids) or len(grids) != len(seconds):
        raise ValueError(
            f"{len(runs)} video placeholder run(s) for {len(grids)} grid(s) and {len(seconds)} time step(s)"
        )
    parts: list[torch.Tensor] = []
    cursor, next_position = 0, 0
    for (start, end), (t, h, w), step in zip(runs, grids, seconds, strict=True):
        gh, gw = h // spatial_merge_size, w // spatial_merge_size
        if end - start != t * gh * gw:
            raise ValueError(f"a video run of {end - start} tokens does not match its grid {t}x{h}x{w}")
        parts.append(torch.arange(start - cursor).expand(3, -1) + next_position)
        origin = next_position + start - cursor
        time = (torch.arange(t, dtype=torch.float64) * step * tokens_per_second).long()
        grid = torch.stack(torch.meshgrid(time, torch.arange(gh), torch.arange(gw), indexing="ij")).reshape(3, -1)
        parts.append(grid + origin)
        next_position = int(parts[-1].max()) + 1  # the reference convention: after the furthest axis
        cursor = end
    parts.append(torch.arange(len(input_ids) - cursor).expand(3, -1) + next_position)
    return torch.cat(parts, dim=1).long()


def _runs(ids: torch.Tensor, token: int) -> list[tuple[int, int]]:
    """``[start, end)`` of each maximal run of ``token`` (vectorised: this runs once per question)."""
    import torch

    hit = (ids == token).to(torch.int8)
    zero = hit.new_zeros(1)
    edges = torch.diff(hit, prepend=zero, append=zero)
    starts = (edges == 1).nonzero().flatten().tolist()
    ends = (edges == -1).nonzero().flatten().tolist()
    return list(zip(starts, ends, strict=True))
