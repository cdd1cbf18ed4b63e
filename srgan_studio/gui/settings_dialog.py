"""The settings dialog: edits a copy of the Settings object, emits it on OK."""

from __future__ import annotations

import dataclasses
import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.ensemble import CHOICES as ENSEMBLE_CHOICES
from ..core.errors import StudioError
from ..core.settings import Settings, validate
from .preview import PREVIEW_PASSES, passes_text
from .save_dialog import KEEP_METADATA_TEXT, format_widgets, path_row

PRECISIONS = (
    ("auto", "Automatic (bf16 or fp16 where the hardware and model allow)"),
    ("fp32", "fp32 (bit-faithful)"),
    ("bf16", "bf16 (CPUs with AVX512-BF16 or AMX)"),
    ("fp16", "fp16"),
    ("int8", "int8 (OpenVINO: about 3x faster than fp32, within 0.04 dB; quantised once, then cached)"),
)
ENGINES = (("auto", "Automatic (OpenVINO where installed)"), ("openvino", "OpenVINO"), ("onnxruntime", "ONNX Runtime"))


def detected_devices() -> list[str]:
    try:
        from ..core.runtime import available_devices

        return list(available_devices())
    except Exception:  # noqa: BLE001 - no runtime: the CPU still works
        return ["cpu"]


def device_label(device: str) -> str:
    kind, _, index = device.partition(":")
    return {"cpu": "CPU", "cuda": f"CUDA GPU {index}", "gpu": f"GPU {index} (OpenVINO)"}.get(kind, device)


def engine_in_use(device: str, engine: str, precision: str) -> str:
    """``In use: OpenVINO 2026.4.1 on the CPU, bf16`` plus any fallback this session already took."""
    try:
        from ..core.runtime import fallback_notes, planned

        lines = [f"In use: {planned(device, engine, precision)}"] + fallback_notes()
    except Exception as exc:  # noqa: BLE001 - the dialog must open even with a broken runtime
        lines = [f"Engine unknown ({exc})"]
    return "\n".join(lines)


def align_labels(*forms: QFormLayout) -> None:
    """One label column across group boxes: each QFormLayout sizes its own, so the fields of
    Processing, Output and Appearance started at three different x."""
    role = QFormLayout.ItemRole.LabelRole
    labels = [
        item.widget()
        for form in forms
        for row in range(form.rowCount())
        if (item := form.itemAt(row, role)) is not None
    ]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


