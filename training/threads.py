"""``train.threads = -1``: use the thread count that trains fastest here, measured during the run.

All cores are fastest on an idle machine, but on a busy one OpenMP threads wait for
each other: measured on a shared 2-core box, one step took 1.6 s with 1 thread and
4.8 s with 2. So the trainer times a few steps at each candidate count, keeps the
fastest, and measures again every ``every`` steps as the machine's load changes.
"""

from __future__ import annotations

import time


class ThreadTuner:
    def __init__(self, max_threads: int, probe_steps: int = 3, every: int = 100):
        self.candidates = sorted({max_threads, max(1, max_threads // 2), 1}, reverse=True)
        self.probe_steps = probe_steps
        self.every = every
        self.best = max_threads
        self._times: dict[int, list[float]] = {}
        self._round_start = 0
        self._t0 = 0.0

    def _probing(self, step: int) -> int | None:
        """The candidate timed at ``step`` of this round, or None between rounds."""
        k = (step - self._round_start) // (self.probe_steps + 1)   # +1: the first step at a new count is a warm-up
        return self.candidates[k] if 0 <= k < len(self.candidates) else None

    def threads_for(self, step: int) -> int:
        """The thread count to run ``step`` with."""
        if step - self._round_start >= self.every:
            self._round_start, self._times = step, {}
        candidate = self._probing(step)
        self._t0 = time.perf_counter()
        return candidate if candidate is not None else self.best

    def step_done(self, step: int) -> None:
        candidate = self._probing(step)
        if candidate is None or (step - self._round_start) % (self.probe_steps + 1) == 0:
            return
        self._times.setdefault(candidate, []).append(time.perf_counter() - self._t0)
        if len(self._times) == len(self.candidates) and all(len(v) == self.probe_steps for v in self._times.values()):
            self.best = min(self._times, key=lambda n: sorted(self._times[n])[self.probe_steps // 2])
