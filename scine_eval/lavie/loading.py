"""Finding and loading LaVie's files safely: the UNet checkpoints, and SD's components from diffusers folders.

Layout (the release's ``./pretrained_models``, README "Download Pre-Trained models")::

    <pretrained>/
        lavie_base.pt                 (or .safetensors; the base network)
        lavie_interpolation.pt        (stages with interpolation)
        lavie_vsr.safetensors         (stages with VSR: this package's layout, see scine_eval.lavie.pipeline)
        lavie_base.json ...           (optional: a UNetConfig for a checkpoint; without one the released sizes)
        stable-diffusion-v1-4/        (optional here: vae/, text_encoder/, tokenizer/, scheduler/)
        stable-diffusion-x4-upscaler/ (optional here, for VSR: the same plus low_res_scheduler/)

``sd_path`` / ``upscaler_path`` override the two diffusers folders (a folder or a Hub id such as
``CompVis/stable-diffusion-v1-4``, loaded with ``from_pretrained``, so from the Hugging Face cache offline).

Checkpoints are read without running any pickled code: ``.safetensors`` through safetensors, everything else
through ``torch.load(path, map_location="cpu", weights_only=True)``, which refuses any object that is not a
tensor or plain container (a pickle whose ``__reduce__`` would run code is a :class:`ConfigError`). The released
``.pt`` files are dicts; the state dict is taken from the first of the keys ``ema`` (what ``find_model`` in the
release reads), ``state_dict`` or ``model`` that holds one, else the dict itself.

Nothing here imports torch at import time: :func:`locate` runs when the adapter is built, before any weights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scine_eval.errors import ConfigError
from scine_eval.fingerprint import fingerprint
from scine_eval.lavie.config import BASE, INTERPOLATION, VSR, UNetConfig

__all__ = [
    "CHECKPOINTS",
    "LaVieFiles",
    "load_pipeline",
    "load_unet",
    "locate",
    "read_state_dict",
]

CHECKPOINTS = {"base": "lavie_base", "interpolation": "lavie_interpolation", "vsr": "lavie_vsr"}
"""Each stage's checkpoint name, without its suffix (the names of the files on ``Vchitect/LaVie``)."""
DEFAULT_CONFIGS = {"base": BASE, "interpolation": INTERPOLATION, "vsr": VSR}
SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")
"""Looked for in this order: a ``.safetensors`` next to a ``.pt`` of the same name wins."""
WRAPPER_KEYS = ("ema", "state_dict", "model")
SD = ("stable-diffusion-v1-4", "CompVis/stable-diffusion-v1-4", ("vae", "text_encoder", "tokenizer", "scheduler"))
UPSCALER = ("stable-diffusion-x4-upscaler", "stabilityai/stable-diffusion-x4-upscaler",
            ("vae", "text_encoder", "tokenizer", "scheduler", "low_res_scheduler"))  # fmt: skip
VSR_HINT = (
    "the released lavie_vsr.pt is built from temporal modules (deformable-convolution warping, temporal shift) "
    "that this package does not implement; use stages=base or stages=base+interp with the released weights"
)


# -- reading checkpoints -----------------------------------------------------------------------------------


def read_state_dict(path: str | Path) -> dict[str, Any]:
    """The tensors of a checkpoint, read without executing any pickled code.

    Raises:
        ConfigError: an unreadable file, a pickle holding anything but tensors and plain containers, or a file
            without a state dict.
    """
    import torch

    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as error:  # safetensors raises its own error types for a corrupt header
            raise ConfigError(f"not a readable safetensors file: {error}", path=path) from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError (a refused object), EOFError, RuntimeError (not a torch file)
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(
            "refused to load: torch.load(weights_only=True) reads only tensors and plain containers, and this file "
            f"is not one ({first}); convert a trusted copy to .safetensors",
            path=path,
        ) from None
    return _state_dict(loaded, path)


