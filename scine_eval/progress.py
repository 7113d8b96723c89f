"""Progress with rate and ETA for the long phases, on stderr, by rank 0 only.

On a terminal (or in Jupyter) a rich progress bar is drawn. Anywhere else (CI logs, ``2> run.log``) a
bar cannot redraw, and rich would show it only at the end, so plain lines are printed instead, without
ANSI codes: one at the start, one each time another 10 % is done or a minute has passed since the last
line, and one at the end, e.g. ``generate: 12/48 videos, 1.9 videos/s, ETA 0:00:19``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

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

PLAIN_INTERVAL_S = 60.0
"""Most seconds between two plain progress lines while work goes on (a line also comes every 10 %)."""
PLAIN_STEP = 0.1
"""The fraction of the total after which a plain progress line comes anyway."""


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, enabled: bool = True, unit: str = "", completed: int = 0
) -> Iterator[Callable[..., None]]:
    """Yields ``advance(n, note=None)``; draws nothing when disabled (other ranks, nothing to do).

    The rate reads ``12.3 questions/s`` with ``unit="questions"``; ``note`` is shown after the ETA (a
    running loss, say) until the next note; ``completed`` starts the bar part-way (a resumed run).
    Where stderr is not a terminal, periodic plain lines replace the bar (:class:`PlainProgress`).
    """
    if not enabled:
        yield lambda n, note=None: None
        return
    if not (console.is_terminal or console.is_jupyter):
        plain = PlainProgress(console, description, total, unit=unit, completed=completed)
        try:
            yield plain.advance
        finally:
            plain.finish()
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
            progress.update(task, rate=format_rate(progress.tasks[task].speed or 0.0, unit))

        yield advance


class PlainProgress:
    """Progress as plain lines, for a stream that cannot redraw a bar (a log file, a CI job's output).

    A line is printed at the start, whenever another ``step`` of the total is done or ``interval_s``
    has passed since the last line (checked on each advance), and at the end. The rate is the average
    since the start (work done before it, ``completed``, is not counted), so the ETA of a long phase is
    steady in a log rather than jumping with each item.

    Args:
        console: where the lines go (printed without markup, highlighting or colour).
        description: the phase, first on each line.
        total: the units of work in the phase.
        unit: what is counted, plural (``"videos"``), or empty.
        completed: units already done (a resumed run).
        interval_s: most seconds between lines while work goes on.
        step: the fraction of the total after which a line comes anyway.
        clock: seconds from a monotonic clock (for tests).
    """

    def __init__(
        self,
        console: Console,
        description: str,
        total: int,
        unit: str = "",
        completed: int = 0,
        interval_s: float = PLAIN_INTERVAL_S,
        step: float = PLAIN_STEP,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.console = console
        self.description = description
        self.total = total
        self.unit = unit
        self.interval_s = interval_s
        self.clock = clock
        self.started = clock()
        self.first = self.done = completed
        self.note = ""
        self.every = max(1, round(total * step))
        self.last_line = self.started
        self.last_done = completed
        self._line()

    def advance(self, n: int, note: str | None = None) -> None:
        """Counts ``n`` more units done (and a new note); prints a line when one is due."""
        self.done += n
        if note is not None:
            self.note = note
        now = self.clock()
        due = self.done // self.every > self.last_done // self.every or now - self.last_line >= self.interval_s
        if due and self.done < self.total:  # the last line is finish()'s
            self._line(now)

    def finish(self) -> None:
        """Prints the closing line: the count, the average rate and the time taken."""
        now = self.clock()
        elapsed = now - self.started
        self._print(f"{self._count()}{self._rate(elapsed)}, {'done' if self.done >= self.total else 'stopped'} "
                    f"in {_duration(elapsed)}{self._note()}")  # fmt: skip

    def _line(self, now: float | None = None) -> None:
        now = self.started if now is None else now
        elapsed = now - self.started
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        eta = f", ETA {_duration((self.total - self.done) / rate)}" if rate > 0 else ""
        self._print(f"{self._count()}{self._rate(elapsed)}{eta}{self._note()}")
        self.last_line, self.last_done = now, self.done

    def _count(self) -> str:
        return f"{self.description}: {self.done}/{self.total}" + (f" {self.unit}" if self.unit else "")

    def _rate(self, elapsed: float) -> str:
        if elapsed <= 0 or self.done == self.first:
            return ""
        return f", {format_rate((self.done - self.first) / elapsed, self.unit)}"

    def _note(self) -> str:
        return f", {self.note}" if self.note else ""

    def _print(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


def format_rate(per_second: float, unit: str = "") -> str:
    """``12.3 questions/s``, or for slow phases the time per item: ``48.2 s/video`` (a large video model).

    Under one item a second, seconds per item read better than ``0.021 videos/s``.
    """
    if per_second <= 0:
        return ""
    if per_second >= 1 or not unit:
        number = f"{per_second:.1f}" if per_second >= 1 else f"{per_second:.2g}"
        return f"{number} {unit}/s" if unit else f"{number}/s"
    one = unit[:-1] if unit.endswith("s") else unit
    return f"{1 / per_second:.1f} s/{one}"


def _duration(seconds: float) -> str:
    """``H:MM:SS`` like rich's columns (``1 day, 2:03:04`` beyond a day)."""
    return str(timedelta(seconds=round(seconds)))
