"""The one generic worker: results, progress, errors and cancel all arrive, exactly once."""

from __future__ import annotations

import threading

import pytest

from srgan_studio.core.errors import ImageReadError
from srgan_studio.gui.worker import Worker


def _collect(worker):
    seen = {"progress": [], "finished": [], "errored": [], "cancelled": 0, "done": 0, "started": 0}
    worker.started.connect(lambda: seen.__setitem__("started", seen["started"] + 1))
    worker.progress.connect(seen["progress"].append)
    worker.finished.connect(seen["finished"].append)
    worker.errored.connect(seen["errored"].append)
    worker.cancelled.connect(lambda: seen.__setitem__("cancelled", seen["cancelled"] + 1))
    worker.done.connect(lambda: seen.__setitem__("done", seen["done"] + 1))
    return seen


def _run(qtbot, job):
    worker = Worker(job)
    seen = _collect(worker)
    with qtbot.waitSignal(worker.done, timeout=5000):
        worker.start()
    qtbot.wait(20)  # let queued signals land
    return worker, seen


def test_generator_progress_and_return_value(qtbot):
    main_thread = threading.get_ident()
    threads = []

    def job(token):
        threads.append(threading.get_ident())
        yield from range(3)
        return "result"

    worker, seen = _run(qtbot, job)
    assert seen["progress"] == [0, 1, 2]
    assert seen["finished"] == ["result"]
    assert seen["errored"] == [] and seen["done"] == 1 and seen["started"] == 1
    assert threads and threads[0] != main_thread  # ran off the UI thread
    assert worker.outcome == "finished"


def test_plain_function_result(qtbot):
    _, seen = _run(qtbot, lambda token: 42)
    assert seen["finished"] == [42]


def test_studio_error_is_reported_as_its_line(qtbot):
    def job(token):
        yield 1
        raise ImageReadError("not an image", "/x/bad.png")

    worker, seen = _run(qtbot, job)
    assert seen["errored"] == ["/x/bad.png: not an image"]
    assert seen["finished"] == [] and seen["done"] == 1
    assert worker.outcome == "errored"


@pytest.mark.parametrize("exc", [ZeroDivisionError("boom"), KeyError("k"), MemoryError()])
def test_unexpected_exceptions_are_never_dropped(qtbot, exc):
    def job(token):
        raise exc
        yield  # pragma: no cover

    _, seen = _run(qtbot, job)
    assert len(seen["errored"]) == 1
    assert type(exc).__name__ in seen["errored"][0]
    assert seen["done"] == 1 and seen["finished"] == []


def test_error_while_creating_the_generator(qtbot):
    def job(token):
        raise RuntimeError("factory failed")

    _, seen = _run(qtbot, job)
    assert seen["errored"] == ["RuntimeError: factory failed"]


def test_cancel_stops_at_the_next_check(qtbot):
    release = threading.Event()
    steps = []

    def job(token):
        for i in range(1000):
            token.raise_if_cancelled()
            steps.append(i)
            yield i
            release.wait(1)

    worker = Worker(job)
    seen = _collect(worker)
    worker.start()
    qtbot.waitUntil(lambda: len(steps) >= 1, timeout=5000)
    worker.cancel()
    release.set()
    qtbot.waitUntil(lambda: seen["done"] == 1, timeout=5000)
    assert seen["cancelled"] == 1 and seen["finished"] == [] and seen["errored"] == []
    assert len(steps) < 1000
    assert worker.outcome == "cancelled" and not worker.is_running


def test_a_worker_runs_once(qtbot):
    worker, _ = _run(qtbot, lambda token: None)
    with pytest.raises(RuntimeError):
        worker.start()


def test_release_in_a_done_handler_waits_for_the_thread(qtbot):
    import time

    gone = []
    workers = []
    for _ in range(20):
        w = Worker(lambda token: time.sleep(0.002))
        w.done.connect(w.release)
        w.destroyed.connect(lambda *_: gone.append(1))
        workers.append(w)
        w.start()
    del workers
    qtbot.waitUntil(lambda: len(gone) == 20, timeout=10000)
