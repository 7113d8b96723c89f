"""The model-adapter contract, re-exported where adapter authors look for it.

It lives in :mod:`scine_eval.contracts.model`.
"""

from scine_eval.contracts.model import (
    SEED_RECIPE,
    GeneratedVideo,
    GenerationRequest,
    ModelAdapter,
    model_registry,
    register_model,
)

__all__ = ["SEED_RECIPE", "GeneratedVideo", "GenerationRequest", "ModelAdapter", "model_registry", "register_model"]
