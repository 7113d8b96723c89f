"""M-RoPE positions for video prompts: the reference convention, and what transformers does.

Pinned: transformers 5.23 (pyproject: ``transformers>=5.23,<5.24``). Its ``get_rope_index`` agrees
with the reference inside the video and differs after it (see scine_eval/vlm/mrope.py); the harness
passes its own positions, so only this test changes if transformers does.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from scine_eval.vlm.mrope import rope_positions  # noqa: E402

VIDEO = 9
TEXT_BEFORE, TEXT_AFTER = 6, 2


def _ids(grid=(4, 4, 4)):
    t, h, w = grid
    return torch.tensor([1] * TEXT_BEFORE + [VIDEO] * (t * h * w // 4) + [2] * TEXT_AFTER)


def test_reference_positions_for_a_video_prompt():
    positions = rope_positions(
        _ids(), [[4, 4, 4]], [1.0], video_token_id=VIDEO, spatial_merge_size=2, tokens_per_second=2
    )
    assert positions.shape == (3, TEXT_BEFORE + 16 + TEXT_AFTER)
    assert positions[:, :TEXT_BEFORE].tolist() == [list(range(6))] * 3
    video = positions[:, TEXT_BEFORE : TEXT_BEFORE + 16]
    # time: 4 steps of 1 s at 2 tokens per second -> 0, 2, 4, 6 after the start at 6
    assert sorted(set(video[0].tolist())) == [6, 8, 10, 12]
    assert sorted(set(video[1].tolist())) == sorted(set(video[2].tolist())) == [6, 7]
    # text after the video starts past the furthest axis (time reached 12): 13, 14
    assert positions[:, -TEXT_AFTER:].tolist() == [[13, 14]] * 3


def test_time_steps_follow_seconds_per_grid():
    positions = rope_positions(
        _ids((2, 2, 2)), [[2, 2, 2]], [0.5], video_token_id=VIDEO, spatial_merge_size=2, tokens_per_second=2
    )
    assert positions[0, TEXT_BEFORE : TEXT_BEFORE + 2].tolist() == [6, 7]  # 0.5 s steps -> 1 unit apart


def test_placeholder_count_must_match_the_grid():
    with pytest.raises(ValueError, match="does not match its grid"):
        rope_positions(_ids(), [[4, 4, 2]], [1.0], video_token_id=VIDEO, spatial_merge_size=2, tokens_per_second=2)
    with pytest.raises(ValueError, match="placeholder run"):
        rope_positions(_ids(), [], [], video_token_id=VIDEO, spatial_merge_size=2, tokens_per_second=2)


def test_installed_transformers_get_rope_index_is_the_pinned_one(tiny_qwen):
    """In transformers 5.23 the video positions match the reference; text after the video starts at 8, not 13."""
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(tiny_qwen)
    video = model.config.video_token_id
    ids = _ids().clone()
    ids[ids == VIDEO] = video
    theirs, _ = model.model.get_rope_index(
        ids[None],
        mm_token_type_ids=(ids == video).long()[None] * 2,
        video_grid_thw=torch.tensor([[4, 4, 4]]),
        second_per_grid_ts=torch.tensor([1.0]),
    )
    ours = rope_positions(
        ids,
        [[4, 4, 4]],
        [1.0],
        video_token_id=video,
        spatial_merge_size=2,
        tokens_per_second=model.config.vision_config.tokens_per_second,
    )
    assert torch.equal(theirs[:, 0, : TEXT_BEFORE + 16], ours[:, : TEXT_BEFORE + 16])
    assert theirs[:, 0, -TEXT_AFTER:].tolist() == [[8, 9]] * 3, "transformers changed get_rope_index: re-check the pin"
    assert ours[:, -TEXT_AFTER:].tolist() == [[13, 14]] * 3
