"""``synthetic``: a procedural stimulus renderer that obeys a prompt's camera, lighting and weather controls.

It renders a layered scene (sky and skyline, paved ground in perspective, props, a standing figure) from
the prompt's mapped (leaf, value) pairs, so every clip's truth is known: the embedded default for runs
without GPUs, a reference point for judges, and with ``follow_prompt=false`` a null model that renders
neutral defaults whatever the prompt asks. What it can express, and the rule when controls contradict,
are in :mod:`scine_eval.stimuli.controls`; anything else is listed in the sample log as unsupported,
never faked. Deterministic: the same prompt, seed and arguments give the same pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le, MultipleOf

from scine_eval.contracts.arguments import PositiveFloat, PositiveInt
from scine_eval.contracts.model import GeneratedVideo, GenerationRequest, ModelAdapter, register_model
from scine_eval.multishot.render import render_shots_frames
from scine_eval.stimuli import Stimulus, resolve_controls
from scine_eval.stimuli.clips import write_clip
from scine_eval.stimuli.render import RENDERER_VERSION, clip_seed
from scine_eval.video import write_video

X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]


@register_model("synthetic")
class SyntheticRenderer(ModelAdapter):
    """Renders each prompt's controls as a short procedural clip (numpy and PyAV, no weights).

    Args:
        follow_prompt: render the prompt's controls; ``false`` makes the null model (neutral defaults
            for every prompt, named ``synthetic-null`` in results).
        duration: clip length in seconds.
        fps: frames per second.
        size: width and height in pixels (even, at least 64).
        crf: x264 quality (lower is better; 18 is visually lossless).
        preset: x264 speed preset (``veryfast`` encodes about twice as fast as x264's default).
    """

    uses_controls = True
    cpu_bound = True  # numpy rendering and x264 encoding: one clip per core (scine_eval.workers)

    def __init__(
        self,
        follow_prompt: bool = True,
        duration: PositiveFloat = 5.0,
        fps: PositiveInt = 12,
        size: Annotated[int, Ge(64), MultipleOf(2)] = 256,
        crf: Annotated[int, Ge(0), Le(51)] = 18,
        preset: X264Preset = "veryfast",
    ):
        self.follow_prompt = follow_prompt
        self.base = Stimulus(duration=duration, fps=fps, size=size)  # validates the values
        self.crf, self.preset = crf, preset

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedVideo]:
        return [self._one_safely(request) for request in requests]

    def _one_safely(self, request: GenerationRequest) -> GeneratedVideo:
        try:
            return self._one(request)
        except (OSError, ValueError) as error:  # one unwritable path must not end the batch (the contract)
            return GeneratedVideo(request, None, error=f"render failed: {type(error).__name__}: {error}")

    def _one(self, request: GenerationRequest) -> GeneratedVideo:
        if request.shots and self.follow_prompt:
            return self._script(request)
        resolution = resolve_controls(request.controls if self.follow_prompt else (), self.base)
        world = clip_seed(request.seed, request.prompt_id)
        path = write_clip(request.output_path, resolution.stimulus, world, crf=self.crf, preset=self.preset)
        metadata = resolution.to_metadata() if self.follow_prompt else {"follow_prompt": False}
        return GeneratedVideo(request, path, metadata=metadata)

    def _script(self, request: GenerationRequest) -> GeneratedVideo:
        """A multi-shot script: each shot drawn from its own controls for its time code, joined by hard cuts.

        (:mod:`scine_eval.multishot.render`.) ``duration`` does not apply: the script's time codes do.
        """
        fps, size = self.base.fps, self.base.size
        frames, shots = render_shots_frames(request.shots, request.prompt_id, request.seed, fps=fps, size=size)
        path = write_video(request.output_path, frames, fps=fps, crf=self.crf, options={"preset": self.preset})
        pairs = zip(request.shots, shots, strict=True)
        spans = [[shot.text, rendered.start_s, rendered.end_s] for shot, rendered in pairs]
        return GeneratedVideo(request, path, metadata={"shots": spans, "rendered": [s.to_metadata() for s in shots]})

    def spec(self) -> dict[str, Any]:
        return {
            "adapter": self.name,
            "renderer": RENDERER_VERSION,
            "follow_prompt": self.follow_prompt,
            "duration": self.base.duration,
            "fps": self.base.fps,
            "size": self.base.size,
            "crf": self.crf,
            "preset": self.preset,
        }

    def model_info(self) -> dict[str, Any]:
        name = "synthetic" if self.follow_prompt else "synthetic-null"
        return {"model_name": name, "model_sha": f"renderer-{RENDERER_VERSION}", "model_dtype": "uint8"}
