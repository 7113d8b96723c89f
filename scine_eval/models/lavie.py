"""``lavie``: LaVie's cascaded text-to-video model (arXiv 2309.15103), base network faithful to the release.

    scine-eval --model lavie --model_args pretrained=/models/LaVie,sd_path=/models/stable-diffusion-v1-4
    scine-eval --model lavie --model_args pretrained=/models/LaVie,stages=base+interp

``pretrained`` is a folder with ``lavie_base.pt`` (and ``lavie_interpolation.pt`` for interpolation); SD 1.4's
VAE, text encoder, tokenizer and scheduler config come from ``sd_path`` (default: the folder's
``stable-diffusion-v1-4/``, else the Hub id ``CompVis/stable-diffusion-v1-4`` from the cache). The networks are
:mod:`scine_eval.lavie`'s, on diffusers components; its pipeline docstring says what each stage reproduces.
Weights load on the first ``generate`` call; building the adapter checks every option and file first. Each
request's random draws come from ``torch.Generator(device).manual_seed(seed)``, as in the ``diffusers`` adapter,
whose batch error handling, export and memory release this adapter reuses. ``docs/lavie.md`` has the details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le

from scine_eval.contracts.arguments import PositiveFloat, PositiveInt
from scine_eval.contracts.model import GenerationRequest, register_model
from scine_eval.diffusion.loading import require_diffusers
from scine_eval.diffusion.presets import check_size
from scine_eval.errors import ConfigError
from scine_eval.models.diffusers import DiffusersT2V, MultiShot, _version

Stages = Literal["base", "base+interp", "base+vsr", "all"]
Sampler = Literal["ddpm", "ddim", "eulerdiscrete"]
Dtype = Literal["auto", "float16", "bfloat16", "float32"]
NoiseLevel = Annotated[int, Ge(0), Le(999)]

STAGES: dict[str, tuple[str, ...]] = {
    "base": ("base",),
    "base+interp": ("base", "interpolation"),
    "base+vsr": ("base", "vsr"),
    "all": ("base", "interpolation", "vsr"),
}
"""What each ``stages`` value runs, in order (the release's option table: 16 or 61 frames, x1 or x4 size)."""
INTERPOLATION_INPUT = 16
"""The frames the interpolation network takes (``range(0, 62, 4)`` in ``interpolation/sample.py``)."""
IMPLEMENTATION = "scine_eval.lavie/1"
"""Bumped whenever a change here or in :mod:`scine_eval.lavie` changes pixels."""


@register_model("lavie")
class LaVie(DiffusersT2V):
    """LaVie: base text-to-video, optional temporal interpolation (16 -> 61 frames) and x4 super-resolution.

    Args:
        pretrained: a folder with ``lavie_base.pt`` / ``.safetensors`` (+ ``lavie_interpolation``, ``lavie_vsr``).
        sd_path: SD 1.4's diffusers folder or Hub id (default: ``<pretrained>/stable-diffusion-v1-4``, else
            ``CompVis/stable-diffusion-v1-4``).
        upscaler_path: the SD x4 upscaler's folder or Hub id, for VSR (default: ``<pretrained>/stable-diffusion-
            x4-upscaler``, else ``stabilityai/stable-diffusion-x4-upscaler``).
        stages: ``base`` (16 frames, 320x512), ``base+interp`` (61 frames), ``base+vsr`` (x4 size) or ``all``.
            VSR runs this package's network, not the released one (see ``docs/lavie.md``).
        model_name: the name results show (default ``lavie``, with the stages when not ``base``).
        sampler: the base sampler (the release's ``sample_method``).
        steps, guidance, negative_prompt: the base stage's sampling (release: 50, 7.0, empty).
        frames, height, width: the base video (release: 16 at 320x512); interpolation needs 16 frames.
        fps: the rate the video is written at (default: 8, the base release's; 24 with interpolation, its
            ``fps_list``).
        interp_steps, interp_guidance: the interpolation stage's DDIM steps and guidance (release: 50, 4.0).
        vsr_steps, vsr_guidance, noise_level: the VSR stage's (release: 50, 5, 50).
        dtype: ``auto`` (float16 on GPU, as the release samples; float32 on CPU) or an explicit precision.
        device: ``auto`` (this process's GPU, else CPU), ``cpu``, ``cuda:1``...
        batch_size: prompts per pipeline call.
        multishot: for multi-shot scripts: ``one`` video from the whole script, or ``per_shot`` (one clip per shot).
    """

    def __init__(
        self,
        pretrained: str,
        sd_path: str | None = None,
        upscaler_path: str | None = None,
        stages: Stages = "base",
        model_name: str | None = None,
        sampler: Sampler = "ddpm",
        steps: PositiveInt = 50,
        guidance: PositiveFloat = 7.0,
        negative_prompt: str = "",
        frames: PositiveInt = 16,
        height: PositiveInt = 320,
        width: PositiveInt = 512,
        fps: PositiveInt | None = None,
        interp_steps: PositiveInt = 50,
        interp_guidance: PositiveFloat = 4.0,
        vsr_steps: PositiveInt = 50,
        vsr_guidance: PositiveFloat = 5.0,
        noise_level: NoiseLevel = 50,
        dtype: Dtype = "auto",
        device: str = "auto",
        batch_size: PositiveInt = 1,
        multishot: MultiShot = "one",
    ):
        require_diffusers()
        from scine_eval.lavie.loading import locate

        self.stages = stages
        interpolate = "interpolation" in STAGES[stages]
        if interpolate and frames != INTERPOLATION_INPUT:
            raise ConfigError(
                f"model 'lavie': frames={frames} is not supported with stages={stages}: the interpolation network "
                f"takes exactly {INTERPOLATION_INPUT} base frames (and makes {4 * INTERPOLATION_INPUT - 3}); use "
                f"frames={INTERPOLATION_INPUT} or stages=base"
            )
        check_size(height, width, 8, "model 'lavie'")
        self.pretrained = str(pretrained)
        self.files = locate(self.pretrained, STAGES[stages], sd_path, upscaler_path)
        self.model_name = model_name or ("lavie" if stages == "base" else f"lavie-{stages}")
        self.sampler, self.steps, self.guidance, self.negative_prompt = sampler, steps, guidance, negative_prompt
        self.frames, self.height, self.width = frames, height, width
        self.fps = fps or (24 if interpolate else 8)
        self.interp_steps, self.interp_guidance = interp_steps, interp_guidance
        self.vsr_steps, self.vsr_guidance, self.noise_level = vsr_steps, vsr_guidance, noise_level
        self.dtype, self.device, self.batch_size, self.multishot = dtype, device, batch_size, multishot
        self.offload = "none"  # the inherited generate() draws noise on self.resolved_device
        self._pipe: Any = None

    # -- the contract -------------------------------------------------------------------------------------

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {}

    def spec(self) -> dict[str, Any]:
        stages = STAGES[self.stages]
        spec: dict[str, Any] = {
            "adapter": self.name,
            "implementation": IMPLEMENTATION,
            "pretrained": self.pretrained,
            "revision": self.files.revision,
            "stages": self.stages,
            "dtype": self.resolved_dtype,
            "sampler": self.sampler,
            "steps": self.steps,
            "guidance": self.guidance,
            "negative_prompt": self.negative_prompt,
            "frames": self.frames,
            "height": self.height,
            "width": self.width,
            "fps": self.fps,
            "multishot": self.multishot,
            "diffusers": _version("diffusers"),
        }
        if "interpolation" in stages:
            spec |= {"interp_steps": self.interp_steps, "interp_guidance": self.interp_guidance}
        if "vsr" in stages:
            spec |= {"vsr_steps": self.vsr_steps, "vsr_guidance": self.vsr_guidance, "noise_level": self.noise_level}
        return spec

    def model_info(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_sha": self.files.revision, "model_dtype": self.resolved_dtype}

    # -- helpers ------------------------------------------------------------------------------------------

    @property
    def resolved_dtype(self) -> str:
        if self.dtype != "auto":
            return self.dtype
        return "float32" if self.resolved_device == "cpu" else "float16"

    def sampling(self) -> Any:
        """The pipeline settings these options make."""
        from scine_eval.lavie.pipeline import Sampling

        stages = STAGES[self.stages]
        return Sampling(frames=self.frames, height=self.height, width=self.width, steps=self.steps,
                        guidance=self.guidance, negative_prompt=self.negative_prompt,
                        interpolate="interpolation" in stages, interp_steps=self.interp_steps,
                        interp_guidance=self.interp_guidance, upscale="vsr" in stages, vsr_steps=self.vsr_steps,
                        vsr_guidance=self.vsr_guidance, noise_level=self.noise_level)  # fmt: skip

    def _pipeline(self) -> Any:
        if self._pipe is None:
            from scine_eval.lavie.loading import load_pipeline

            self._pipe = load_pipeline(self.files, self.sampler, self.resolved_dtype, self.resolved_device)
        return self._pipe

    def _call(self, requests: Sequence[GenerationRequest]) -> Any:
        import torch

        pipe = self._pipeline()
        generators = [torch.Generator(self.resolved_device).manual_seed(r.seed) for r in requests]
        return pipe([r.prompt for r in requests], generators, self.sampling())
