"""GPU memory estimates of the Qwen2.5-VL judges, counted on the meta device (no weights)."""

from __future__ import annotations

import pytest

from scine_eval.vlm.memory import (
    DEFAULT_PREFIX_TOKENS,
    LOAD_MODES,
    count_parameters,
    estimate,
    table_rows,
    video_tokens,
)
from scine_eval.vlm.presets import PRESETS

GIB = 1 << 30
EXPECTED_PARAMETERS = {"qwen2.5-vl-7b": 8.29e9, "qwen2.5-vl-32b": 33.45e9, "qwen2.5-vl-72b": 73.41e9}


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMETERS))
def test_parameter_totals_match_the_checkpoints(name):
    assert estimate(name).parameters == pytest.approx(EXPECTED_PARAMETERS[name], rel=0.005)


def test_count_parameters_partitions_the_total():
    counts = count_parameters(PRESETS["qwen2.5-vl-7b"].config_dict())
    assert counts["total"] == estimate("qwen2.5-vl-7b").parameters
    assert counts["vision"] + counts["language"] + counts["lm_head"] == counts["total"]
    assert counts["linear_quantisable"] + counts["embed"] + counts["lm_head"] + counts["other"] == counts["total"]
    assert counts["lm_head"] == counts["embed"] == 152064 * 3584  # untied


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_quantised_weights_are_smaller(name):
    bf16, int8, nf4 = (estimate(name, mode).weights_bytes for mode in ("bf16", "8bit", "4bit"))
    assert nf4 < int8 < bf16


def test_7b_bf16_weights_are_two_bytes_per_parameter():
    est = estimate("qwen2.5-vl-7b", "bf16")
    assert est.weights_bytes == 2 * est.parameters
    assert est.weights_bytes == pytest.approx(2 * 8.29e9, rel=0.005)


def test_video_tokens_of_the_default_clip():
    assert video_tokens() == 5 * 26 * 46 == 5980
    assert DEFAULT_PREFIX_TOKENS == 5980 + 64
    assert video_tokens(seconds=0.1) == 26 * 46  # one frame, padded to a temporal patch of two


def test_72b_fits_80_gib_only_in_4bit():
    assert not estimate("qwen2.5-vl-72b", "bf16").fits(80 * GIB)
    assert estimate("qwen2.5-vl-72b", "4bit").fits(80 * GIB)


def test_kv_bytes_and_total():
    est = estimate("qwen2.5-vl-7b", "bf16", prefix_tokens=1000, copies=3)
    assert est.kv_bytes_per_token == 28 * 4 * 128 * 2 * 2 == 57344
    assert est.total_bytes == est.weights_bytes + 57344 * 1000 * 4 + est.weights_bytes // 10 + GIB


def test_table_rows():
    rows = table_rows(["qwen2.5-vl-72b"], gpu_gib=80.0)
    assert [row["load_in"] for row in rows] == list(LOAD_MODES)
    assert [row["fits"] for row in rows] == [False, False, True]
    assert rows[0]["repo_id"] == "Qwen/Qwen2.5-VL-72B-Instruct"
    assert rows[0]["weights_gib"] < rows[0]["total_gib"]


def test_bad_preset_or_load_mode_names_the_choices():
    with pytest.raises(ValueError, match="qwen2.5-vl-7b.*qwen2.5-vl-32b.*qwen2.5-vl-72b"):
        estimate("qwen2.5-vl-3b")
    with pytest.raises(ValueError, match="bf16.*8bit.*4bit"):
        estimate("qwen2.5-vl-7b", load_in="fp8")
