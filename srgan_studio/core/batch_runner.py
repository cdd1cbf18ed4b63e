"""Running a planned batch: the loop behind ``batch.run_batch`` that yields its events.

Pipeline: a reader thread decodes ahead (at most ``READ_AHEAD`` decoded inputs
waiting), the caller's thread runs the model, and ``workers`` threads encode
(at most ``workers`` outputs waiting). Peak memory is therefore a few images,
whatever the folder size.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Generator
from typing import Any

from .batch_events import BatchEvent, BatchStarted, BatchSummary, FileFinished, FileStarted, TileProgress
from .batch_files import judge_kind, read_input, reason, write_output
from .batch_passes import mixed_note, passes_for
from .batch_plan import BatchItem, BatchPlan, decide, planned_outputs
from .batch_state import Eta, FileState
from .cancel import CancelToken
from .discover import Note
from .errors import Cancelled
from .progress import relay

READ_AHEAD = 2
_END = object()


class BatchRunner:
    """One run of a planned batch: ``run()`` yields the events, ``summary()`` tells how it ended."""

    def __init__(
        self,
        plan: BatchPlan,
        upscalers: dict[str, Any],
        cancel: CancelToken,
        notes: tuple[Note, ...],
        earlier: dict[str, int] | None = None,
    ):
        self.plan = plan
        self.job = plan.job
        self.upscalers = upscalers
        self.cancel = cancel
        self.notes = notes
        self.earlier = earlier or {}  # output path -> model passes, from the report this run replaces
        self.passes_note = mixed_note(plan, self.earlier)
        self.states = [FileState(item, self.earlier) for item in plan.items]
        self.eta = Eta(sum(planned_outputs(item, self.job) for item in plan.items))
        self.partial = 0.0  # fraction of the current output done, for the ETA
        self.files_done = 0
        self.cancelled = False
        self.started = time.monotonic()
        self.ended: float | None = None
        # Pipelined mode only.
        self.decoded: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
        self.results: queue.Queue = queue.Queue()
        self.to_write: queue.Queue | None = None
        self.stop = threading.Event()

    def _base(self) -> dict[str, Any]:
        return {
            "files_done": self.files_done,
            "files_total": len(self.states),
            "eta_seconds": self.eta.seconds(self.partial),
        }

    def _maybe_finish(self, state: FileState):
        if state.dispatched and not state.pending and not state.reported:
            state.reported = True
            self.files_done += 1
            yield FileFinished(index=state.item.index, result=state.result(), **self._base())

    # -- main flow

    def run(self) -> Generator[BatchEvent, None, None]:
        try:
            yield BatchStarted(
                inputs=tuple(s.item.input for s in self.states),
                models=tuple(self.job.models),
                output_dir=self.plan.output_dir,
                notes=self.notes,
                passes=max((passes_for(self.plan, m) for m in self.plan.descriptors), default=1),
                passes_note=self.passes_note,
                **self._base(),
            )
            work = []
            for state in self.states:
                if state.item.todo:
                    work.append(state)
                else:
                    state.dispatched = True
                    yield from self._maybe_finish(state)
            if not work:
                return
            self.eta.start = time.monotonic()
            if self.job.workers <= 0:
                yield from self._run_sequential(work)
            else:
                yield from self._run_pipelined(work)
        except (GeneratorExit, KeyboardInterrupt):
            self.cancelled = True
            raise
        finally:
            self.ended = time.monotonic()

    def _run_sequential(self, work: list[FileState]):
        for state in work:
            if self.cancel.cancelled:
                self.cancelled = True
                return
            image, error, seconds, decided = self._read(state)
            try:
                yield from self._infer_file(state, image, error, seconds, decided)
            except Cancelled:
                self.cancelled = True
                yield from self._maybe_finish(state)
                return
            finally:
                image = None

    def _run_pipelined(self, work: list[FileState]):
        self.to_write = queue.Queue(maxsize=self.job.workers)
        reader = threading.Thread(target=self._read_loop, args=(work,), name="batch-reader", daemon=True)
        writers = [
            threading.Thread(target=self._write_loop, name=f"batch-writer-{i}", daemon=True)
            for i in range(self.job.workers)
        ]
        reader.start()
        for w in writers:
            w.start()
        try:
            while True:
                yield from self._drain_results()
                try:
                    # The timeout keeps a GUI cancel responsive while a large file decodes.
                    msg = self.decoded.get(timeout=0.1)
                except queue.Empty:
                    self.cancel.raise_if_cancelled()
                    continue
                if msg is _END:
                    break
                state, image, error, seconds, decided = msg
                msg = None  # the queue slot must not keep the image alive
                try:
                    yield from self._infer_file(state, image, error, seconds, decided)
                finally:
                    image = None
        except Cancelled:
            self.cancelled = True
        finally:
            # Stop reading; the writers finish what is queued (each image is
            # already computed and each write is atomic), then exit.
            self.stop.set()
            for _ in writers:
                self.to_write.put(_END)
            for w in writers:
                w.join()
            with contextlib.suppress(queue.Empty):
                while True:
                    self.decoded.get_nowait()
            reader.join()
        yield from self._drain_results()

    def _read_loop(self, work: list[FileState]) -> None:
        for state in work:
            if self.stop.is_set():
                return
            msg = (state, *self._read(state))
            if not self._put_decoded(msg):
                return
            msg = None
        self._put_decoded(_END)

    def _read(self, state: FileState) -> tuple[Any, str | None, float, BatchItem | None]:
        """Decode the input and, where "auto" waits for the pixels, judge its kind on them: one decode a file.
        May run on the reader thread, so the decided item is only returned; ``_infer_file`` applies it."""
        image, error, seconds = read_input(state.item, self.job)
        start = time.monotonic()
        kind = judge_kind(state.item, image)
        decided = None if kind is None else decide(state.item, kind, self.job)
        return image, error, seconds + time.monotonic() - start, decided

    def _put_decoded(self, msg) -> bool:
        while not self.stop.is_set():
            try:
                self.decoded.put(msg, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _write_loop(self) -> None:
        while True:
            task = self.to_write.get()
            if task is _END:
                return
            state, model, image, dpi_scale = task
            task = None
            error, seconds = write_output(image, model, state.item, self.plan, self.job, dpi_scale)
            image = None
            self.results.put((state, model, error, seconds))

    def _drain_results(self):
        while True:
            try:
                state, model, error, seconds = self.results.get_nowait()
            except queue.Empty:
                return
            yield from self._on_written(state, model, error, seconds)

    def _on_written(self, state: FileState, model: str, error: str | None, seconds: float):
        state.seconds += seconds
        state.pending.discard(model)
        if error:
            state.errors.append(f"{model}: {error}")
        else:
            state.add_output(state.item.outputs[model], passes_for(self.plan, model))
        yield from self._maybe_finish(state)

    def _infer_file(self, state: FileState, image, error: str | None, seconds: float, decided: BatchItem | None):
        if decided is not None:
            # Nothing of this input has run yet: its bookkeeping starts over from the narrowed item.
            fresh = FileState(decided, self.earlier)
            for slot in ("item", "pending", "outputs", "passes", "errors"):
                setattr(state, slot, getattr(fresh, slot))
        state.status = "running"
        state.seconds += seconds
        item = state.item
        if error is not None:
            state.errors.append(error)
            state.pending.clear()
            state.dispatched = True
            self.eta.done += len(item.todo)
            yield from self._maybe_finish(state)
            return
        for model in item.todo:
            if self.cancel.cancelled:
                self._mark_cancelled(state, model)
                raise Cancelled()
            yield FileStarted(index=item.index, path=item.input, model=model, **self._base())
            start = time.monotonic()
            try:
                output = yield from self._tiles(state, model, image)
            except Cancelled:
                self._mark_cancelled(state, model)
                raise
            except Exception as exc:  # noqa: BLE001 - errors stay with their file
                output = None
                state.errors.append(f"{model}: {reason(exc)}")
                state.pending.discard(model)
            finally:
                self.partial = 0.0
                state.seconds += time.monotonic() - start
                self.eta.done += 1
            if output is not None:
                yield from self._submit(state, model, output, output.width / image.width)
            output = None
        state.dispatched = True
        yield from self._maybe_finish(state)

    def _mark_cancelled(self, state: FileState, model: str) -> None:
        # Outputs of earlier models stay queued: they are complete. This one and later ones are dropped.
        state.status = "cancelled"
        for m in state.item.todo[state.item.todo.index(model) :]:
            state.pending.discard(m)
        state.dispatched = True

    def _tiles(self, state: FileState, model: str, image):
        item = state.item

        def events(p):
            self.partial = p.done / p.total if p.total else 0.0
            yield TileProgress(
                index=item.index,
                path=item.input,
                model=model,
                done=p.done,
                total=p.total,
                stage=p.stage,
                message=p.message,
                **self._base(),
            )
            if self.to_write is not None:
                yield from self._drain_results()

        return (yield from relay(self.upscalers[model].run(image, cancel=self.cancel), events))

    def _submit(self, state: FileState, model: str, output, dpi_scale: float):
        if self.to_write is None:
            error, seconds = write_output(output, model, state.item, self.plan, self.job, dpi_scale)
            yield from self._on_written(state, model, error, seconds)
            return
        # Blocks only while every writer is busy and the queue is full: that bounds memory.
        self.to_write.put((state, model, output, dpi_scale))

    def summary(self) -> BatchSummary:
        end = self.ended if self.ended is not None else time.monotonic()
        results = []
        for state in self.states:
            if self.cancelled and state.status == "running" and not state.reported:
                state.status = "cancelled"
            results.append(state.result())
        return BatchSummary(
            tuple(results), self.notes, self.cancelled, end - self.started, passes_note=self.passes_note
        )
