"""Where a metric's model runs: the ``device`` option every model-backed metric takes."""

from __future__ import annotations

import os

from scine_eval.errors import ConfigError


def resolve_device(option: str) -> str:
    """The torch device for ``option``.

    ``auto`` is this process's GPU under torchrun / accelerate (``LOCAL_RANK``), else the CPU; a CUDA device
    asked for on a machine without one is a :class:`ConfigError` naming the option.
    """
    import torch

    cuda = torch.cuda.is_available()
    if option == "auto":
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else "cpu"
    if option.startswith("cuda") and not cuda:
        raise ConfigError(f"device={option!r}, but torch sees no CUDA device here (use device=cpu or auto)")
    return option
