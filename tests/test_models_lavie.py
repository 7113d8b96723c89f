"""The ``lavie`` adapter and :mod:`scine_eval.lavie`, on a tiny random LaVie built in code (no download).

The tiny folder has the release's layout (``lavie_base.*``, ``lavie_interpolation.*``, ``lavie_vsr.*``, SD 1.4 and
x4-upscaler component folders); the adapter loads it through ``--model lavie --model_args pretrained=<folder>``
exactly as users load the released files. The network checks are independent of the implementation: the rotary
embedding against complex multiplication, the relative buckets against T5's formula written out, the key layout
against diffusers' own SD 1.4 UNet and the published checkpoint size.
"""

from __future__ import annotations

import math
import pickle
import shutil

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

from scine_eval.components import resolve  # noqa: E402
from scine_eval.contracts.model import GenerationRequest, model_registry  # noqa: E402
from scine_eval.errors import ConfigError  # noqa: E402
from scine_eval.lavie.config import BASE, INTERPOLATION  # noqa: E402
from scine_eval.lavie.convert import ROTARY_SUFFIX, check_keys, from_release  # noqa: E402
from scine_eval.lavie.loading import load_unet, read_state_dict  # noqa: E402
from scine_eval.lavie.rotary import RotaryEmbedding  # noqa: E402
from scine_eval.lavie.sampling import copy_frames, respaced_timesteps  # noqa: E402
from scine_eval.lavie.temporal import TemporalAttention, relative_position_bucket  # noqa: E402
from scine_eval.lavie.unet import LaVieUNet  # noqa: E402
from scine_eval.tiny_pipelines.lavie import BUILDERS, TINY_BASE, make_tiny_lavie  # noqa: E402
from scine_eval.video import decode  # noqa: E402

