"""Progress bars with rate and ETA for the long phases, drawn on stderr by rank 0 only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)
"""Where scine-eval draws progress and messages; results tables go to stdout."""


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, enabled: bool = True, unit: str = "", completed: int = 0
) -> Iterator[Callable[..., None]]:
    """Yields ``advance(n, note=None)``; draws nothing when disabled (other ranks, nothing to do).

    The rate reads ``12.3 questions/s`` with ``unit="questions"``; ``note`` is shown after the ETA (a
    running loss, say) until the next note; ``completed`` starts the bar part-way (a resumed run).
    """
    if not enabled:
        yield lambda n, note=None: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total, completed=completed, rate="", note="")

        def advance(n: int, note: str | None = None) -> None:
            progress.advance(task, n)
            if note is not None:
                progress.update(task, note=note)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:.1f} {unit}/s" if speed and unit else f"{speed:.1f}/s" if speed else "")

        yield advance
