"""The Realism slider at work: builds the blend of the current pair off the UI thread.

The slider's value is remembered in the settings. Moving it (or changing the
pair) restarts a short timer; when it fires, the blend of the faithful and
realistic twins is written (core/interpolate.py, in a Worker) and ``ready``
hands its descriptor to the panes that show the realistic model.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from .realism import STEP, blended_descriptor, can_interpolate
from .worker import Worker

DELAY_MS = 250


def realism_tooltip(faithful: str, realistic: str) -> str:
    """What the slider does, in a photographer's words, naming the pair and the panes it changes."""
    return (
        f"How much fine texture {realistic} may invent.\n"
        f"0% = {faithful}: faithful, smoother. 100% = {realistic}: sharpest, partly invented detail.\n"
        f"Changes the pane showing {realistic}; Save offers the blend you see."
    )


class RealismControl(QObject):
    ready = Signal(object)  # the descriptor for the realistic panes
    failed = Signal(str)
    message = Signal(str)

    def __init__(self, slider, label, settings, pair: Callable[[], tuple], parent=None):
        """``pair()`` gives the current (faithful, realistic) descriptors, either may be None."""
        super().__init__(parent)
        self.slider, self.label, self.settings, self._pair = slider, label, settings, pair
        self.worker: Worker | None = None
        self.closed = False
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self._build)
        slider.setValue(settings.realism)
        label.setText(f"{self.percent}%")
        slider.valueChanged.connect(self._on_moved)

    @property
    def percent(self) -> int:
        return round(self.slider.value() / STEP) * STEP

    def update_availability(self) -> str:
        """Enable the slider when the current pair can be blended; '' or the reason."""
        psnr, gan = self._pair()
        reason = can_interpolate(psnr, gan)
        self.slider.setEnabled(not reason)
        self.label.setEnabled(not reason)
        tip = f"Realism slider unavailable: {reason}" if reason else realism_tooltip(psnr.title, gan.title)
        for w in (self.slider, self.slider.parentWidget()):  # the parent: hovering the "Realism" label explains too
            if w is not None:
                w.setToolTip(tip)
        return reason

    def schedule(self) -> None:
        if not self.closed:
            self._timer.start()

    def close(self) -> None:
        self.closed = True
        self._timer.stop()
        if self.worker is not None:
            self.worker.cancel()

    def _on_moved(self, value: int) -> None:
        self.label.setText(f"{self.percent}%")
        self.settings.realism = self.percent
        self.schedule()

    def _build(self) -> None:
        psnr, gan = self._pair()
        if self.closed or can_interpolate(psnr, gan):
            return
        percent = self.percent
        if self.worker is not None:
            self.worker.cancel()
        worker = Worker(lambda token: blended_descriptor(psnr, gan, percent), self, name="realism")
        worker.finished.connect(lambda desc, w=worker: self._on_built(w, desc))
        worker.errored.connect(self.failed.emit)
        worker.done.connect(worker.release)
        self.worker = worker
        self.message.emit(f"Blending {psnr.title} and {gan.title} at {percent}%…")
        worker.start()

    def _on_built(self, worker: Worker, desc) -> None:
        if worker is self.worker:
            self.worker = None
            self.ready.emit(desc)