TINY = {"height": 16, "width": 16, "steps": 2, "interp_steps": 2, "vsr_steps": 2, "dtype": "float32", "device": "cpu"}
RELEASED_BASE_BYTES = 3.64e9
"""``lavie_base.pt`` on ``Vchitect/LaVie``: 3.64 GB (float32 weights)."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_tiny_lavie(tmp_path_factory.mktemp("tiny-lavie"))


def adapter(folder, **args):
    return resolve(model_registry, "lavie", {"pretrained": str(folder), **TINY, **args}).build()


def request(tmp_path, seed=0, name="v"):
    return GenerationRequest(name, "a teddy bear walking on the street", seed, 0, tmp_path / f"{name}-{seed}.mp4")


# -- the adapter, end to end --------------------------------------------------------------------------------


def test_the_builder_is_in_a_family_table():
    assert BUILDERS == {"lavie": make_tiny_lavie}


FAST = {"steps": 1, "interp_steps": 1, "vsr_steps": 1, "vsr_guidance": 1.0}
"""The whole cascade at its cheapest (61 frames through VSR): one step each, VSR unguided."""


@pytest.mark.parametrize(
    ("stages", "frames", "side", "fps", "more"),
    [
        ("base", 16, 16, 8, {}),
        ("base+interp", 61, 16, 24, {}),
        ("base+vsr", 4, 64, 8, {"frames": 4}),
        ("all", 61, 64, 24, FAST),
    ],
)
def test_each_stage_makes_its_frames_and_size(folder, tmp_path, stages, frames, side, fps, more):
    [result] = adapter(folder, stages=stages, **more).generate([request(tmp_path)])
    assert result.error is None, result.error
    video = decode(result.path, fps=None)
    assert video.frames.shape == (frames, side, side, 3)
    assert result.metadata == {"frames": frames, "fps": fps}


def test_a_seed_makes_the_same_pixels_and_another_seed_others(folder, tmp_path):
    model = adapter(folder, frames=4)
    first, again, other = (model._call([request(tmp_path, seed)])[0] for seed in (3, 3, 4))
    assert np.array_equal(first, again)
    assert np.abs(first - other).mean() > 1e-3
    # A video depends on its own seed only, not on the other prompts of its batch.
    batch = model._call([request(tmp_path, 4, "a"), request(tmp_path, 3, "b")])
    np.testing.assert_allclose(batch[1], first, atol=1e-4)


def test_the_release_pt_format_loads_through_weights_only(folder, tmp_path):
    pt_only = tmp_path / "pt-only"
    shutil.copytree(folder, pt_only)
    (pt_only / "lavie_base.safetensors").unlink()
    from_pt = adapter(pt_only, frames=4)._call([request(tmp_path, 5)])[0]
    from_safetensors = adapter(folder, frames=4)._call([request(tmp_path, 5)])[0]
    assert np.array_equal(from_pt, from_safetensors)


def test_a_pickle_that_runs_code_is_refused(folder, tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (marker.touch, ())

    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    (bad / "lavie_base.safetensors").unlink()
    (bad / "lavie_base.pt").write_bytes(pickle.dumps({"ema": {"conv_in.weight": Exploit()}}, protocol=2))
    with pytest.raises(ConfigError, match="refused to load"):
        read_state_dict(bad / "lavie_base.pt")
    [result] = adapter(bad, frames=4).generate([request(tmp_path)])  # through the adapter: a failed video, not a crash
    assert result.path is None and "refused to load" in result.error
    assert not marker.exists()


# -- options that cannot work fail before any weights load ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"stages": "foo"}, ["stages", "foo", "base+interp"]),
        ({"stages": "base+interp", "frames": 8}, ["frames=8", "stages=base+interp", "frames=16"]),
        ({"height": 20}, ["height=20", "multiple of 8", "nearest is 16"]),
        ({"sampler": "plms"}, ["sampler", "plms", "ddpm"]),
        ({"noise_level": 1000}, ["noise_level", "1000"]),
    ],
)
def test_bad_options_are_refused_naming_option_value_and_what_is_valid(folder, args, named):
    with pytest.raises(ConfigError) as caught:
        adapter(folder, **args)
    for text in named:
        assert text in str(caught.value), (text, str(caught.value))


def test_missing_files_are_refused_naming_the_option_and_the_file(folder, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(folder / "lavie_base.safetensors", partial)
    shutil.copy(folder / "lavie_base.json", partial)
    shutil.copytree(folder / "stable-diffusion-v1-4", partial / "sd")
    adapter(partial, sd_path=str(partial / "sd"))  # the base stage has what it needs
    with pytest.raises(ConfigError, match=r"pretrained=.*lavie_interpolation.*interpolation stage"):
        adapter(partial, sd_path=str(partial / "sd"), stages="base+interp")
    shutil.rmtree(partial / "sd" / "tokenizer")
    with pytest.raises(ConfigError, match=r"sd_path=.*missing: tokenizer"):
        adapter(partial, sd_path=str(partial / "sd"))
    with pytest.raises(ConfigError, match=r"pretrained=.*not a folder"):
        adapter(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match=r"sd_path='CompVis/stable-diffusion-v1-4' is not in the local"):
        adapter(partial)  # no SD folder inside pretrained, offline, nothing cached


def test_spec_follows_the_stages_and_the_resolved_fps(folder):
    base, full = adapter(folder).spec(), adapter(folder, stages="all").spec()
    assert base["fps"] == 8 and full["fps"] == 24
    assert "interp_guidance" not in base and full["interp_guidance"] == 4.0 and full["noise_level"] == 50
    defaults = resolve(model_registry, "lavie", {"pretrained": str(folder)}).build()
    settings = (defaults.steps, defaults.guidance, defaults.frames, defaults.height, defaults.width, defaults.sampler)
    assert settings == (50, 7.0, 16, 320, 512, "ddpm")
    assert defaults.sampling().interp_guidance == 4.0 and defaults.sampling().vsr_guidance == 5.0


# -- the networks --------------------------------------------------------------------------------------------


def test_rotary_embedding_is_complex_multiplication_of_interleaved_pairs():
    dim, width, frames = 8, 12, 7
    x = torch.randn(3, frames, width, dtype=torch.float64)
    turned = RotaryEmbedding(dim)(x.float()).double()
    # Independent: feature pairs (2i, 2i+1) as complex numbers, times exp(i * position * 10000^(-2i/dim)).
    pairs = torch.complex(x[..., 0:dim:2], x[..., 1:dim:2])
    freqs = torch.tensor([10000 ** (-2 * i / dim) for i in range(dim // 2)], dtype=torch.float64)
    angle = torch.arange(frames, dtype=torch.float64)[:, None] * freqs[None, :]
    expected = pairs * torch.polar(torch.ones_like(angle), angle)
    torch.testing.assert_close(turned[..., 0:dim:2], expected.real, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(turned[..., 1:dim:2], expected.imag, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(turned[..., dim:], x[..., dim:], atol=1e-6, rtol=0)  # past rope_dim: untouched
    # Scores of turned queries and keys depend only on the frame offset.
    q, k = torch.randn(width), torch.randn(width)
    rq, rk = RotaryEmbedding(dim)(q.expand(frames, width)), RotaryEmbedding(dim)(k.expand(frames, width))
    assert torch.allclose(rq[1] @ rk[3], rq[4] @ rk[6], atol=1e-5) and not torch.allclose(rq[1] @ rk[3], rq[3] @ rk[3])


def test_relative_buckets_follow_t5():
    def t5(relative: int, buckets: int = 32, max_distance: int = 32) -> int:  # T5's formula, query - key
        n, half = -relative, buckets // 2
        out = half if n < 0 else 0
        n, exact = abs(n), half // 2
        if n < exact:
            return out + n
        return out + min(half - 1, exact + int(math.log(n / exact) / math.log(max_distance / exact) * (half - exact)))

    relative = torch.arange(-40, 41)
    assert relative_position_bucket(relative).tolist() == [t5(int(r)) for r in relative]


def test_temporal_attention_depends_on_frame_order():
    torch.manual_seed(0)
    frames, perm = 6, torch.tensor([2, 0, 5, 1, 4, 3])
    x = torch.randn(4, frames, 32)
    positional, plain = TemporalAttention(32, 2, "rope+bias", 8), TemporalAttention(32, 2, "none")
    torch.nn.init.normal_(positional.time_rel_pos_bias.relative_attention_bias.weight)
    with torch.no_grad():
        # Without positions, attention over frames is permutation-equivariant ...
        torch.testing.assert_close(plain(x[:, perm]), plain(x)[:, perm], atol=1e-5, rtol=1e-5)
        # ... with RoPE and the relative bias it is not: frame order changes what each frame reads.
        change = (positional(x[:, perm]) - positional(x)[:, perm]).abs().mean() / positional(x).abs().mean()
        assert change > 0.05
        # The whole base UNet too: permuting the input frames is not just permuting the prediction.
        unet = LaVieUNet(TINY_BASE).eval()
        latents, text = torch.randn(1, 4, frames, 4, 4), torch.randn(1, 5, TINY_BASE.cross_attention_dim)
        out, out_perm = unet(latents, 10, text), unet(latents[:, :, perm], 10, text)
        assert (out_perm - out[:, :, perm]).abs().mean() / out.abs().mean() > 0.01


def test_the_unet_takes_sizes_that_are_not_a_multiple_of_its_levels():
    unet = LaVieUNet(TINY_BASE).eval()
    with torch.no_grad():
        out = unet(torch.randn(2, 4, 3, 3, 5), torch.tensor([1, 900]), torch.randn(2, 5, 16))
    assert out.shape == (2, 4, 3, 3, 5)


def test_interpolation_sampling_helpers_follow_the_release():
    steps = respaced_timesteps(1000, 50)
    assert len(steps) == 50 and steps[0] == 0 and steps[-1] == 999 and steps[1] == 20 and steps[2] == 41
    latents = torch.arange(16.0).reshape(1, 1, 16, 1, 1)
    copied = copy_frames(latents).flatten().tolist()
    assert len(copied) == 61
    assert all(copied[j] == (j + 1) // 4 for j in range(61))  # frame k at outputs 4k-1 .. 4k+2


# -- the released key layout ----------------------------------------------------------------------------------


def test_the_base_layout_is_sd14_plus_temporal_attention_at_the_released_size():
    from diffusers import UNet2DConditionModel

    with torch.device("meta"):
        ours = LaVieUNet(BASE).state_dict()
        sd14 = UNet2DConditionModel(
            in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",), cross_attention_dim=768,
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3, attention_head_dim=8,
        ).state_dict()  # fmt: skip
        interpolation = LaVieUNet(INTERPOLATION).state_dict()
    assert all(k in ours and ours[k].shape == v.shape for k, v in sd14.items())
    temporal = {k.split(".transformer_blocks.0.")[1] for k in set(ours) - set(sd14)}
    assert temporal == {"attn_temp.to_q.weight", "attn_temp.to_k.weight", "attn_temp.to_v.weight",
                        "attn_temp.to_out.0.weight", "attn_temp.to_out.0.bias", "norm_temp.weight", "norm_temp.bias",
                        "attn_temp.time_rel_pos_bias.relative_attention_bias.weight"}  # fmt: skip
    assert len(set(ours) - set(sd14)) == 16 * len(temporal)  # one temporal attention per SD transformer
    assert abs(sum(v.numel() for v in ours.values()) * 4 / RELEASED_BASE_BYTES - 1) < 0.005
    # Interpolation: the same tensors but 8 input channels and no relative bias.
    assert interpolation["conv_in.weight"].shape == (320, 8, 3, 3)
    assert set(interpolation) == {k for k in ours if "time_rel_pos_bias" not in k}


def _released_style(model: torch.nn.Module) -> dict:
    """``model``'s state dict as the release saves one: rotary frequencies per temporal attention, under "ema"."""
    from scine_eval.lavie.rotary import rotary_frequencies

    state = {f"module.{k}": v for k, v in model.state_dict().items()}
    for key in [k for k in state if k.endswith("attn_temp.to_q.weight")]:
        state[key.replace(".to_q.weight", ROTARY_SUFFIX)] = rotary_frequencies(model.config.rope_dim)
    return state


