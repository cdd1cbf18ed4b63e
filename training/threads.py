"""``train.threads = -1``: use the thread count that trains fastest here, measured during the run.

All cores are fastest on an idle machine, but on a busy one OpenMP threads wait for
each other: measured on a shared 2-core box, one step took 1.6 s with 1 thread and
4.8 s with 2. So the trainer times a few steps at each candidate count (one thread
first, as the cheap baseline), keeps the fastest, and measures again every
``every`` steps as the machine's load changes. A candidate whose first timed step
is far slower than the best so far is dropped at once: a probe must not cost much.
"""

from __future__ import annotations

import time

GIVE_UP = 1.5  # a candidate this much slower than the best so far is not timed further


class ThreadTuner:
    def __init__(self, max_threads: int, probe_steps: int = 3, every: int = 100):
        self.candidates = sorted({max_threads, max(1, max_threads // 2), 1})
        self.probe_steps = probe_steps
        self.every = every
        self.best = max_threads
        self._queue: list[int] = []
        self._current: int | None = None
        self._warm_up = False
        self._times: dict[int, list[float]] = {}
        self._next_round = 0
        self._t0 = 0.0

    def threads_for(self, step: int) -> int:
        """The thread count to run ``step`` with."""
        if self._current is None and not self._queue and step >= self._next_round:
            self._queue, self._times = list(self.candidates), {}
        if self._current is None and self._queue:
            self._current, self._warm_up = self._queue.pop(0), True  # its first step pays the switch
        self._t0 = time.perf_counter()
        return self._current if self._current is not None else self.best

    def _median(self, n: int) -> float:
        t = sorted(self._times[n])
        return t[len(t) // 2]

    def step_done(self, step: int) -> None:
        n = self._current
        if n is None:
            return
        if self._warm_up:
            self._warm_up = False
            return
        dt = time.perf_counter() - self._t0
        self._times.setdefault(n, []).append(dt)
        others = [self._median(m) for m in self._times if m != n]
        if len(self._times[n]) >= self.probe_steps or (others and dt > GIVE_UP * min(others)):
            self._current = None
            if not self._queue:
                self.best = min(self._times, key=self._median)
                self._next_round = step + self.every
