"""Inception-I3D (Carreira & Zisserman 2017) in torch, laid out so TATS' ``i3d_pretrained_400.pt`` loads strictly.

The FVD reference code of VideoGPT / TATS (which LaVie follows) runs a PyTorch port of DeepMind's TF-Hub
``i3d-kinetics-400`` whose weights were converted to ``i3d_pretrained_400.pt``. This module is our own code
for the same network, with the same parameter names, so that file (or a ``.safetensors`` copy of it) loads with
``strict=True``:

* the stem ``Conv3d_1a_7x7`` (7x7x7, stride 2), ``MaxPool3d_2a_3x3`` (1x3x3, stride 1x2x2), ``Conv3d_2b_1x1``,
  ``Conv3d_2c_3x3``, ``MaxPool3d_3a_3x3``; inception blocks ``Mixed_3b``, ``Mixed_3c``, pool ``MaxPool3d_4a_3x3``
  (3x3x3, stride 2), ``Mixed_4b``..``Mixed_4f``, pool ``MaxPool3d_5a_2x2`` (2x2x2, stride 2), ``Mixed_5b``,
  ``Mixed_5c``; then a 2x7x7 average pool and the ``logits`` 1x1x1 convolution (with bias) to the classes;
* every convolution is a unit ``<name>.conv3d`` (no bias) + ``<name>.bn`` (batch norm) + ReLU; an inception
  block has branches ``b0`` (1x1), ``b1a``/``b1b`` (1x1 then 3x3), ``b2a``/``b2b`` (1x1 then 3x3) and
  ``b3a``/``b3b`` (3x3 max pool then 1x1), concatenated in that order;
* convolutions and max pools pad like TensorFlow's ``SAME`` (zeros, the extra pixel at the end), computed from
  each input's size; batch norm uses ``eps=1e-5`` as the TATS port does (TF used 1e-3; the converted file has
  unit scales and variances far above either, and TATS' numbers were made with 1e-5).

Output: the pre-softmax logits averaged over the remaining time steps, ``(B, classes)``. For the FVD protocol
(16 frames of 224x224) the average pool leaves exactly one position, as in the reference. For smaller inputs
(tests' tiny networks) the pool's window is clipped to the feature map, and any positions left are averaged.

Channel widths come from an :class:`I3DConfig`: :meth:`I3DConfig.standard` is the released network,
:meth:`I3DConfig.scaled` a thinner one for tests, and :meth:`I3DConfig.from_state_dict` reads them off a weights
file, so a tiny network saved by the tests loads through the same path as the real one.

Importing this module does not import torch (the metric registry imports every metric module); the torch
classes are built on first use and reachable as ``scine_eval.metrics.i3d.InceptionI3d`` and friends.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scine_eval.errors import ConfigError

if TYPE_CHECKING:
    import torch

__all__ = [
    "BN_EPS",
    "MIXED_BLOCKS",
    "I3DConfig",
    "build_i3d",
    "load_i3d",
    "read_state_dict",
    "same_padding",
]

BN_EPS = 1e-5
"""Batch-norm epsilon of the TATS / VideoGPT port the released weights are used with."""

MIXED_BLOCKS = ("Mixed_3b", "Mixed_3c", "Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f", "Mixed_5b",
                "Mixed_5c")  # fmt: skip
_POOL_BEFORE = {"Mixed_3b": "MaxPool3d_3a_3x3", "Mixed_4b": "MaxPool3d_4a_3x3", "Mixed_5b": "MaxPool3d_5a_2x2"}
_POOLS = {  # name: (kernel, stride)
    "MaxPool3d_2a_3x3": ((1, 3, 3), (1, 2, 2)),
    "MaxPool3d_3a_3x3": ((1, 3, 3), (1, 2, 2)),
    "MaxPool3d_4a_3x3": ((3, 3, 3), (2, 2, 2)),
    "MaxPool3d_5a_2x2": ((2, 2, 2), (2, 2, 2)),
}
_BRANCHES = ("b0", "b1a", "b1b", "b2a", "b2b", "b3b")
"""The convolution units of an inception block, in the order of its six widths."""
_STANDARD_MIXED = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
_AVG_POOL = (2, 7, 7)


@dataclass(frozen=True)
class I3DConfig:
    """Channel widths of an Inception-I3D; kernels, strides and layer order are fixed.

    Attributes:
        num_classes: outputs of the ``logits`` layer (400 for Kinetics-400).
        in_channels: input channels (3, RGB).
        stem: output channels of ``Conv3d_1a_7x7``, ``Conv3d_2b_1x1`` and ``Conv3d_2c_3x3``.
        mixed: per inception block, the widths of ``b0, b1a, b1b, b2a, b2b, b3b``; a block's output has
            ``b0 + b1b + b2b + b3b`` channels.
    """

    num_classes: int = 400
    in_channels: int = 3
    stem: tuple[int, int, int] = (64, 64, 192)
    mixed: Mapping[str, tuple[int, int, int, int, int, int]] = field(default_factory=lambda: dict(_STANDARD_MIXED))

    @classmethod
    def standard(cls, num_classes: int = 400) -> I3DConfig:
        """The released ``InceptionI3d(num_classes)``."""
        return cls(num_classes=num_classes)

    @classmethod
    def scaled(cls, width: float, num_classes: int = 400) -> I3DConfig:
        """Every width multiplied by ``width`` (rounded, at least 1): ``scaled(1/16)`` builds in milliseconds."""
        if not width > 0:
            raise ValueError(f"width must be positive, got {width!r}")

        def scale(c: int) -> int:
            return max(1, round(c * width))

        mixed = {name: tuple(scale(c) for c in widths) for name, widths in _STANDARD_MIXED.items()}
        return cls(num_classes, 3, (scale(64), scale(64), scale(192)), mixed)  # type: ignore[arg-type]

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> I3DConfig:
        """The widths a state dict's tensors have (their first dimension is the output channels).

        Raises:
            ConfigError: a key of the I3D layout is missing.
        """

        def out(key: str) -> int:
            if key not in state:
                raise ConfigError(
                    f"not an InceptionI3d state dict: key {key!r} is missing (expected the layout of TATS' "
                    "i3d_pretrained_400.pt: Conv3d_1a_7x7.conv3d.weight, Mixed_3b.b0.conv3d.weight, ..., "
                    "logits.conv3d.weight)"
                )
            return int(state[key].shape[0])

        first = "Conv3d_1a_7x7.conv3d.weight"
        stem = (out(first), out("Conv3d_2b_1x1.conv3d.weight"), out("Conv3d_2c_3x3.conv3d.weight"))
        mixed = {name: tuple(out(f"{name}.{b}.conv3d.weight") for b in _BRANCHES) for name in MIXED_BLOCKS}
        return cls(out("logits.conv3d.weight"), int(state[first].shape[1]), stem, mixed)  # type: ignore[arg-type]

    def block_out(self, name: str) -> int:
        """Output channels of inception block ``name``."""
        b0, _, b1b, _, b2b, b3b = self.mixed[name]
        return b0 + b1b + b2b + b3b


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow ``SAME`` padding along one axis: ``(before, after)``, the odd pixel after.

    The output has ``ceil(size / stride)`` positions; the padding is what the window needs for that.
    """
    remainder = size % stride
    total = max(kernel - (stride if remainder == 0 else remainder), 0)
    return total // 2, total - total // 2


