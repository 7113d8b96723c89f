"""Loading a Qwen2.5-VL checkpoint and its processor with the transformers Auto classes.

A local folder and a Hub id go through the same ``from_pretrained`` calls. Every way loading can go
wrong ends in a :class:`~scine_eval.errors.ConfigError` (or ``MissingDependencyError``) that names
the checkpoint and what would fix it; nothing falls back silently to another model or precision.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scine_eval.compat import ensure_torchvision
from scine_eval.errors import ConfigError, MissingDependencyError

__all__ = ["LOAD_IN", "LoadOptions", "LoadedVLM", "RuntimeOptions", "load_vlm"]

LOAD_IN = ("4bit", "8bit")
"""Quantised loading through bitsandbytes (``load_in=4bit|8bit``)."""

SUPPORTED_MODEL_TYPES = ("qwen2_5_vl",)


ATTENTION = ("sdpa", "flash_attention_2", "eager")
"""Attention kernels a judge may ask transformers for; flash_attention_2 also runs the vision tower's windows
as one variable-length call instead of a loop over windows."""


@dataclass(frozen=True)
class RuntimeOptions:
    """How to run a checkpoint: precision, placement, attention kernel, quantisation (``--judge_args`` fields).

    Attributes:
        dtype: ``auto`` (bf16 on GPU, fp32 on CPU), ``bfloat16``, ``float16`` or ``float32``.
        device: ``auto`` (first CUDA device if any, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        device_map: passed to transformers for multi-GPU sharding (e.g. ``auto``); overrides ``device``.
        attn_implementation: ``sdpa``, ``flash_attention_2``, ``eager``..., or transformers' default.
        load_in: ``4bit`` (nf4) or ``8bit`` through bitsandbytes, or ``None`` for full precision.
        trust_remote_code: run code shipped with the checkpoint; off unless asked.
    """

    dtype: str = "auto"
    device: str = "auto"
    device_map: str | None = None
    attn_implementation: str | None = None
    load_in: str | None = None
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        if self.load_in is not None and self.load_in not in LOAD_IN:
            raise ConfigError(f"load_in={self.load_in!r}: valid values are {', '.join(LOAD_IN)} (or leave it unset)")
        if self.dtype not in ("auto", "bfloat16", "float16", "float32"):
            raise ConfigError(f"dtype={self.dtype!r}: valid values are auto, bfloat16, float16, float32")
        if self.attn_implementation is not None and self.attn_implementation not in ATTENTION:
            raise ConfigError(f"attn_implementation={self.attn_implementation!r}: valid values are "
                              f"{', '.join(ATTENTION)} (or leave it unset: transformers' default)")  # fmt: skip
        if self.attn_implementation == "flash_attention_2" and importlib.util.find_spec("flash_attn") is None:
            raise ConfigError("attn_implementation=flash_attention_2 needs the flash-attn package (pip install "
                              "flash-attn --no-build-isolation, on a CUDA machine); use sdpa without it")  # fmt: skip

    def spec(self) -> dict[str, Any]:
        """What changes scores (``device`` placement does not, beyond dtype)."""
        return {k: v for k, v in asdict(self).items() if k not in ("device", "device_map")}


@dataclass(frozen=True)
class LoadOptions:
    """Which checkpoint to load, and how to run it.

    Attributes:
        pretrained: a Hub id or a local checkpoint folder.
        revision: a Hub branch, tag or commit (recorded in results; pin it for reproducibility).
        runtime: precision, placement and quantisation (:class:`RuntimeOptions`).
    """

    pretrained: str
    revision: str | None = None
    runtime: RuntimeOptions = RuntimeOptions()

    def spec(self) -> dict[str, Any]:
        """What changes scores: the checkpoint and the runtime's precision and kernels."""
        return {"pretrained": self.pretrained, "revision": self.revision, **self.runtime.spec()}


@dataclass
class LoadedVLM:
    """A model in eval mode, its processor, and the precision it actually runs in."""

    model: Any
    processor: Any
    dtype: str

    @property
    def device(self) -> Any:
        return self.model.device


def load_vlm(options: LoadOptions) -> LoadedVLM:
    """Load model and processor; see the module docstring for the error policy."""
    try:
        import torch

        ensure_torchvision()
        from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
    except ImportError as error:
        raise MissingDependencyError(error.name or "transformers", "llm") from None
    source, runtime = _source(options.pretrained), options.runtime
    common = {"revision": options.revision, "trust_remote_code": runtime.trust_remote_code}
    try:
        config = AutoConfig.from_pretrained(source, **common)
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"judge checkpoint {options.pretrained!r} could not be loaded: {_one_line(error)}. "
            "Give a Hub id (with network access, or already in the Hugging Face cache when HF_HUB_OFFLINE=1) "
            "or a checkpoint folder"
        ) from None
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise ConfigError(
            f"judge checkpoint {options.pretrained!r} is a {config.model_type!r} model; this judge runs "
            f"{', '.join(SUPPORTED_MODEL_TYPES)} checkpoints (Qwen2.5-VL)"
        )
    try:
        processor = AutoProcessor.from_pretrained(source, **common)
    except (OSError, ValueError, ImportError) as error:
        raise ConfigError(
            f"the processor of judge checkpoint {options.pretrained!r} could not be loaded: {_one_line(error)}. "
            "A VLM judge needs the checkpoint's processor with a video processor (processor_config.json, or "
            "preprocessor_config.json / video_preprocessor_config.json) and, for the video processor, torchvision"
        ) from None
    if getattr(processor, "video_processor", None) is None:
        raise ConfigError(
            f"the processor of {options.pretrained!r} has no video processor; a VLM judge needs one "
            "(check preprocessor_config.json / video_preprocessor_config.json in the checkpoint)"
        )
    cuda = torch.cuda.is_available()
    if runtime.device.startswith("cuda") and not cuda:
        raise ConfigError(f"device={runtime.device!r}, but torch sees no CUDA device here (use device=cpu or auto)")
    dtype = runtime.dtype if runtime.dtype != "auto" else ("bfloat16" if cuda else "float32")
    kwargs: dict[str, Any] = {**common, "dtype": getattr(torch, dtype)}
    if runtime.attn_implementation:
        kwargs["attn_implementation"] = runtime.attn_implementation
    if runtime.load_in:
        kwargs["quantization_config"] = _quantization(runtime.load_in, getattr(torch, dtype))
    if runtime.device_map:
        kwargs["device_map"] = runtime.device_map
    elif runtime.load_in:
        kwargs["device_map"] = _device(runtime.device, cuda)  # bitsandbytes quantises while placing
    try:
        model = AutoModelForImageTextToText.from_pretrained(source, **kwargs)
    except (OSError, ValueError, ImportError, RuntimeError, AssertionError, TypeError) as error:
        what = f"with bitsandbytes load_in={runtime.load_in}" if runtime.load_in else f"in {dtype}"
        raise ConfigError(
            f"judge checkpoint {options.pretrained!r} failed to load {what}: {_one_line(error)}"
        ) from None
    if not runtime.device_map and not runtime.load_in:
        model = model.to(_device(runtime.device, cuda))
    model.eval()
    return LoadedVLM(model, processor, dtype)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _source(pretrained: str) -> str:
    """A local folder (checked to be a checkpoint) or a Hub id, as given."""
    path = Path(pretrained).expanduser()
    looks_local = pretrained.startswith(("/", ".", "~")) or path.exists()
    if not looks_local:
        return pretrained
    if not path.is_dir():
        raise ConfigError(
            f"judge path {pretrained!r} does not exist or is not a folder; give a checkpoint folder or a Hub id"
        )
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"judge path {pretrained!r} is not a model folder: it has no config.json (a checkpoint folder holds "
            "config.json, *.safetensors, the tokenizer and preprocessor_config.json)"
        )
    return str(path)


def _device(device: str, cuda: bool) -> str:
    """``auto``: this process's GPU under torchrun / accelerate (``LOCAL_RANK``), else the CPU."""
    if device == "auto":
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else "cpu"
    return device


def _quantization(load_in: str, compute_dtype: Any) -> Any:
    try:
        import bitsandbytes  # noqa: F401
        from transformers import BitsAndBytesConfig
    except ImportError:
        raise MissingDependencyError("bitsandbytes", "quant") from None
    if load_in == "4bit":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute_dtype)
    return BitsAndBytesConfig(load_in_8bit=True)
