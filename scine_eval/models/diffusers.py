"""``diffusers``: any text-to-video pipeline diffusers ships, and a preset per open model that labs compare.

    scine-eval --model wan2.1-1.3b --tasks "camera.*" --judge qwen2.5-vl-7b
    scine-eval --model diffusers --model_args pretrained=/models/my-pipeline,frames=33,steps=30

The pipeline class comes from the checkpoint's ``model_index.json`` (``DiffusionPipeline.from_pretrained``), a
Hub id or a local folder alike. Each request gets ``torch.Generator(device).manual_seed(seed)``; frames are
written at the model's native frame rate to the request's ``output_path`` (the store moves the file into place
once complete). Weights load on the first ``generate`` call, so building the adapter checks its arguments
(and finds the pipeline's ``model_index.json``) without touching the GPU. Presets and their sources are in
:mod:`scine_eval.diffusion.presets`; ``docs/models.md`` has the table and memory advice.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from importlib import metadata
from typing import Any, Literal

import numpy as np

from scine_eval.contracts.arguments import NonNegativeInt, PositiveFloat, PositiveInt
from scine_eval.contracts.model import GeneratedVideo, GenerationRequest, ModelAdapter, model_registry, register_model
from scine_eval.diffusion.loading import load_pipeline, locate, require_diffusers
from scine_eval.diffusion.presets import PRESETS, FrameRule, check_size
from scine_eval.video import to_uint8, write_video

log = logging.getLogger("scine_eval")

Dtype = Literal["auto", "bfloat16", "float16", "float32"]
Offload = Literal["none", "model", "sequential"]
MultiShot = Literal["one", "per_shot"]


@register_model("diffusers")
class DiffusersT2V(ModelAdapter):
    """A diffusers text-to-video pipeline (Wan, HunyuanVideo, CogVideoX, LTX, Mochi, Allegro, SkyReels-V2...).

    Args:
        pretrained: a Hub id or a local pipeline folder (one with ``model_index.json``).
        revision: a Hub branch, tag or commit; the commit actually used is recorded as ``model_sha``.
        model_name: the name results and leaderboards show (default: the preset's, else the folder or id).
        dtype: ``auto`` (bf16 on GPU, fp32 on CPU) or an explicit precision.
        steps: denoising steps.
        guidance: classifier-free guidance scale (HunyuanVideo: its embedded guidance).
        guidance_2: the low-noise expert's guidance (Wan 2.2 A14B's ``guidance_scale_2``).
        frames: frames per video; must follow the model's rule (``frame_step * k + frame_offset``).
        frame_step, frame_offset: the model's frame rule (``4k+1`` for Wan and HunyuanVideo).
        height, width: the video size in pixels.
        size_multiple: height and width must be multiples of it (VAE compression times patch size).
        fps: the frame rate the video is written at (the model's native rate).
        negative_prompt: what guidance steers away from (empty: the pipeline's default).
        flow_shift: the flow-matching scheduler's shift (``None``: the checkpoint's).
        max_sequence_length: the prompt's token budget (``None``: the pipeline's default).
        batch_size: prompts per pipeline call.
        offload: ``none`` (all on the GPU), ``model`` (one component at a time) or ``sequential`` (least memory).
        vae_tiling: decode in tiles (less memory at high resolution).
        compile: ``torch.compile`` the transformer.
        multishot: for multi-shot scripts (``--suite multishot``): ``one`` long video from the whole script as one
            prompt, or ``per_shot``: one clip per shot from its own prompt, joined by hard cuts.
        device: ``auto`` (first CUDA device if any, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
    """

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        model_name: str | None = None,
        dtype: Dtype = "auto",
        steps: PositiveInt = 50,
        guidance: PositiveFloat = 5.0,
        guidance_2: PositiveFloat | None = None,
        frames: PositiveInt = 49,
        frame_step: PositiveInt = 1,
        frame_offset: NonNegativeInt = 0,
        height: PositiveInt = 480,
        width: PositiveInt = 832,
        size_multiple: PositiveInt = 8,
        fps: PositiveInt = 16,
        negative_prompt: str = "",
        flow_shift: PositiveFloat | None = None,
        max_sequence_length: PositiveInt | None = None,
        batch_size: PositiveInt = 1,
        offload: Offload = "none",
        vae_tiling: bool = False,
        compile: bool = False,
        multishot: MultiShot = "one",
        device: str = "auto",
    ):
        require_diffusers()
        self.pretrained, self.revision = str(pretrained), revision
        self.frame_rule = FrameRule(frame_step, frame_offset)
        self.frame_rule.check(frames, f"model {model_name or pretrained!r}")
        check_size(height, width, size_multiple, f"model {model_name or pretrained!r}")
        self.located = locate(self.pretrained, revision)
        self.model_name = model_name or self.pretrained.rstrip("/").rsplit("/", 1)[-1]
        self.dtype, self.device, self.offload = dtype, device, offload
        self.steps, self.guidance, self.guidance_2 = steps, guidance, guidance_2
        self.frames, self.height, self.width, self.fps = frames, height, width, fps
        self.negative_prompt, self.flow_shift = negative_prompt, flow_shift
        self.max_sequence_length = max_sequence_length
        self.batch_size, self.vae_tiling, self.compile = batch_size, vae_tiling, compile
        self.multishot = multishot
        self._pipe: Any = None
        self._accepted: frozenset[str] = frozenset()

    # -- the contract -------------------------------------------------------------------------------------

    @classmethod
    def describe(cls) -> dict[str, Any]:
        rows = []
        for preset in PRESETS.values():
            memory = preset.memory_gib()
            rows.append({"preset": preset.name, "pretrained": preset.repo_id, "size": f"{preset.width}x{preset.height}",
                         "frames": f"{preset.frames} ({preset.frame_rule})", "fps": preset.fps, "steps": preset.steps,
                         "guidance": preset.guidance, "dtype": preset.dtype, "weights_gib": memory["weights"],
                         "offload_model_gib": memory["largest_component"]})  # fmt: skip
        return {"presets": rows}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        if self.multishot == "per_shot" and any(r.shots for r in requests):
            return [self._per_shot(r) if r.shots else self.generate([r])[0] for r in requests]
        try:
            frames = self._call(requests)
        except Exception as error:  # out of memory, a pipeline error: this batch fails, the run goes on
            return self._failed(requests, error)
        return [self._write(request, video) for request, video in zip(requests, frames, strict=True)]

    def _per_shot(self, request: GenerationRequest) -> GeneratedVideo:
        """A multi-shot script as one clip per shot, joined by hard cuts.

        Each clip comes from its shot's own prompt and the request's seed (so the shots share their noise). The
        shots' places are reported: the clips' lengths set them, not the script's time codes.
        """
        clips = []
        for start in range(0, len(request.shots), max(1, self.batch_size)):
            chunk = [replace(request, prompt=shot.prompt or shot.text, shots=())
                     for shot in request.shots[start : start + max(1, self.batch_size)]]  # fmt: skip
            try:
                clips += [to_uint8(video) for video in self._call(chunk)]
            except Exception as error:  # as a failed batch: this script fails, the run goes on
                return self._failed([request], error)[0]
        edges = np.cumsum([0, *(len(clip) for clip in clips)]) / self.fps
        done = self._write(request, np.concatenate(clips))
        spans = [[shot.text, float(a), float(b)] for shot, a, b in zip(request.shots, edges, edges[1:], strict=False)]
        return replace(done, metadata={**done.metadata, "shots": spans}) if done.path else done

    def _failed(self, requests: Sequence[GenerationRequest], error: Exception) -> list[GeneratedVideo]:
        self._free_memory()
        kind = "out of GPU memory" if _is_oom(error) else type(error).__name__
        reason = f"{kind}: {str(error).splitlines()[0] if str(error) else error!r}"
        log.warning("%s failed on %d prompt(s): %s", self.model_name, len(requests), reason)
        return [GeneratedVideo(r, None, error=f"generation failed ({reason})") for r in requests]

    def spec(self) -> dict[str, Any]:
        return {
            "adapter": self.name,
            "pretrained": self.pretrained,
            "revision": self.located.revision_sha,
            "pipeline": self.located.pipeline_class,
            "scheduler": self.located.scheduler_class,
            "dtype": self.resolved_dtype,
            "steps": self.steps,
            "guidance": self.guidance,
            "guidance_2": self.guidance_2,
            "flow_shift": self.flow_shift,
            "frames": self.frames,
            "height": self.height,
            "width": self.width,
            "fps": self.fps,
            "negative_prompt": self.negative_prompt,
            "max_sequence_length": self.max_sequence_length,
            "multishot": self.multishot,
            "diffusers": _version("diffusers"),
        }

    def model_info(self) -> dict[str, Any]:
        sha, dtype = self.located.revision_sha, self.resolved_dtype
        return {"model_name": self.model_name, "model_sha": sha, "model_dtype": dtype}

    def close(self) -> None:
        self._pipe = None
        self._free_memory()

    # -- helpers ------------------------------------------------------------------------------------------

    @property
    def resolved_device(self) -> str:
        """``auto``: this process's GPU under torchrun / accelerate (``LOCAL_RANK``), else the first GPU or the CPU."""
        if self.device != "auto":
            return self.device
        import torch

        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if torch.cuda.is_available() else "cpu"

    @property
    def resolved_dtype(self) -> str:
        if self.dtype != "auto":
            return self.dtype
        return "float32" if self.resolved_device == "cpu" else "bfloat16"

    def _pipeline(self) -> Any:
        """The loaded pipeline; on first use also what its ``__call__`` takes, and its guidance if it has a guider."""
        if self._pipe is None:
            pipe = load_pipeline(self.pretrained, self.revision, self.resolved_dtype, self.resolved_device,
                                 self.flow_shift, self.offload, self.vae_tiling, self.compile)  # fmt: skip
            self._accepted = frozenset(inspect.signature(pipe.__call__).parameters)
            if "guidance_scale" not in self._accepted and getattr(pipe, "guider", None) is not None:
                pipe.guider = pipe.guider.new(guidance_scale=self.guidance)  # HunyuanVideo 1.5 guides by a component
            self._pipe = pipe
        return self._pipe

    def _call(self, requests: Sequence[GenerationRequest]) -> Any:
        import torch

        pipe = self._pipeline()
        device = "cpu" if self.offload != "none" else self.resolved_device  # offloaded pipelines draw noise on CPU
        kwargs: dict[str, Any] = {
            "prompt": [r.prompt for r in requests],
            "num_frames": self.frames,
            "height": self.height,
            "width": self.width,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance,
            "generator": [torch.Generator(device).manual_seed(r.seed) for r in requests],
            "output_type": "np",
            # Optional, passed only to pipelines that take them (LTX's frame_rate conditions on the fps).
            "negative_prompt": [self.negative_prompt] * len(requests) if self.negative_prompt else None,
            "guidance_scale_2": self.guidance_2,
            "max_sequence_length": self.max_sequence_length,
            "frame_rate": self.fps,
        }
        call = {k: v for k, v in kwargs.items() if v is not None and k in self._accepted}
        with torch.inference_mode():
            return pipe(**call).frames

    def _write(self, request: GenerationRequest, video: Any) -> GeneratedVideo:
        pixels = to_uint8(video)
        try:
            path = write_video(request.output_path, pixels, fps=self.fps)
        except (OSError, ValueError) as error:
            return GeneratedVideo(request, None, error=f"could not write the video: {error}")
        return GeneratedVideo(request, path, metadata={"frames": int(pixels.shape[0]), "fps": self.fps})

    def _free_memory(self) -> None:
        import gc

        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _is_oom(error: Exception) -> bool:
    return type(error).__name__ == "OutOfMemoryError" or "out of memory" in str(error).lower()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


for _preset in PRESETS.values():
    model_registry.add_preset(_preset.name, "diffusers", model_name=_preset.name, **_preset.adapter_args())
