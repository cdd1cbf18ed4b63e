"""The trainer's budget clock: seconds the process actually ran, stopped intervals left out.

A ``--minutes`` budget is training time. A process stopped by Ctrl-Z (SIGTSTP) or SIGSTOP
cannot see the stop, and its monotonic clock runs on through it, so a wall-clock deadline
would be eaten by the pause. The stop is found afterwards instead: a light daemon thread
(and every reading of the clock) notes when the process was last seen running, and a gap
in those sightings counts as stopped once a SIGCONT confirms that the process was stopped
(a gap alone may be a thread that waited for the GIL or a CPU). Until a SIGCONT comes, a
fresh gap is left out provisionally, so a reading taken just after the continue but before
its handler ran never sees the stop; a gap nobody confirms within ``confirm_s`` counts as
running time again.

The handler only counts SIGCONTs (no lock: it runs in the main thread, possibly inside a
locked reading). It is installed only on POSIX and from the main thread; elsewhere (Windows,
a trainer run from a worker thread) the clock is plain wall time.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

# Windows has no SIGSTOP/SIGCONT: the clock is wall time there.
JOB_CONTROL = os.name == "posix" and hasattr(signal, "SIGCONT")


class RunClock:
    """``elapsed()``: seconds since ``start()`` that the process was running (not stopped)."""

    def __init__(self, time_source: Callable[[], float] = time.monotonic, tick_s: float = 0.1, confirm_s: float = 30.0):
        self._time = time_source
        self.tick_s = tick_s
        self.confirm_s = confirm_s
        self._lock = threading.Lock()
        self._started = self._last_seen = 0.0
        self._stopped = 0.0  # confirmed stopped seconds
        self._pending: tuple[float, float] | None = None  # (gap seconds, seen at): a gap not yet confirmed
        self._conts = self._conts_seen = 0
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._previous_handler: Any = None
        self._installed = False
        self._final: float | None = None  # elapsed() at close(): the clock stands still after it
        self.pause_aware = False  # True while stops are watched (or driven by hand)

    # --- life cycle -------------------------------------------------------
    def start(self, manual: bool = False) -> RunClock:
        """Start counting. ``manual``: no handler and no thread; the caller (a test) drives ``heartbeat()`` and
        ``note_continue()``. Otherwise stops are watched where this platform and thread allow, else wall time."""
        self._started = self._last_seen = self._time()
        if manual:
            self.pause_aware = True
        elif JOB_CONTROL and threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGCONT, self._on_sigcont)
            self._installed = self.pause_aware = True
            self._thread = threading.Thread(target=self._beat, name="run-clock", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop counting (``elapsed()`` keeps its last value), end the heartbeat, give SIGCONT back."""
        if self._final is None:
            self._final = self.elapsed()
        if self._thread is not None:
            self._halt.set()
            self._thread.join()
            self._thread = None
        if self._installed:
            # None: a handler not set from Python, which signal.signal() cannot take back; the default is the nearest.
            previous = self._previous_handler
            signal.signal(signal.SIGCONT, signal.SIG_DFL if previous is None else previous)
            self._installed = False

    def __enter__(self) -> RunClock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- accounting -------------------------------------------------------
    def note_continue(self) -> None:
        """A SIGCONT arrived: the latest gap in the sightings was a stop."""
        self._conts += 1

    def _on_sigcont(self, signum: int, frame: Any) -> None:  # noqa: ARG002
        self.note_continue()
        if callable(self._previous_handler):
            self._previous_handler(signum, frame)

    def _beat(self) -> None:
        while not self._halt.wait(self.tick_s):
            self.heartbeat()

    def heartbeat(self) -> float:
        """One sighting of the running process (the daemon thread's tick; every reading takes one too).

        Returns the seconds known (or, for a fresh gap, presumed) to have been spent stopped."""
        if not self.pause_aware:
            return 0.0  # no SIGCONT can confirm a gap here: wall time
        with self._lock:
            now = self._time()
            gap = now - self._last_seen - self.tick_s  # the part of the gap the heartbeat cannot explain
            self._last_seen = now
            if gap > self.tick_s and (self._pending is None or gap > self._pending[0]):
                self._pending = (gap, now)  # one stop per SIGCONT: its longest gap
            if self._conts != self._conts_seen:
                self._conts_seen = self._conts
                if self._pending is not None:
                    self._stopped += self._pending[0]
                    self._pending = None
            elif self._pending is not None and now - self._pending[1] > self.confirm_s:
                self._pending = None  # no SIGCONT came: the process was running, only not seen
            return self._stopped + (self._pending[0] if self._pending is not None else 0.0)

    @property
    def stopped_s(self) -> float:
        return self.heartbeat()

    def elapsed(self) -> float:
        if self._final is not None:
            return self._final
        stopped = self.heartbeat()
        return max(0.0, self._time() - self._started - stopped)