class SettingsDialog(QDialog):
    applied = Signal(object)  # the new Settings

    def __init__(self, settings: Settings, parent=None, devices: list[str] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = settings
        devices = devices if devices is not None else detected_devices()

        self.device = QComboBox()
        self.device.addItem("Auto (best available)", "auto")
        for d in devices:
            self.device.addItem(device_label(d), d)
        if settings.device not in devices and settings.device != "auto":
            self.device.addItem(f"{settings.device} (not detected)", settings.device)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        detected = QLabel("Detected: " + ", ".join(devices))
        detected.setEnabled(False)
        self.precision = self._choices(PRECISIONS, settings.precision)
        self.engine = self._choices(ENGINES, settings.engine)
        self.engine_label = QLabel()
        self.engine_label.setWordWrap(True)
        for box in (self.device, self.precision, self.engine):
            box.currentIndexChanged.connect(self._show_engine)
        self._show_engine()

        self.tile_auto = QCheckBox("Automatic")
        self.tile = QSpinBox()
        self.tile.setRange(32, 4096)
        self.tile.setSingleStep(32)
        self.tile.setValue(settings.tile or 256)
        self.tile_auto.setChecked(settings.tile == 0)
        self.tile_auto.toggled.connect(lambda on: self.tile.setEnabled(not on))
        self.tile.setEnabled(settings.tile != 0)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(f"Automatic ({os.cpu_count() or 1} cores)")
        self.threads.setValue(settings.threads)

        self.output_format, self.jpeg_quality = format_widgets(
            settings.output_format, settings.jpeg_quality, same_as_input=True
        )
        self.output_dir = QLineEdit(settings.output_dir)
        self.output_dir.setPlaceholderText("Beside the input image")
        out_row = path_row(self.output_dir, self._on_browse)
        self.keep_metadata = QCheckBox(KEEP_METADATA_TEXT)
        self.keep_metadata.setChecked(settings.keep_metadata)
        self.ensemble = self._choices(ENSEMBLE_CHOICES, settings.ensemble)
        self.ensemble.setToolTip(
            "Runs the model on flipped and turned copies of each tile and averages them: slightly cleaner "
            "detail, one model pass per copy. Saves and batches use the passes chosen here; the live preview runs "
            f"{PREVIEW_PASSES} pass so comparing models stays fast."
        )
        self.passes_hint = QLabel()
        self.passes_hint.setEnabled(False)
        self.ensemble.currentIndexChanged.connect(self._show_passes)
        self._show_passes()
        self.alpha_mode = QComboBox()
        self.alpha_mode.addItem("Through the model", "model")
        self.alpha_mode.addItem("Bicubic", "bicubic")
        self.alpha_mode.setCurrentIndex(max(0, self.alpha_mode.findData(settings.alpha_mode)))
        self.max_megapixels = QDoubleSpinBox()
        self.max_megapixels.setRange(1, 10_000)
        self.max_megapixels.setSuffix(" MP")
        self.max_megapixels.setValue(settings.max_megapixels)

        self.theme = QComboBox()
        for key, label in (("system", "System"), ("light", "Light"), ("dark", "Dark")):
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))

        engine = QGroupBox("Processing")
        f = processing = QFormLayout(engine)
        f.addRow("Device", self.device)
        f.addRow("", detected)
        f.addRow("Precision", self.precision)
        f.addRow("CPU engine", self.engine)
        f.addRow("", self.engine_label)
        f.addRow("Tile size", self._pair(self.tile_auto, self.tile))
        f.addRow("CPU threads", self.threads)
        f.addRow("Quality", self.ensemble)
        f.addRow("", self.passes_hint)
        f.addRow("Alpha channel", self.alpha_mode)
        f.addRow("Largest input", self.max_megapixels)
        output = QGroupBox("Output")
        f = out_form = QFormLayout(output)
        f.addRow("Format", self.output_format)
        f.addRow("JPEG/WebP quality", self.jpeg_quality)
        f.addRow("Folder", out_row)
        f.addRow("", self.keep_metadata)
        look = QGroupBox("Appearance")
        f = QFormLayout(look)
        f.addRow("Theme", self.theme)
        align_labels(processing, out_form, f)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d33")
        col = QVBoxLayout(self)
        for w in (engine, output, look, self.error, buttons):
            col.addWidget(w)

    @staticmethod
    def _choices(options, current: str) -> QComboBox:
        box = QComboBox()
        for key, label in options:
            box.addItem(label, key)
        box.setCurrentIndex(max(0, box.findData(current)))
        return box

    def _show_passes(self) -> None:
        passes = self.ensemble.currentData()
        self.passes_hint.setText(passes_text(passes) or f"Preview and Save: {passes} pass")

    def _show_engine(self) -> None:
        self.engine_label.setText(
            engine_in_use(self.device.currentData(), self.engine.currentData(), self.precision.currentData())
        )

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(a)
        lay.addWidget(b, 1)
        return w

    def result_settings(self) -> Settings:
        """A new Settings from the widgets (window state and recent files carried over)."""
        return dataclasses.replace(
            self.original,
            device=self.device.currentData(),
            precision=self.precision.currentData(),
            engine=self.engine.currentData(),
            tile=0 if self.tile_auto.isChecked() else self.tile.value(),
            threads=self.threads.value(),
            output_format=self.output_format.currentData() or "",  # "" = same as the input
            jpeg_quality=self.jpeg_quality.value(),
            output_dir=self.output_dir.text().strip(),
            keep_metadata=self.keep_metadata.isChecked(),
            alpha_mode=self.alpha_mode.currentData(),
            ensemble=self.ensemble.currentData(),
            max_megapixels=float(self.max_megapixels.value()),
            theme=self.theme.currentData(),
            recent_files=list(self.original.recent_files),
        )

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.output_dir.text())
        if folder:
            self.output_dir.setText(folder)

    def _on_accept(self) -> None:
        new = self.result_settings()
        try:
            validate(new)
        except StudioError as exc:
            self.error.setText(str(exc))
            return
        self.applied.emit(new)
        self.accept()
