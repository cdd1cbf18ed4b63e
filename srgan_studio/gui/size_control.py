"""The output-size control of the save dialog and the batch window: a view of core.sizing.SizeSpec."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from ..core.sizing import MAX_SCALE, MIN_SCALE, SizeSpec

MODES = (
    ("model", "Model's own factor"),
    ("scale", "Factor"),
    ("width", "Width"),
    ("height", "Height"),
    ("box", "Fit within"),
)
MAX_SIDE = 100_000  # px; the pixel limit refuses real excess when the job starts


class SizeControl(QWidget):
    """Mode combo plus the factor or the pixel fields that mode needs; ``spec()`` is what to render."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.factor = QDoubleSpinBox()
        self.factor.setRange(MIN_SCALE, MAX_SCALE)
        self.factor.setDecimals(2)
        self.factor.setSingleStep(0.5)
        self.factor.setValue(2.0)
        self.factor.setPrefix("x")
        self.width_px = self._pixels(3000)
        self.height_px = self._pixels(2000)
        self._times = QLabel("×")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.mode, self.factor, self.width_px, self._times, self.height_px):
            lay.addWidget(w)
        lay.addStretch(1)
        self.mode.currentIndexChanged.connect(self._on_mode)
        for w in (self.factor, self.width_px, self.height_px):
            w.valueChanged.connect(self.changed)
        self._on_mode()

    def _pixels(self, value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, MAX_SIDE)
        box.setValue(value)
        box.setSuffix(" px")
        return box

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(key)))

    def spec(self) -> SizeSpec:
        key = self.mode.currentData()
        if key == "scale":
            return SizeSpec(scale=self.factor.value())
        if key == "width":
            return SizeSpec(width=self.width_px.value())
        if key == "height":
            return SizeSpec(height=self.height_px.value())
        if key == "box":
            return SizeSpec(width=self.width_px.value(), height=self.height_px.value())
        return SizeSpec()

    def _on_mode(self) -> None:
        key = self.mode.currentData()
        self.factor.setVisible(key == "scale")
        self.width_px.setVisible(key in ("width", "box"))
        self.height_px.setVisible(key in ("height", "box"))
        self._times.setVisible(key == "box")
        self.changed.emit()
