"""Tests of scine_eval/progress.py: plain periodic lines where stderr is not a terminal, the rich bar where it is."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from scine_eval import progress
from scine_eval.progress import PlainProgress, progress_bar

LINE = re.compile(r"generate: \d+/48 videos(, [\d.]+ (videos/s|s/video), ETA \d+:\d\d:\d\d)?")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def plain_console() -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=False, width=60), stream


@pytest.fixture
def log(monkeypatch) -> io.StringIO:
    """scine-eval's console writing to a log file (not a terminal): what ``2> run.log`` or a CI job sees."""
    console, stream = plain_console()
    monkeypatch.setattr(progress, "console", console)
    return stream


def test_not_a_terminal_prints_lines_while_working(log):
    """Lines come during the work (not only at the end), every 10 %, without ANSI codes, then a closing line."""
    with progress_bar("generate", 48, unit="videos") as advance:
        for _ in range(12):
            advance(1)
        during = log.getvalue().splitlines()
        assert during[0] == "generate: 0/48 videos"
        assert len(during) >= 3, "a line every 10 % (5 videos) before the end"
        assert all(LINE.fullmatch(line) for line in during), during
        for _ in range(36):
            advance(1)
    lines = log.getvalue().splitlines()
    assert "\x1b" not in log.getvalue()
    assert re.fullmatch(r"generate: 48/48 videos, [\d.]+ (videos/s|s/video), done in 0:00:\d\d", lines[-1])
    assert len(lines) == 1 + 9 + 1  # the start, each 10 % before the end, the end


def test_lines_come_by_time_when_progress_is_slow():
    """With few, slow items a line comes once ``interval_s`` has passed, with the rate and the ETA."""
    console, stream = plain_console()
    clock = Clock()
    bar = PlainProgress(console, "generate", 48, unit="videos", interval_s=60, step=0.5, clock=clock)
    clock.now += 30
    bar.advance(1)  # 30 s, 1/48: not yet a line
    assert stream.getvalue().splitlines() == ["generate: 0/48 videos"]
    clock.now += 30
    bar.advance(1)  # 60 s since the start line
    assert stream.getvalue().splitlines()[-1] == "generate: 2/48 videos, 30.0 s/video, ETA 0:23:00"
    clock.now += 10
    bar.finish()
    assert stream.getvalue().splitlines()[-1] == "generate: 2/48 videos, 35.0 s/video, stopped in 0:01:10"


def test_notes_units_and_resumed_runs():
    """A note follows the ETA; without a unit the rate is ``/s``; work done before a resume is not in the rate."""
    console, stream = plain_console()
    clock = Clock()
    bar = PlainProgress(console, "train", 100, completed=40, clock=clock)
    clock.now += 5
    bar.advance(10, "loss 0.5000")
    bar.finish()
    assert stream.getvalue().splitlines() == [
        "train: 40/100",
        "train: 50/100, 2.0/s, ETA 0:00:25, loss 0.5000",
        "train: 50/100, 2.0/s, stopped in 0:00:05, loss 0.5000",
    ]


def test_a_phase_that_fails_still_says_where_it_stopped(log):
    """An exception inside the phase still prints the closing line, then propagates."""
    with pytest.raises(RuntimeError), progress_bar("judge", 10, unit="questions") as advance:
        advance(3)
        raise RuntimeError("boom")
    last = log.getvalue().splitlines()[-1]
    assert re.fullmatch(r"judge: 3/10 questions(, [\d.]+ questions/s)?, stopped in 0:00:0\d", last)


def test_disabled_draws_nothing(log):
    """Other ranks (and phases with nothing to do) print nothing."""
    with progress_bar("generate", 48, enabled=False, unit="videos") as advance:
        advance(48)
    assert log.getvalue() == ""


def test_a_terminal_still_gets_the_rich_bar(monkeypatch):
    """On a terminal the bar is drawn as before (with ANSI codes), and no plain lines are printed."""
    stream = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=stream, force_terminal=True, width=100))
    with progress_bar("generate", 4, unit="videos") as advance:
        for _ in range(4):
            advance(1)
    text = stream.getvalue()
    assert "\x1b[" in text and "4/4" in text
    assert "generate: 0/4" not in text and "done in" not in text


def test_rates_read_per_second_or_per_item():
    from scine_eval.progress import format_rate

    assert format_rate(12.34, "questions") == "12.3 questions/s"
    assert format_rate(0.02, "videos") == "50.0 s/video"  # a large video model: seconds per video
    assert format_rate(0.5) == "0.5/s" and format_rate(0.0, "videos") == ""
