"""Before/after previews during training, rendered in short-lived child processes.

Each preview runs ``python -m srgan_studio.training.preview`` on the first
held-out crop, so neither the app nor the trainer ever holds a second model.
A preview that fails becomes a ``Notice`` naming the log, never silence.
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

from .events import Notice, PreviewReady
from .process import child_setup

if TYPE_CHECKING:
    from .run import FinetuneRun

PREVIEW_TIMEOUT_S = 300


class PreviewFiles:
    """The preview folder's files: the original crop, its LR, bicubic and the base's output."""

    def __init__(self, run: FinetuneRun):
        d = run.preview_dir
        self.dir = d
        self.hr = d / "crops" / "00.png"
        self.lr = d / "lr.png"
        self.bicubic = d / "bicubic.png"
        self.base = d / "base.png"
        self.log = d / "preview.log"


def _render(run: FinetuneRun, weights: Path, out: Path) -> str:
    """Render ``weights`` on the preview crop into ``out``; '' on success, else why not (one line)."""
    files = PreviewFiles(run)
    argv = [
        sys.executable,
        "-m",
        "srgan_studio.training.preview",
        str(weights),
        str(files.hr),
        str(out),
        "--preset",
        run.options.preset,
        "--lr-out",
        str(files.lr),
        "--bicubic-out",
        str(files.bicubic),
    ]
    try:
        res = subprocess.run(
            argv,
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PREVIEW_TIMEOUT_S,
            preexec_fn=child_setup if os.name == "posix" else None,
        )
    except subprocess.TimeoutExpired:
        return f"the preview took longer than {PREVIEW_TIMEOUT_S} s"
    except OSError as exc:
        return f"the preview could not start ({exc})"
    with contextlib.suppress(OSError), open(files.log, "a", encoding="utf-8") as log:
        log.write(res.stderr or "")
    if res.returncode == 0 and out.is_file():
        return ""
    lines = [ln.strip() for ln in (res.stderr or "").splitlines() if ln.strip()]
    why = lines[-1].removeprefix("srgan-studio: error:").strip() if lines else f"exit code {res.returncode}"
    return why


class Previewer:
    """Renders previews in a background thread so the progress events keep flowing.

    One render at a time; a checkpoint that arrives while one is running is
    skipped (the next one will show newer weights anyway).
    """

    def __init__(self, run: FinetuneRun):
        self.run = run
        self.files = PreviewFiles(run)
        self.thread: threading.Thread | None = None
        self.results: collections.deque[PreviewReady | Notice] = collections.deque()
        self._last: Path | None = None

    def request(self, stage: str, step: int, weights: Path) -> bool:
        if not self.run.options.previews or (self.thread is not None and self.thread.is_alive()):
            return False
        self.thread = threading.Thread(
            target=self._work, args=(stage, step, weights), daemon=True, name="finetune-preview"
        )
        self.thread.start()
        return True

    def _fail(self, what: str, why: str) -> None:
        self.results.append(Notice(f"{what} failed: {why} (log: {self.files.log})", problem=True))

    def _work(self, stage: str, step: int, weights: Path) -> None:
        if not self.files.hr.is_file():
            self._fail("the preview", f"the held-out crop {self.files.hr.name} is missing")
            return
        if not self.files.base.is_file():
            why = _render(self.run, Path(self.run.state.base.weights), self.files.base)
            if why:
                self._fail("the base model's preview", why)
                return
        # A new name per preview: the GUI may still be reading the previous one.
        out = self.files.dir / f"current-{stage}-{step:07d}.png"
        why = _render(self.run, weights, out)
        if why:
            self._fail(f"the preview at {stage.upper()} step {step}", why)
            return
        for old in self.files.dir.glob("current-*.png"):
            if old not in (out, self._last):
                with contextlib.suppress(OSError):
                    old.unlink()
        self._last = out
        f = self.files
        self.results.append(PreviewReady(stage, step, f.lr, f.bicubic, f.base, out, f.hr))

    def ready(self, wait: bool = False) -> Generator[PreviewReady | Notice, None, None]:
        if wait and self.thread is not None:
            self.thread.join(PREVIEW_TIMEOUT_S)
        while self.results:
            yield self.results.popleft()
