"""scine-eval: evaluate text-to-video models on professional cinematic control.

``scine_eval.evaluate(...)`` runs one evaluation (what the ``scine-eval`` command calls). Importing the
package is cheap and has no side effects; the heavy parts load when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scine_eval.results import RunOutput


def evaluate(config: Any = None, **overrides: Any) -> RunOutput:
    """Runs one evaluation; see :func:`scine_eval.evaluator.evaluate`."""
    from scine_eval.evaluator import evaluate as _evaluate

    return _evaluate(config, **overrides)


__all__ = ["__version__", "evaluate"]
