"""Text-to-video presets: each open model by name, with the defaults its authors use.

A preset is data: the Hub id, the resolution, the frame count and the rule the model's VAE imposes on it
(``4k+1``...), steps, guidance, the scheduler's flow shift, the frame rate the model was trained at, the
prompt length and the precision. ``scine-eval --model wan2.1-1.3b`` builds the ``diffusers`` adapter with
them; any of them can be overridden (``--model_args frames=33,steps=30``). Sources: each model card and
the diffusers pipeline's own defaults; where the two differ the model card's recommendation is used.

Memory figures are estimates from parameter counts in bf16 (2 bytes a parameter), not measurements: the
weights of every component, and the largest single component, which bounds the peak with
``offload=model`` (components move to the GPU one at a time) before activations and the VAE decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scine_eval.errors import ConfigError

__all__ = ["PRESETS", "FrameRule", "T2VPreset", "check_size"]


@dataclass(frozen=True)
class FrameRule:
    """Frame counts a model can make: ``step * k + offset`` (the VAE compresses ``step`` frames into one latent)."""

    step: int = 4
    offset: int = 1

    def allows(self, frames: int) -> bool:
        return frames >= max(self.offset, 1) and (frames - self.offset) % self.step == 0

    def nearest(self, frames: int) -> int:
        k = max(1, round((frames - self.offset) / self.step))
        return self.step * k + self.offset

    def check(self, frames: int, model: str) -> None:
        """Raises a ConfigError naming the value, the rule and the nearest count the model can make."""
        if not self.allows(frames):
            raise ConfigError(f"{model} cannot make frames={frames}: its frame counts are {self} (k a whole number); "
                              f"the nearest is {self.nearest(frames)}")  # fmt: skip

    def __str__(self) -> str:
        return f"{self.step}k+{self.offset}" if self.offset else f"{self.step}k"


def check_size(height: int, width: int, multiple: int, model: str) -> None:
    """Raises a ConfigError naming the size, the multiple the model needs and the nearest valid size."""
    for name, value in (("height", height), ("width", width)):
        if value % multiple:
            nearest = max(multiple, round(value / multiple) * multiple)
            raise ConfigError(f"{model}: {name}={value} is not a multiple of {multiple} (its VAE and patch size need "
                              f"one); the nearest is {nearest}")  # fmt: skip


@dataclass(frozen=True)
class T2VPreset:
    """One model's defaults (what ``--model NAME`` means)."""

    name: str
    repo_id: str
    pipeline: str
    """The diffusers pipeline class the checkpoint's ``model_index.json`` names (for the docs and checks)."""
    height: int
    width: int
    frames: int
    frame_rule: FrameRule
    steps: int
    guidance: float
    fps: int
    flow_shift: float | None = None
    max_sequence_length: int | None = None
    dtype: str = "bfloat16"
    size_multiple: int = 16
    """Height and width must be multiples of it (the VAE's spatial compression times the transformer's patch)."""
    params_b: dict[str, float] = field(default_factory=dict)
    """Billions of parameters per component (estimates from the model cards), for the memory table."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Further pipeline-call defaults this model needs (``guidance_scale_2``, ``boundary_ratio``...)."""
    note: str = ""

    def __post_init__(self) -> None:
        self.frame_rule.check(self.frames, self.name)
        check_size(self.height, self.width, self.size_multiple, self.name)

    def adapter_args(self) -> dict[str, Any]:
        """The ``diffusers`` adapter's arguments for this preset (a user's ``--model_args`` go over them)."""
        args = {
            "pretrained": self.repo_id,
            "dtype": self.dtype,
            "height": self.height,
            "width": self.width,
            "frames": self.frames,
            "frame_step": self.frame_rule.step,
            "frame_offset": self.frame_rule.offset,
            "size_multiple": self.size_multiple,
            "steps": self.steps,
            "guidance": self.guidance,
            "fps": self.fps,
            "flow_shift": self.flow_shift,
            "max_sequence_length": self.max_sequence_length,
            **self.extra,
        }
        return {key: value for key, value in args.items() if value is not None}

    def memory_gib(self) -> dict[str, float]:
        """Estimated GiB in bf16: all weights, and the largest component (the floor with ``offload=model``)."""
        gib = {name: b * 1e9 * 2 / 2**30 for name, b in self.params_b.items()}
        return {"weights": round(sum(gib.values()), 1), "largest_component": round(max(gib.values(), default=0), 1)}


_WAN_VAE, _UMT5 = 0.13, 5.7
_T5_XXL = 4.7