def build_i3d(config: I3DConfig | None = None, seed: int | None = None) -> Any:
    """A randomly initialised ``InceptionI3d`` in eval mode (``config`` defaults to the released one).

    Convolutions get He-normal weights: with torch's default initialisation the signal shrinks through the 20-odd
    layers (batch norm in eval mode does not rescale it), and a random network's features would be constant.

    Args:
        config: the channel widths.
        seed: seed for the random weights, for reproducible test networks.
    """
    import torch
    from torch import nn

    if seed is not None:
        torch.manual_seed(seed)
    network = _classes()["InceptionI3d"](config or I3DConfig.standard())
    for module in network.modules():
        if isinstance(module, nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return network.eval()


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The tensors of a weights file, read without running any code from it.

    ``.safetensors`` files are read with safetensors; ``.pt`` / ``.pth`` / ``.bin`` with
    ``torch.load(weights_only=True)``, which refuses any pickle that is more than tensors and containers.

    Raises:
        ConfigError: the file is missing, has another extension, is refused by the safe loader (e.g. a
            TorchScript archive or a pickled object), or holds something other than a flat name → tensor mapping.
    """
    import torch

    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"detector={str(path)!r}: no such file (give the path of an I3D weights file)")
    suffix = file.suffix.lower()
    if suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            state: Any = load_file(str(file), device="cpu")
        except Exception as error:  # safetensors raises its own SafetensorError for a damaged file
            raise ConfigError(f"detector={str(path)!r}: not a readable .safetensors file ({error})") from None
    elif suffix in (".pt", ".pth", ".bin"):
        try:
            state = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as error:  # UnpicklingError for code in the pickle, RuntimeError for other formats
            cause = " ".join(str(error).split())[:300]
            raise ConfigError(
                f"detector={str(path)!r}: refused by torch.load(weights_only=True): {cause}. "
                "Only plain state dicts load (TATS' i3d_pretrained_400.pt is one); pickled modules and TorchScript "
                "archives (StyleGAN-V's i3d_torchscript.pt) are not supported"
            ) from None
    else:
        raise ConfigError(
            f"detector={str(path)!r}: unknown weights format {suffix or '(no extension)'!r}; "
            "valid: .safetensors, .pt, .pth, .bin (a state dict)"
        )
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"detector={str(path)!r}: the file holds no flat state dict (name -> tensor)")
    return dict(state)


def load_i3d(path: str | os.PathLike[str]) -> Any:
    """An ``InceptionI3d`` with the weights of ``path`` (widths read from the file), in eval mode on the CPU.

    Raises:
        ConfigError: see :func:`read_state_dict`; also when the tensors do not fit the I3D layout.
    """
    state = read_state_dict(path)
    try:
        config = I3DConfig.from_state_dict(state)
    except ConfigError as error:
        raise ConfigError(f"detector={str(path)!r}: {error}") from None
    model = build_i3d(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ConfigError(f"detector={str(path)!r}: the weights do not fit InceptionI3d: {error}") from None
    return model.eval()


def __getattr__(name: str) -> Any:
    """``InceptionI3d``, ``Unit3D``, ``MaxPool3dSame``, ``InceptionBlock``: built (importing torch) on first use."""
    classes = _classes() if name in ("InceptionI3d", "Unit3D", "MaxPool3dSame", "InceptionBlock") else {}
    if name in classes:
        return classes[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _classes() -> dict[str, type]:
    """The torch modules, defined here so that importing this file does not import torch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def pad_same(x: torch.Tensor, kernel: tuple[int, ...], stride: tuple[int, ...]) -> torch.Tensor:
        (t0, t1), (h0, h1), (w0, w1) = (
            same_padding(s, k, st) for s, k, st in zip(x.shape[2:], kernel, stride, strict=True)
        )
        return F.pad(x, (w0, w1, h0, h1, t0, t1))  # zeros: every pooled input follows a ReLU, so 0 is neutral

    class Unit3D(nn.Module):
        """Convolution (``SAME`` padding) + optional batch norm + optional ReLU: ``conv3d``, ``bn``."""

        def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel: tuple[int, int, int] = (1, 1, 1),
            stride: tuple[int, int, int] = (1, 1, 1),
            batch_norm: bool = True,
            relu: bool = True,
            bias: bool = False,
        ):
            super().__init__()
            self.kernel, self.stride, self.relu = kernel, stride, relu
            self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride, padding=0, bias=bias)
            self.bn = nn.BatchNorm3d(out_channels, eps=BN_EPS) if batch_norm else None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv3d(pad_same(x, self.kernel, self.stride))
            if self.bn is not None:
                x = self.bn(x)
            return F.relu(x) if self.relu else x

    class MaxPool3dSame(nn.Module):
        """Max pooling with TensorFlow ``SAME`` padding (no parameters)."""

        def __init__(self, kernel: tuple[int, int, int], stride: tuple[int, int, int]):
            super().__init__()
            self.kernel, self.stride = kernel, stride

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.max_pool3d(pad_same(x, self.kernel, self.stride), self.kernel, self.stride)

    class InceptionBlock(nn.Module):
        """Four branches (1x1; 1x1→3x3; 1x1→3x3; pool→1x1) concatenated on channels."""

        def __init__(self, in_channels: int, widths: tuple[int, int, int, int, int, int]):
            super().__init__()
            b0, b1a, b1b, b2a, b2b, b3b = widths
            three = (3, 3, 3)
            self.b0 = Unit3D(in_channels, b0)
            self.b1a, self.b1b = Unit3D(in_channels, b1a), Unit3D(b1a, b1b, three)
            self.b2a, self.b2b = Unit3D(in_channels, b2a), Unit3D(b2a, b2b, three)
            self.b3a, self.b3b = MaxPool3dSame(three, (1, 1, 1)), Unit3D(in_channels, b3b)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            branches = (self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x)))
            return torch.cat(branches, dim=1)

    class InceptionI3d(nn.Module):
        """The network; ``forward`` maps ``(B, 3, T, H, W)`` in ``[-1, 1]`` to ``(B, classes)`` logits."""

        def __init__(self, config: I3DConfig):
            super().__init__()
            self.config = config
            c1, c2b, c2c = config.stem
            self.Conv3d_1a_7x7 = Unit3D(config.in_channels, c1, (7, 7, 7), (2, 2, 2))
            self.MaxPool3d_2a_3x3 = MaxPool3dSame(*_POOLS["MaxPool3d_2a_3x3"])
            self.Conv3d_2b_1x1 = Unit3D(c1, c2b)
            self.Conv3d_2c_3x3 = Unit3D(c2b, c2c, (3, 3, 3))
            channels = c2c
            for name in MIXED_BLOCKS:
                if name in _POOL_BEFORE:
                    self.add_module(_POOL_BEFORE[name], MaxPool3dSame(*_POOLS[_POOL_BEFORE[name]]))
                self.add_module(name, InceptionBlock(channels, config.mixed[name]))
                channels = config.block_out(name)
            self.logits = Unit3D(channels, config.num_classes, batch_norm=False, relu=False, bias=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for name, module in self.named_children():
                if name != "logits":
                    x = module(x)
            window = tuple(min(k, s) for k, s in zip(_AVG_POOL, x.shape[2:], strict=True))
            x = self.logits(F.avg_pool3d(x, window, stride=1))  # dropout is the identity at inference
            return x.mean(dim=(2, 3, 4))

    classes = (InceptionI3d, Unit3D, MaxPool3dSame, InceptionBlock)
    return {cls.__name__: cls for cls in classes}