def test_a_released_style_state_dict_loads_strictly(tmp_path):
    # Full size, on the meta device: the release's key set (with its stored rotary tables) fits strictly.
    with torch.device("meta"):
        full = LaVieUNet(BASE)
    state = from_release(_released_style(full), BASE.rope_dim)
    check_keys(full.state_dict(), state, "lavie_base.pt")
    full.load_state_dict(state, strict=True, assign=True)
    # Tiny, on disk: saved as the release does, read back through weights_only, same outputs.
    torch.manual_seed(1)
    tiny = LaVieUNet(TINY_BASE).eval()
    torch.save({"ema": _released_style(tiny)}, tmp_path / "lavie_base.pt")
    TINY_BASE.save(tmp_path / "lavie_base.json")
    loaded = load_unet(tmp_path / "lavie_base.pt", BASE)
    args = (torch.randn(1, 4, 5, 4, 4), 500, torch.randn(1, 3, TINY_BASE.cross_attention_dim))
    with torch.no_grad():
        torch.testing.assert_close(loaded(*args), tiny(*args), atol=0, rtol=0)


def test_a_state_dict_that_does_not_fit_is_refused_naming_keys(tmp_path):
    torch.manual_seed(1)
    state = LaVieUNet(TINY_BASE).state_dict()
    TINY_BASE.save(tmp_path / "lavie_base.json")
    wrong_rotary = _released_style(LaVieUNet(TINY_BASE))
    wrong_rotary[next(k for k in wrong_rotary if k.endswith(ROTARY_SUFFIX))] = torch.ones(4)
    torch.save(wrong_rotary, tmp_path / "lavie_base.pt")
    with pytest.raises(ConfigError, match="another rotary setup"):
        load_unet(tmp_path / "lavie_base.pt", BASE)
    del state["conv_out.bias"]
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "lavie_base.pt")
    with pytest.raises(ConfigError, match=r"1 missing \(e.g. conv_out.bias\); 1 unexpected \(e.g. extra.weight\)"):
        load_unet(tmp_path / "lavie_base.pt", BASE)


def test_a_run_with_lavie_scores_and_records_a_metric(folder, tmp_path):
    from scine_eval import evaluate

    args = ",".join(f"{k}={v}" for k, v in {"pretrained": folder, **TINY, "height": 32, "width": 32}.items())
    output = evaluate(model="lavie", model_args=args, tasks=["lighting.color_temperature"], limit=2,
                      metrics=["vsa:clip=/nonexistent-clip"], bootstrap_iters=0, output_path=str(tmp_path / "out"),
                      cache_dir=str(tmp_path / "cache"))  # fmt: skip
    record = output.record
    assert record.config.model_name == "lavie" and record.videos.usable == record.videos.planned >= 2
    assert {r["status"] for rows in output.samples.values() for r in rows} <= {"scored", "unscored"}
    entry = record.metrics["vsa:clip=/nonexistent-clip"]  # a metric that cannot load is recorded, not fatal
    assert entry.value is None and "nonexistent-clip" in entry.reason
