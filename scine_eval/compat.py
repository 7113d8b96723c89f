"""Import-time workarounds for third-party packages, each applied only on its specific failure.

torchvision: transformers' Qwen2-VL video processor needs torchvision's pure-Python transforms. On
CPU machines pip can only install PyPI's CUDA build of torchvision (there is no CPU wheel or sdist);
its compiled ops fail to load against CPU torch, and two unguarded fake-kernel registrations for
``torchvision::nms`` / ``qnms`` then abort the whole import. Defining those two operator schemas
first lets the import finish; the transforms the processors use are plain torch. The detection ops
have no kernel and are never called. Tied to torchvision 0.28 (see constraints.txt); on machines
with a matching torchvision build the import succeeds and nothing is changed.
"""

from __future__ import annotations

import sys
from typing import Literal

__all__ = ["ensure_torchvision"]

_LIBRARIES: list[object] = []  # the schema definitions live as long as these objects


def ensure_torchvision() -> Literal["native", "shimmed", "absent"]:
    """Make ``import torchvision`` work; call before anything imports transformers' vision code.

    Returns how: ``"native"`` (it imported as is), ``"shimmed"`` (after defining the missing op
    schemas) or ``"absent"`` (not installed; transformers then has no video processor).

    Raises:
        RuntimeError: torchvision failed to import for any other reason (re-raised unchanged).
    """
    if _LIBRARIES:
        return "shimmed"
    try:
        import torchvision  # noqa: F401
    except ModuleNotFoundError:
        return "absent"
    except RuntimeError as error:
        if "torchvision::nms" not in str(error):
            raise
    else:
        return "native"
    import torch

    for module in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[module]
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
    _LIBRARIES.append(library)
    import torchvision  # noqa: F401, F811

    return "shimmed"
