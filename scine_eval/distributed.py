"""Data parallelism by rank slicing, with results gathered for rank 0 to aggregate and write.

Under ``torchrun`` or ``accelerate launch`` (both set ``RANK`` and ``WORLD_SIZE``) every process builds
the same plan, works on its own slice (``items[rank::world_size]``), and the slices are gathered.
Only objects are exchanged, so the gloo backend serves CPU and GPU runs alike; models stay wherever
the adapter or judge puts them (``LOCAL_RANK`` picks the GPU).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from scine_eval.errors import MissingDependencyError

T = TypeVar("T")


@dataclass(frozen=True)
class Distributed:
    """This process's place in the run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, items: Sequence[T]) -> list[T]:
        """This rank's slice of ``items``; the slices of all ranks partition the list."""
        return list(items[self.rank :: self.world_size])

    def all_gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order, on every rank."""
        if self.world_size == 1:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()


def from_environment() -> Distributed:
    """The process group described by the launcher's environment (a single process if none)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed()
    try:
        import torch.distributed as dist
    except ImportError:
        raise MissingDependencyError("torch", "dist") from None
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return Distributed(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )
