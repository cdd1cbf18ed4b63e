"""The training child process: ``srgan-studio train ... --progress json``.

``TrainProcess`` reads its JSON lines as typed records (``core.train_records``),
keeps the tail of its stderr to explain a failure in one line, and pauses
(SIGSTOP/SIGCONT), stops (SIGTERM: the trainer checkpoints first) or kills it.
Training never runs in the caller's process: a crash or an out-of-memory there
cannot take the app down.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from ..errors import StudioError
from ..train_records import TrainRecord, parse_line


def train_command() -> list[str]:
    """The command that runs ``srgan-studio`` as a child of this interpreter (tests swap in a fake)."""
    return [sys.executable, "-m", "srgan_studio"]


def child_setup() -> None:
    # Nice the trainer so the app (and anything else the user runs) stays responsive.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(5)


def _popen_options() -> dict[str, Any]:
    if os.name == "posix":
        # Ctrl-C in a terminal reaches us, and we stop the child cleanly.
        return {"start_new_session": True, "preexec_fn": child_setup}
    return {
        "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        | getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
    }


class TrainProcess:
    """One ``srgan-studio train`` child: typed records from stdout, a stderr tail kept for errors."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        child_env = dict(os.environ if env is None else env)
        child_env["PYTHONUNBUFFERED"] = "1"
        self.log_path = log_path
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=child_env,
                **_popen_options(),
            )
        except OSError as exc:
            raise StudioError(f"cannot start the training process ({exc})") from None
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True, name="train-stderr")
        self._stderr_thread.start()
        self.paused = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.proc.stderr:
                log.write(line)
                log.flush()
                if line.strip():
                    self.stderr_tail.append(line.strip())

    def records(self) -> Generator[TrainRecord, None, None]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            record = parse_line(line)
            if record is not None:
                yield record

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        self._stderr_thread.join(5)
        return code

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)

    def suspend(self) -> None:
        self._signal(signal.SIGSTOP)
        self.paused = True

    def cont(self) -> None:
        self._signal(signal.SIGCONT)
        self.paused = False

    def give_core_back(self, on: bool) -> None:
        """Ask the trainer to run one thread fewer (while the app renders), or all again."""
        sig = getattr(signal, "SIGUSR1" if on else "SIGUSR2", None)
        if sig is not None and not self.paused:
            self._signal(sig)

    def stop(self) -> None:
        """Ask the trainer to stop after the current step; it saves a checkpoint first."""
        if os.name == "posix":
            self._signal(signal.SIGTERM)
            if self.paused:
                self.cont()  # a stopped process only acts on SIGTERM once it runs again
        else:
            self._signal(getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM))

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(OSError):
                self.proc.kill()

    def finish(self, grace_s: float = 30.0) -> None:
        """Make sure the child is gone: stop it, then kill it after ``grace_s``."""
        if not self.alive():
            return
        self.stop()
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def failure(self, code: int, last_error: str) -> str:
        """One line saying why the process ended badly."""
        if last_error:
            return last_error
        for line in reversed(self.stderr_tail):
            if line.startswith("srgan-studio: error:"):
                return line.removeprefix("srgan-studio: error:").strip()
        for line in reversed(self.stderr_tail):
            if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line) or "out of memory" in line.lower():
                return line
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the training process was killed ({name})"
        if self.stderr_tail:
            return f"the training process exited with code {code}: {self.stderr_tail[-1]}"
        return f"the training process exited with code {code}"
