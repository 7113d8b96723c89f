"""Copies of a CPU-bound adapter or judge in worker processes, fed batches, results back in order.

The ``synthetic`` renderer and the ``probe`` judge are pure numpy and PyAV work on one core each; a run on
a machine with N cores would use one of them. An adapter or judge that sets ``cpu_bound = True`` promises
that a copy built from the same arguments in another process gives the same output for the same input and
holds no accelerator state; the runner then builds one copy per worker (from the checked, not yet built
:class:`~scine_eval.components.Component`) and hands each a batch at a time. Everything that touches the
run's state (the video store's commits, the judgement cache, progress) stays in the calling process, so
crash safety and resuming are those of the serial path.

Workers are forked where the platform can (Linux), as PyTorch's DataLoader and ``datasets.map`` fork theirs:
``spawn`` and ``forkserver`` re-run the caller's ``__main__`` in every worker, which breaks the plain script
that calls :func:`scine_eval.evaluate` without an ``if __name__ == "__main__":`` guard. The pool forks all its
workers at once when it opens, before the caller starts a progress bar's refresh thread, and the workers run
numpy and PyAV only (no accelerator, no torch), so nothing a fork copies half-held is touched. Elsewhere
(macOS, Windows) workers are spawned, and scripts need the guard there as for any multiprocessing.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any, Generic, TypeVar

from scine_eval.components import Component
from scine_eval.progress import progress_bar

T = TypeVar("T")
Batch = TypeVar("Batch")

_INSTANCE: Any = None
"""The worker process's own copy of the component (set once by :func:`_build`)."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_wanted(requested: int | None, world_size: int = 1) -> int:
    """``--num_workers`` when given, else this rank's share of the cores (at least one)."""
    return requested if requested is not None else max(1, available_cores() // max(1, world_size))


def worker_count(requested: int | None, jobs: int, world_size: int = 1) -> int:
    """Workers for ``jobs`` batches: :func:`workers_wanted`, never more than there are batches."""
    return max(1, min(workers_wanted(requested, world_size), jobs))


class ComponentPool(Generic[T]):
    """``workers`` processes, each holding ``component.build()``; call a method of it on batches.

    Args:
        component: the adapter or judge to copy (its class must be importable by name).
        workers: number of processes.
    """

    def __init__(self, component: Component[T], workers: int):
        self._executor = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_build, initargs=(component,))
        self._executor.submit(os.getpid).result()  # with fork, every worker starts now: before any other thread

    def submit_all(self, method: str, batches: Sequence[Batch]) -> Iterator[Future]:
        """Submits every batch now; yields their futures in order (``future.result()`` raises a worker's error)."""
        futures = [self._executor.submit(_call, method, batch) for batch in batches]
        yield from futures

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ComponentPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def component_pool(component: Component[T] | None, workers: int) -> Iterator[ComponentPool[T] | None]:
    """A pool of ``workers`` copies of ``component``, or ``None`` where one process does the work.

    Open it before a progress bar starts (the workers fork when it opens), and pass it to :func:`run_batches`.
    """
    if component is None or workers < 2:
        yield None
        return
    with ComponentPool(component, workers) as pool:
        yield pool


def run_batches(
    pool: ComponentPool[T] | None,
    instance: T,
    method: str,
    batches: Sequence[Batch],
    on_result: Callable[[Batch, Any | BaseException], None],
) -> None:
    """Calls ``method`` on every batch: in the pool's workers, else on ``instance`` in this process.

    ``on_result(batch, result_or_error)`` runs in this process, in batch order, as results arrive: the caller
    records a failed batch (a worker's exception, or a crashed worker) per item and goes on.
    """
    if pool is None:
        for batch in batches:
            try:
                result = getattr(instance, method)(batch)
            except Exception as error:  # recorded per item by the caller, as the pool path does
                result = error
            on_result(batch, result)
        return
    for batch, future in zip(batches, pool.submit_all(method, batches), strict=True):
        try:
            result = future.result()
        except Exception as error:  # a worker's exception, or BrokenProcessPool when one died
            result = error
        on_result(batch, result)


def process_map(
    function: Callable[[Any], Any], items: Sequence[Any], workers: int, label: str | None = None, unit: str = ""
) -> list[Any]:
    """``[function(item) for item in items]``, over ``workers`` processes (forked as the pool's) when several.

    ``function`` must be importable by name (a module-level function); an exception in it is raised here.
    With ``label``, a progress bar counts the items (in ``unit``) as they finish, started after the workers fork.
    """
    parallel = workers >= 2 and len(items) >= 2
    pool = ProcessPoolExecutor(min(workers, len(items)), mp_context=_context()) if parallel else nullcontext()
    with pool as executor:
        if executor is not None:
            executor.submit(os.getpid).result()  # with fork, every worker starts now: before the bar's thread
        results = []
        with progress_bar(label or "", len(items), enabled=label is not None and bool(items), unit=unit) as advance:
            for result in executor.map(function, items) if executor is not None else map(function, items):
                results.append(result)
                advance(1)
    return results


def _context() -> Any:
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _build(component: Component[Any]) -> None:
    global _INSTANCE
    _INSTANCE = component.build()


def _call(method: str, batch: Any) -> Any:
    return getattr(_INSTANCE, method)(batch)
