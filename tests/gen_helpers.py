"""Running core generators to their end in tests."""

from __future__ import annotations


def collect(gen):
    """All yielded events and the generator's return value."""
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value
