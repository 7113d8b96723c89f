"""Benchmarks run offline like the tests: ``python -m pytest benchmarks --benchmark-enable``."""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="scine-eval-hf-home-"))

from scine_eval.compat import ensure_torchvision  # noqa: E402

ensure_torchvision()  # before anything imports transformers (PyPI's torchvision is a CUDA build)
