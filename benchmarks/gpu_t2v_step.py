"""One denoising step of a real-size text-to-video transformer, random weights from its real config (no download).

    python benchmarks/gpu_t2v_step.py --preset wan2.1-1.3b            # on a GPU: bf16 at the preset's size
    python benchmarks/gpu_t2v_step.py --preset wan2.1-14b --steps 3
    python benchmarks/gpu_t2v_step.py --preset wan2.1-1.3b --small    # CPU smoke test: 2 layers, 1/4 size

Reports seconds per step (classifier-free guidance doubles the batch, as a run does), peak GPU memory and the
implied minutes per video at the preset's step count. The configs are the published transformer configs of the
Diffusers checkpoints (``transformer/config.json``), written out here so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import time

WAN_CONFIGS = {
    "wan2.1-1.3b": {"num_attention_heads": 12, "attention_head_dim": 128, "ffn_dim": 8960, "num_layers": 30},
    "wan2.1-14b": {"num_attention_heads": 40, "attention_head_dim": 128, "ffn_dim": 13824, "num_layers": 40},
}
WAN_COMMON = {"in_channels": 16, "out_channels": 16, "text_dim": 4096, "freq_dim": 256, "patch_size": (1, 2, 2),
              "cross_attn_norm": True, "qk_norm": "rms_norm_across_heads", "eps": 1e-6, "rope_max_seq_len": 1024}
TEXT_TOKENS = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(WAN_CONFIGS), default="wan2.1-1.3b")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    parser.add_argument("--small", action="store_true", help="2 layers at a quarter of the size (CPU smoke test)")
    args = parser.parse_args()

    import torch

    from scine_eval.compat import ensure_torchvision
    from scine_eval.diffusion.presets import PRESETS

    ensure_torchvision()  # on a CPU machine with PyPI's torchvision
    from diffusers import WanTransformer3DModel

    preset = PRESETS[args.preset]
    cuda = torch.cuda.is_available()
    device, dtype = ("cuda", torch.bfloat16) if cuda else ("cpu", torch.float32)
    config = {**WAN_COMMON, **WAN_CONFIGS[args.preset]}
    height, width, frames = preset.height, preset.width, preset.frames
    if args.small:
        config["num_layers"], height, width, frames = 2, height // 4, width // 4, 9
    with torch.device("meta"):
        params = sum(p.numel() for p in WanTransformer3DModel(**config).parameters())
    torch.manual_seed(0)
    model = WanTransformer3DModel(**config).to(device=device, dtype=dtype).eval()
    latents = torch.randn(2, 16, (frames - 1) // 4 + 1, height // 8, width // 8, device=device, dtype=dtype)
    text = torch.randn(2, TEXT_TOKENS, config["text_dim"], device=device, dtype=dtype)
    timestep = torch.tensor([500, 500], device=device)

    def step() -> None:
        with torch.inference_mode():
            model(hidden_states=latents, timestep=timestep, encoder_hidden_states=text, return_dict=False)
        if cuda:
            torch.cuda.synchronize()

    step()  # warm-up: kernels, allocator
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = (time.perf_counter() - started) / args.steps
    report = {
        "preset": args.preset,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "dtype": str(dtype).removeprefix("torch."),
        "params_b": round(params / 1e9, 3),
        "video": f"{frames} frames at {width}x{height} (CFG batch of 2)",
        "video_tokens": latents.shape[2] * (latents.shape[3] // 2) * (latents.shape[4] // 2),
        "seconds_per_step": round(seconds, 3),
        "minutes_per_video": round(seconds * preset.steps / 60, 2),
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "small": args.small,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
