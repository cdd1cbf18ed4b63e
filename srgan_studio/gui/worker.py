"""The one generic worker: runs a core generator on a background thread.

Every long job in the app (preview tiles, full-resolution save, batch,
network interpolation) is a plain generator from the engine that yields
progress, checks a CancelToken and *returns* its result. ``Worker`` drives
such a generator off the UI thread and turns it into signals:

    started()           the generator is about to run
    progress(object)    each value it yields
    errored(str)        it raised: a StudioError's one-line text, or the
                        type and text of an unexpected exception
    finished(object)    it returned (the StopIteration value)
    cancelled()         it raised Cancelled after cancel()
    done()              always last, whatever happened above

An exception is never dropped: whatever escapes the generator ends in
``errored`` and then ``done`` (TagStudio's runnable lost them, and its
"done" never came).

The thread is a Python ``threading.Thread``, not a QThread subclass: with
PySide6 6.12 a QThread whose ``run`` is Python code ends by deleting its
Python thread state through shiboken's GilState, and with ONNX Runtime's
pybind11 GIL handling in the same thread that state was sometimes already
gone: the app crashed in ``tstate_delete_common`` ("double free or
corruption", SIGSEGV) within a minute of previews with the bundled models.
Signals emitted from a Python thread reach the UI thread queued, as before.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.cancel import CancelToken
from ..core.errors import Cancelled, StudioError
from ..core.progress import drive

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Generator[Any, None, Any]]

# Every started Worker until its thread has ended, so the app can stop them all
# after the event loop returns and before the interpreter finalises.
_live: set[Worker] = set()


def stop_all(timeout_ms: int = 10000) -> None:
    """Cancel every running worker and wait for its thread (call after ``app.exec()``).

    A thread still emitting signals while Python finalises is how the app died on
    quit (bug: exit code 134); nothing may run once this returns.
    """
    workers = list(_live)
    for w in workers:
        w.cancel()
    for w in workers:
        w.wait(timeout_ms)
        _live.discard(w)


class Worker(QObject):
    started = Signal()
    progress = Signal(object)
    errored = Signal(str)
    finished = Signal(object)
    cancelled = Signal()
    done = Signal()
    _ended = Signal()  # the thread's last act; handled on the UI thread

    def __init__(self, job: JobFactory, parent: QObject | None = None, name: str = "job"):
        """``job`` takes the worker's CancelToken and returns the generator to drive.

        A plain function (returning a non-generator) is accepted too: its
        return value goes to ``finished``.
        """
        super().__init__(parent)
        self.name = name
        self.token = CancelToken()
        self._job = job
        self._thread: threading.Thread | None = None
        self._running = False
        self._started = False
        self._release_pending = False
        self.outcome: str = ""  # "finished" | "errored" | "cancelled" once done
        self.error: str = ""

    @property
    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._started:
            raise RuntimeError("a Worker runs once; make a new one")
        self._started = True
        self._running = True
        _live.add(self)
        self._ended.connect(self._on_thread_finished)
        self._thread = threading.Thread(target=self._run_in_thread, name=f"worker: {self.name}")
        self._thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, ms: int = -1) -> bool:
        """Block until the thread ends (tests and shutdown only, never the UI)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(None if ms < 0 else ms / 1000)
        return not thread.is_alive()

    def _run_in_thread(self) -> None:
        self.started.emit()
        try:
            gen = self._job(self.token)
            result = drive(gen, self.progress.emit) if isinstance(gen, Generator) else gen
        except Cancelled:
            self._finish("cancelled")
            self.cancelled.emit()
        except StudioError as exc:
            self._finish("errored", str(exc))
            self.errored.emit(str(exc))
        except BaseException as exc:  # noqa: BLE001 - a worker must report everything
            log.error("%s failed:\n%s", self.name, traceback.format_exc())
            text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._finish("errored", text)
            self.errored.emit(text)
        else:
            self._finish("finished")
            self.finished.emit(result)
        finally:
            self._running = False
            self.done.emit()
            self._ended.emit()

    def _finish(self, outcome: str, error: str = "") -> None:
        self.outcome = outcome
        self.error = error

    def release(self) -> None:
        """Delete this worker once its thread has stopped (safe in a ``done`` handler).

        ``done`` can arrive while the thread is still returning; deleting the
        worker then would delete the QObject its thread is still emitting from.
        """
        if self._thread is None:
            self.deleteLater()
        else:
            self._release_pending = True

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        _live.discard(self)
        if thread is not None:
            thread.join()  # it is at its very end; this returns at once
        if self._release_pending:
            self.deleteLater()
