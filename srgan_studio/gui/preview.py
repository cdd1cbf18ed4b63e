"""Drives the compare-view preview: one job at a time, restarted on change.

At most one preview worker runs. A change of view, model or image cancels it
and marks a restart as pending; the next job is planned only when the old
one has stopped (at its next tile), from what is already rendered. So
scrolling around never piles up stale jobs, and no block is rendered twice.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.descriptor import ModelDescriptor
from .preview_job import PreviewEvent, plan_preview, preview_job
from .render_slot import BLOCK, RenderSlot
from .view_state import ViewState
from .worker import Worker

RESTART_DELAY_MS = 120  # wheel and drag events come in bursts; plan once they settle
PAUSED_TEXT = "Preview paused; zoom or pan to resume"  # the status line after Esc
MAX_SESSIONS = 8  # engine sessions kept (Realism blends would pile up otherwise)
# The live preview compares models, so it runs one pass whatever Settings › Quality says: the
# self-ensemble's gain (+0.02 dB on Set5 at 8 passes, core/ensemble.py) does not show on screen, its
# cost does: a 640x480 photo's x4 preview took 82.6 s at 8 passes, 11.7 s at 1 (restore_x4, 2-core CPU).
# Saves use the setting.
PREVIEW_PASSES = 1


def preview_passes_for(save_passes: int) -> int:
    """The model passes per tile of the live preview, for Settings › Quality = ``save_passes``."""
    return min(PREVIEW_PASSES, save_passes)


def _passes(n: int) -> str:
    return f"{n} pass" if n == 1 else f"{n} passes"


def passes_text(save_passes: int) -> str:
    """'Preview: 1 pass · Save: 8 passes' when the two differ; '' when the preview is what is saved."""
    preview = preview_passes_for(save_passes)
    return "" if preview == save_passes else f"Preview: {_passes(preview)} · Save: {_passes(save_passes)}"


class UpscalerCache:
    """Engine sessions are costly to build: keep one per model and options."""

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = dict(options or {})
        self._cache: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def set_options(self, options: dict[str, Any]) -> None:
        with self._lock:
            if options != self.options:
                self.options = dict(options)
                self._cache.clear()

    @property
    def save_passes(self) -> int:
        """Model passes per tile for a save: Settings › Quality."""
        return int(self.options.get("ensemble", 1))

    @property
    def preview_passes(self) -> int:
        return preview_passes_for(self.save_passes)

    @property
    def preview_is_saved(self) -> bool:
        """The preview's pixels are the saved ones, so a save may reuse its finished blocks."""
        return self.preview_passes == self.save_passes

    def get(self, descriptor: ModelDescriptor, tile: int | None = None, passes: int | None = None):
        """The Upscaler for ``descriptor``; ``tile`` and ``passes`` override the settings' tile size and Quality."""
        from ..core.upscale import Upscaler

        options = dict(self.options)
        if tile is not None:
            options["tile"] = tile
        if passes is not None:
            options["ensemble"] = passes
        key = (descriptor.name, descriptor.source_path, descriptor.file, options.get("tile"), options.get("ensemble"))
        with self._lock:
            up = self._cache.pop(key, None)
            if up is None:
                up = Upscaler(descriptor, **options)
            self._cache[key] = up  # most recently used last
            while len(self._cache) > MAX_SESSIONS:
                self._cache.pop(next(iter(self._cache)))
            return up

    def get_preview(self, descriptor: ModelDescriptor):
        # Preview blocks are engine tiles: nothing is computed twice.
        return self.get(descriptor, tile=BLOCK, passes=self.preview_passes)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class PreviewController(QObject):
    job_started = Signal()
    job_stopped = Signal(str)  # outcome: finished | cancelled | errored
    error = Signal(str)
    slot_progress = Signal(object)  # the RenderSlot whose progress moved

    def __init__(self, slots: list[RenderSlot], view: ViewState, cache: UpscalerCache, parent=None):
        super().__init__(parent)
        self.slots = slots
        self.view = view
        self.cache = cache
        self.image = None
        self.worker: Worker | None = None
        self._pending = False
        self._paused = False  # the user pressed Cancel: wait for a change
        self._shut = False  # the window closed: start nothing any more
        self._timer = QTimer(self, singleShot=True, interval=RESTART_DELAY_MS)
        self._timer.timeout.connect(self._on_restart_due)
        view.subscribe(self._on_view_changed)

    # -- inputs --------------------------------------------------------------
    def set_image(self, image) -> None:
        self.image = image
        for slot in self.slots:
            if image is not None:
                slot.reset_target(image.width, image.height)
            else:
                slot.target = None
                slot.changed()
        self.restart(now=True)

    def set_slot_model(self, slot: RenderSlot, descriptor: ModelDescriptor | None, missing: str = "") -> None:
        slot.set_model(descriptor, missing)
        if self.image is not None:
            slot.reset_target(self.image.width, self.image.height)
        self.restart(now=True)

    def restart(self, now: bool = False) -> None:
        self._paused = False
        if now:
            self._timer.stop()
            self._on_restart_due()
        else:
            self._timer.start()

    def cancel(self) -> None:
        """The user's Cancel: stop now, render again only after a change."""
        self._timer.stop()
        self._paused = True
        self._pending = False
        if self.worker is not None:
            self.worker.cancel()

    def shutdown(self) -> None:
        self._shut = True
        self.cancel()
        if self.worker is not None:
            self.worker.wait(5000)

    @property
    def paused(self) -> bool:
        """The user stopped the preview (Esc) and nothing has changed since."""
        return self._paused

    @property
    def busy(self) -> bool:
        return self.worker is not None

    # -- internals -------------------------------------------------------------
    def _on_view_changed(self) -> None:
        if self.image is not None:
            self.restart()

    def _visible_input_box(self) -> tuple[int, int, int, int] | None:
        if self.image is None:
            return None
        x0, y0, x1, y1 = self.view.visible_rect()
        scale = next((s.descriptor.scale for s in self.slots if s.descriptor is not None), 4)
        return (x0 // scale, y0 // scale, -(-x1 // scale), -(-y1 // scale))

    def _on_restart_due(self) -> None:
        if self.worker is not None:
            self._pending = True
            self.worker.cancel()
            return
        self._pending = False
        if self.image is None or self._paused or self._shut:
            return
        steps = plan_preview(self.slots, self._visible_input_box())
        if not steps:
            return
        image, cache = self.image, self.cache
        for slot in {st.slot for st in steps}:
            slot.busy = True
            slot.status = "rendering"
            slot.changed()
        worker = Worker(lambda token: preview_job(steps, image, cache.get_preview, token), self, name="preview")
        worker.progress.connect(self._on_progress)
        worker.errored.connect(self._on_errored)
        worker.done.connect(self._on_done)
        self.worker = worker
        worker.start()
        self.job_started.emit()

    def _on_progress(self, ev: PreviewEvent) -> None:
        slot = ev.slot
        if slot.target is not ev.target:
            return  # an event for a model or image that was since replaced
        slot.tile_fraction = ev.tiles_done / ev.tiles_total if ev.tiles_total else 0.0
        slot.status = "visible region" if ev.phase == "visible" else "filling in"
        if ev.region_done and slot.fraction >= 1.0:
            slot.status = "done"
            slot.busy = False
        slot.changed()
        self.slot_progress.emit(slot)

    def _on_errored(self, text: str) -> None:
        self._paused = True  # do not loop on a model that fails every time
        self.error.emit(text)

    def _on_done(self) -> None:
        worker, self.worker = self.worker, None
        outcome = worker.outcome if worker is not None else ""
        for slot in self.slots:
            if slot.busy:
                slot.busy = False
                if slot.target is not None and slot.fraction < 1.0:
                    slot.status = {"cancelled": "paused" if self._paused else "restarting", "errored": "error"}.get(
                        outcome, "viewed part done"
                    )
                elif slot.target is not None:
                    slot.status = "done"
                slot.changed()
        if worker is not None:
            worker.release()
        self.job_stopped.emit(outcome)
        if self._pending and not self._paused:
            self._on_restart_due()