PRESETS: dict[str, T2VPreset] = {
    p.name: p
    for p in (
        T2VPreset("hunyuan", "hunyuanvideo-community/HunyuanVideo", "HunyuanVideoPipeline", 720, 1280, 129,
                  FrameRule(4, 1), 50, 6.0, 24, flow_shift=7.0, max_sequence_length=256,
                  params_b={"transformer": 12.8, "text_encoder": 7.5, "text_encoder_2": 0.12, "vae": 0.25},
                  note="guidance is HunyuanVideo's embedded (distilled) guidance"),
        T2VPreset("hunyuan-1.5", "hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v",
                  "HunyuanVideo15Pipeline", 480, 848, 121, FrameRule(4, 1), 50, 6.0, 24, flow_shift=5.0,
                  params_b={"transformer": 8.3, "text_encoder": 7.6, "text_encoder_2": 0.2, "vae": 0.3}),
        T2VPreset("wan2.1-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "WanPipeline", 480, 832, 81, FrameRule(4, 1),
                  50, 5.0, 16, flow_shift=3.0, max_sequence_length=512,
                  params_b={"transformer": 1.3, "text_encoder": _UMT5, "vae": _WAN_VAE}),
        T2VPreset("wan2.1-14b", "Wan-AI/Wan2.1-T2V-14B-Diffusers", "WanPipeline", 720, 1280, 81, FrameRule(4, 1),
                  50, 5.0, 16, flow_shift=5.0, max_sequence_length=512,
                  params_b={"transformer": 14.0, "text_encoder": _UMT5, "vae": _WAN_VAE}),
        T2VPreset("wan2.2-a14b", "Wan-AI/Wan2.2-T2V-A14B-Diffusers", "WanPipeline", 720, 1280, 81, FrameRule(4, 1),
                  40, 4.0, 16, flow_shift=12.0, max_sequence_length=512,
                  params_b={"transformer": 14.0, "transformer_2": 14.0, "text_encoder": _UMT5, "vae": _WAN_VAE},
                  extra={"guidance_2": 3.0},
                  note="two experts: transformer for high noise, transformer_2 below the boundary ratio (0.875)"),
        T2VPreset("wan2.2-ti2v-5b", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "WanPipeline", 704, 1280, 121,
                  FrameRule(4, 1), 50, 5.0, 24, flow_shift=5.0, max_sequence_length=512, size_multiple=32,
                  params_b={"transformer": 5.0, "text_encoder": _UMT5, "vae": 0.7}),
        T2VPreset("cogvideox-2b", "THUDM/CogVideoX-2b", "CogVideoXPipeline", 480, 720, 49, FrameRule(8, 1), 50, 6.0,
                  8, max_sequence_length=226, dtype="float16",
                  params_b={"transformer": 1.7, "text_encoder": _T5_XXL, "vae": 0.2}),
        T2VPreset("cogvideox-5b", "THUDM/CogVideoX-5b", "CogVideoXPipeline", 480, 720, 49, FrameRule(8, 1), 50, 6.0,
                  8, max_sequence_length=226,
                  params_b={"transformer": 5.6, "text_encoder": _T5_XXL, "vae": 0.2}),
        T2VPreset("ltx", "Lightricks/LTX-Video", "LTXPipeline", 480, 704, 161, FrameRule(8, 1), 50, 3.0, 25,
                  max_sequence_length=128, size_multiple=32,
                  params_b={"transformer": 1.9, "text_encoder": _T5_XXL, "vae": 0.4}),
        T2VPreset("mochi", "genmo/mochi-1-preview", "MochiPipeline", 480, 848, 85, FrameRule(6, 1), 64, 4.5, 30,
                  max_sequence_length=256, params_b={"transformer": 10.0, "text_encoder": _T5_XXL, "vae": 0.4}),
        T2VPreset("allegro", "rhymes-ai/Allegro", "AllegroPipeline", 720, 1280, 88, FrameRule(8, 0), 100, 7.5, 15,
                  max_sequence_length=512, params_b={"transformer": 2.8, "text_encoder": _T5_XXL, "vae": 0.17},
                  extra={"vae_tiling": True}, note="Allegro's VAE decodes only in tiles"),
        T2VPreset("skyreels-v2", "Skywork/SkyReels-V2-T2V-14B-540P-Diffusers", "SkyReelsV2Pipeline", 544, 960, 97,
                  FrameRule(4, 1), 50, 6.0, 24, flow_shift=8.0, max_sequence_length=512,
                  params_b={"transformer": 14.0, "text_encoder": _UMT5, "vae": _WAN_VAE}),
    )
}  # fmt: skip
"""Every preset by name (``scine-eval models`` lists them with their memory estimates)."""
