"""Seconds per LaVie video on a GPU: the real-size UNets with random weights from the released configs (no download).

    python benchmarks/gpu_lavie.py                          # base: 16 frames at 320x512, fp16, 50 DDPM steps
    python benchmarks/gpu_lavie.py --stages all --steps 2   # + interpolation (61 frames) + VSR (x4), 2 timed steps
    python benchmarks/gpu_lavie.py --arch small             # CPU smoke test: the tiny pipeline's configs, 32x32

Each stage's denoising step is timed as a run makes it (classifier-free guidance doubles the batch; VSR runs
chunks of 8 frames at the low-resolution size), after one warm-up step, and multiplied by the stage's step count
(50 each, the release's). The VAE decode and the text encoders are not included (``unet_only`` in the report);
they are a small share next to 50 UNet steps. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import time

STEPS = {"base": 50, "interpolation": 50, "vsr": 50}
"""The release's steps per stage (base/interpolation/vsr sample.yaml)."""
STAGES = {"base": ("base",), "base+interp": ("base", "interpolation"), "all": ("base", "interpolation", "vsr")}


def workload(stage: str, stages: tuple[str, ...], latent: tuple[int, int],
             pixels: tuple[int, int]) -> tuple[int, tuple[int, int], int]:  # fmt: skip
    """(frames per UNet call, its spatial size, calls per step) of one stage, as the pipeline runs it.

    Base: 16 frames of 1/8-size latents; interpolation: 61; VSR: chunks of 8 frames at the base video's pixel size
    (the x4 upscaler's latents have the low-resolution input's size).
    """
    if stage == "base":
        return 16, latent, 1
    if stage == "interpolation":
        return 61, latent, 1
    return 8, pixels, math.ceil((61 if "interpolation" in stages else 16) / 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", choices=sorted(STAGES), default="base")
    parser.add_argument("--arch", choices=("real", "small"), default="real", help="small: tiny configs (CPU smoke)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per stage after one warm-up step")
    parser.add_argument("--dtype", choices=("float16", "bfloat16", "float32"), default=None,
                        help="default: float16 on GPU (as the release samples), float32 on CPU")  # fmt: skip
    args = parser.parse_args()

    import torch

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before diffusers imports transformers (PyPI's torchvision is a CUDA build)
    from scine_eval.lavie import config as configs
    from scine_eval.lavie.unet import LaVieUNet
    from scine_eval.tiny_pipelines.lavie import TINY_BASE, TINY_INTERPOLATION, TINY_VSR

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    dtype = getattr(torch, args.dtype or ("float16" if cuda else "float32"))
    real = args.arch == "real"
    networks = {
        "base": configs.BASE if real else TINY_BASE,
        "interpolation": configs.INTERPOLATION if real else TINY_INTERPOLATION,
        "vsr": configs.VSR if real else TINY_VSR,
    }
    height, width = (320, 512) if real else (32, 32)
    latent = (height // 8, width // 8)
    report: dict[str, object] = {"device": torch.cuda.get_device_name() if cuda else "cpu", "arch": args.arch,
                                 "dtype": str(dtype).removeprefix("torch."), "stages": args.stages, "unet_only": True,
                                 "video": f"16 frames at {width}x{height}"}  # fmt: skip
    total = 0.0
    for stage in STAGES[args.stages]:
        config = networks[stage]
        torch.manual_seed(0)
        model = LaVieUNet(config).to(device=device, dtype=dtype).eval()
        text = torch.randn(2, 77, config.cross_attention_dim, device=device, dtype=dtype)
        labels = torch.full((2,), 50, device=device) if config.num_class_embeds else None
        frames, size, calls = workload(stage, STAGES[args.stages], latent, (height, width))
        sample = torch.randn(2, config.in_channels, frames, *size, device=device, dtype=dtype)
        timestep = torch.tensor([500, 500], device=device)

        def step(model=model, sample=sample, timestep=timestep, text=text, labels=labels) -> None:
            with torch.inference_mode():
                model(sample, timestep, text, class_labels=labels)
            if cuda:
                torch.cuda.synchronize()

        step()  # warm-up: kernels, allocator
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds = (time.perf_counter() - started) / args.steps
        stage_seconds = seconds * STEPS[stage] * calls
        total += stage_seconds
        report[stage] = {
            "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
            "input": list(sample.shape),
            "seconds_per_step": round(seconds, 4),
            "calls_per_step": calls,
            "seconds_per_video": round(stage_seconds, 2),
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        }
        del model, sample
        if cuda:
            torch.cuda.empty_cache()
    report["seconds_per_video"] = round(total, 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
