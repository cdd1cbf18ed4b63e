"""Running progress generators, and the time left.

Long work in core is a generator that yields progress and returns its result
(docs/architecture.md). This module is the one place that runs such a
generator to its end (``drive``), passes its progress on from inside another
generator (``relay``), estimates the time left (``remaining_seconds``) and
writes that time for people (``format_eta``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

R = TypeVar("R")


def drive(gen: Generator[Any, Any, R], on_progress: Callable[[Any], object] | None = None) -> R:
    """Run ``gen`` to its end, handing each item it yields to ``on_progress``; return its return value."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(item)


def relay(gen: Generator[Any, Any, R], each: Callable[[Any], Iterable[Any]]) -> Generator[Any, None, R]:
    """Yield what ``each(item)`` gives for every item ``gen`` yields; return ``gen``'s return value.

    For a generator that runs another: ``result = yield from relay(inner, lambda p: [MyEvent(p)])``.
    """
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        yield from each(item)


def remaining_seconds(elapsed: float, done: float, total: float) -> float | None:
    """Time left at the pace so far; None until some work is done."""
    if done <= 0 or elapsed < 0:
        return None
    return max(0.0, elapsed * (total - done) / done)


def format_eta(seconds: float | None) -> str:
    """``0:45``, ``12:05``, ``1:02:03``; ``--:--`` while unknown."""
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
