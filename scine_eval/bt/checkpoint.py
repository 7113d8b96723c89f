"""Training checkpoints a run resumes from: adapter, head, optimizer and RNG state, without pickles.

``<output_dir>/checkpoint/`` holds the scorer folder as it stands (so a checkpoint also scores), plus::

    optimizer.safetensors   AdamW's moments and step counts, and the torch RNG states
    trainer_state.json      the step reached, the position in the data, the loss history, the optimizer's
                            param groups, and the fingerprint of the run it belongs to

It is written to a temporary folder and renamed into place, so an interrupted save leaves the previous
checkpoint intact. A checkpoint from a different run (other data or options) is refused by name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from scine_eval.bt.scorer import Scorer
from scine_eval.errors import ConfigError

__all__ = ["CHECKPOINT", "load_checkpoint", "save_checkpoint"]

CHECKPOINT = "checkpoint"
STATE_FILE = "trainer_state.json"
TENSORS_FILE = "optimizer.safetensors"


def save_checkpoint(output_dir: Path, scorer: Scorer, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> Path:
    """Writes ``<output_dir>/checkpoint`` atomically; ``state`` must be JSON-able (step, position, run id)."""
    from safetensors.torch import save_file

    final = output_dir / CHECKPOINT
    staging = output_dir / f".{CHECKPOINT}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    scorer.save(staging)
    optim = optimizer.state_dict()
    tensors = {
        f"state.{index}.{name}": value.detach().cpu().contiguous()
        for index, entries in optim["state"].items()
        for name, value in entries.items()
    }
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for device, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{device}"] = rng
    save_file(tensors, str(staging / TENSORS_FILE))
    (staging / STATE_FILE).write_text(json.dumps({**state, "param_groups": optim["param_groups"]}, indent=1) + "\n")
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return final


def load_checkpoint(
    output_dir: Path, scorer: Scorer, optimizer: torch.optim.Optimizer, run_id: str
) -> dict[str, Any] | None:
    """Restores adapter, head, optimizer and RNG from ``<output_dir>/checkpoint``; None if there is none."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    folder = output_dir / CHECKPOINT
    if not (folder / STATE_FILE).is_file():
        return None
    state = json.loads((folder / STATE_FILE).read_text())
    if state.get("run_id") != run_id:
        raise ConfigError(
            "this checkpoint belongs to another training run (different data or options); pass --no_resume "
            "to start over (it will be overwritten), or choose another --output_dir",
            path=folder,
        )
    device = scorer.head.weight.device
    set_peft_model_state_dict(scorer.peft_model, load_file(str(folder / "adapter_model.safetensors")))
    scorer.head.load_state_dict({k: v.to(device) for k, v in load_file(str(folder / "bt_head.safetensors")).items()})
    tensors = load_file(str(folder / TENSORS_FILE))
    moments: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("state."):
            _, index, name = key.split(".", 2)
            moments.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": moments, "param_groups": state.pop("param_groups")})
    torch.set_rng_state(tensors["rng.cpu"])
    cuda = [tensors[k] for k in sorted((k for k in tensors if k.startswith("rng.cuda.")), key=lambda k: int(k[9:]))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    return state
