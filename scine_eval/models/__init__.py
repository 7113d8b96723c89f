"""Model adapters: text-to-video models that generate videos, or folders of videos already made.

An adapter is one file in this package with one class and one ``@register_model`` line. Third-party
adapters register through the ``scine_eval.models`` entry-point group.
"""

from scine_eval.contracts.model import (
    GeneratedVideo,
    GenerationRequest,
    ModelAdapter,
    model_registry,
    register_model,
)

__all__ = ["GeneratedVideo", "GenerationRequest", "ModelAdapter", "model_registry", "register_model"]