def _state_dict(loaded: Any, path: Path) -> dict[str, Any]:
    import torch

    if isinstance(loaded, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(loaded.get(key), Mapping):
                loaded = loaded[key]
                break
    if not isinstance(loaded, Mapping) or not loaded:
        raise ConfigError(f"holds no state dict (a {type(loaded).__name__})", path=path)
    bad = [k for k, v in loaded.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ConfigError(
            f"is not a flat state dict: {len(bad)} entries are not tensors (e.g. {bad[0]!r}); expected a dict of "
            f"tensors, possibly under one of {', '.join(WRAPPER_KEYS)}",
            path=path,
        )
    return dict(loaded)


def load_unet(path: str | Path, default: UNetConfig, hint: str = "") -> Any:
    """A :class:`~scine_eval.lavie.unet.LaVieUNet` with ``path``'s weights, strictly (every key, every shape).

    The config is ``<checkpoint stem>.json`` next to the file when there is one, else ``default``. The network is
    built on the meta device and takes the checkpoint's tensors as they are (no random init, no copy).
    """
    import torch

    from scine_eval.lavie.convert import check_keys, from_release
    from scine_eval.lavie.unet import LaVieUNet

    path = Path(path)
    sidecar = path.with_suffix(".json")
    config = UNetConfig.load(sidecar) if sidecar.is_file() else default
    state = from_release(read_state_dict(path), config.rope_dim)
    with torch.device("meta"):
        model = LaVieUNet(config)
    try:
        check_keys(model.state_dict(), state, path.name)
    except ConfigError as error:
        raise ConfigError(f"{error}{'; ' + hint if hint else ''}", path=path) from None
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval()


# -- finding the files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaVieFiles:
    """Where one LaVie setup's files are, and what identifies them."""

    checkpoints: Mapping[str, Path]
    """Stage (``base``, ``interpolation``, ``vsr``) -> checkpoint file."""
    sd: str
    """SD 1.4's diffusers folder or Hub id."""
    upscaler: str | None
    """The SD x4 upscaler's folder or Hub id (stages with VSR)."""
    revision: str
    """A hash of the checkpoints' names and sizes, their configs and the component folders' configs."""


def locate(pretrained: str, stages: Sequence[str], sd_path: str | None = None,
           upscaler_path: str | None = None) -> LaVieFiles:  # fmt: skip
    """Checks that every file ``stages`` needs is there, without reading any weights.

    Raises:
        ConfigError: naming the option (``pretrained``, ``sd_path``, ``upscaler_path``), its value, and what is
            missing or what would be valid.
    """
    folder = Path(pretrained).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"pretrained={pretrained!r} is not a folder: it must be a local folder holding LaVie's checkpoints "
            f"({', '.join(CHECKPOINTS[s] + '.pt' for s in stages)}); download them with "
            "'huggingface-cli download Vchitect/LaVie --local-dir <folder>'"
        )
    checkpoints = {}
    for stage in stages:
        candidates = [folder / f"{CHECKPOINTS[stage]}{suffix}" for suffix in SUFFIXES]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise ConfigError(
                f"pretrained={pretrained!r} has no {CHECKPOINTS[stage]} checkpoint (looked for {CHECKPOINTS[stage]} "
                f"with {', '.join(SUFFIXES)}), which the {stage} stage needs"
            )
        checkpoints[stage] = found
    sd = _components("sd_path", sd_path, folder, SD)
    upscaler = _components("upscaler_path", upscaler_path, folder, UPSCALER) if "vsr" in stages else None
    identity = [(p.name, p.stat().st_size) for p in checkpoints.values()]
    configs = [p.with_suffix(".json") for p in checkpoints.values() if p.with_suffix(".json").is_file()]
    identity += [(p.name, p.read_text(encoding="utf-8")) for p in configs]
    identity += [_identity(source) for source in (sd, upscaler) if source]
    return LaVieFiles(checkpoints, sd, upscaler, f"local-{fingerprint(identity)[:12]}")


def _components(option: str, value: str | None, folder: Path, layout: tuple[str, str, tuple[str, ...]]) -> str:
    """A diffusers folder (checked for ``parts``) or a Hub id (checked against the cache when offline)."""
    name, hub_id, parts = layout
    if value is None:
        value = str(folder / name) if (folder / name).is_dir() else hub_id
    path = Path(value).expanduser()
    if path.exists() or value.startswith((".", "/", "~")):
        missing = [p for p in parts if not (path / p).is_dir()]
        if not path.is_dir() or missing:
            raise ConfigError(f"{option}={value!r} is not a diffusers folder with {', '.join(parts)} "
                              f"(missing: {', '.join(missing) if path.is_dir() else 'the folder'}); give the folder "
                              f"of {hub_id} or its Hub id")  # fmt: skip
        return str(path)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(value, f"{parts[0]}/config.json"), str):
            raise ConfigError(
                f"{option}={value!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: download it "
                f"once (huggingface-cli download {value}) or pass {option}=<folder>"
            )
    return value


def _identity(source: str) -> tuple[str, str]:
    path = Path(source)
    if not path.is_dir():
        return ("hub", source)
    configs = sorted(p for p in path.glob("*/*.json") if p.name != "vocab.json")
    return ("folder", fingerprint([(p.relative_to(path).as_posix(), p.read_text(encoding="utf-8")) for p in configs]))


# -- assembling the pipeline -------------------------------------------------------------------------------


def load_pipeline(files: LaVieFiles, sampler: str, dtype: str, device: str) -> Any:
    """A :class:`~scine_eval.lavie.pipeline.LaviePipeline` with the stages ``files`` hold, on ``device``."""
    import torch

    from scine_eval.compat import ensure_torchvision

    ensure_torchvision()  # before diffusers imports transformers (PyPI's torchvision is a CUDA build)
    from diffusers import DDIMScheduler, DDPMScheduler, EulerDiscreteScheduler

    from scine_eval.lavie.pipeline import LaviePipeline, UpscaleStage

    precision = getattr(torch, dtype)
    samplers = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler, "eulerdiscrete": EulerDiscreteScheduler}

    def unet(stage: str) -> Any:
        hint = VSR_HINT if stage == "vsr" else ""
        return load_unet(files.checkpoints[stage], DEFAULT_CONFIGS[stage], hint).to(device, precision)

    # The release's base sampler: SD 1.4's scheduler config with linear betas 1e-4 .. 0.02 (base/pipelines/sample.py).
    scheduler = _from_pretrained(samplers[sampler], files.sd, "scheduler", beta_start=0.0001, beta_end=0.02,
                                 beta_schedule="linear")  # fmt: skip
    vae, text = _vae(files.sd, precision, device), _text(files.sd, precision, device)
    interpolation = unet("interpolation") if "interpolation" in files.checkpoints else None
    upscale = None
    if "vsr" in files.checkpoints:
        assert files.upscaler is not None
        upscale = UpscaleStage(
            unet=unet("vsr"),
            vae=_vae(files.upscaler, precision, device),
            text=_text(files.upscaler, precision, device),
            # vsr/sample.py: the upscaler's scheduler config with linear betas, as a DDIM scheduler.
            scheduler=_from_pretrained(DDIMScheduler, files.upscaler, "scheduler", beta_schedule="linear"),
            low_res_scheduler=_from_pretrained(DDPMScheduler, files.upscaler, "low_res_scheduler"),
        )
    return LaviePipeline(vae, text, unet("base"), scheduler, interpolation, upscale)


def _from_pretrained(cls: Any, source: str, subfolder: str, **overrides: Any) -> Any:
    try:
        return cls.from_pretrained(source, subfolder=subfolder, **overrides)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{source}/{subfolder} could not be loaded: {str(error).splitlines()[0]}") from None


def _vae(source: str, dtype: Any, device: str) -> Any:
    from diffusers import AutoencoderKL

    return _from_pretrained(AutoencoderKL, source, "vae", torch_dtype=dtype).to(device).eval()


def _text(source: str, dtype: Any, device: str) -> Any:
    from transformers import CLIPTextModel, CLIPTokenizer

    from scine_eval.lavie.pipeline import TextStack

    tokenizer = _from_pretrained(CLIPTokenizer, source, "tokenizer")
    encoder = _from_pretrained(CLIPTextModel, source, "text_encoder", dtype=dtype).to(device).eval()
    return TextStack(tokenizer, encoder)
