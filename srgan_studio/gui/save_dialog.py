"""Save options: which model, where, format, quality and metadata."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..core import formats
from ..core.registry import find_name
from ..core.settings import Settings
from .save_job import SaveOptions, over_limit
from .size_control import SizeControl

# core/imagewrite.py: keep_metadata=False drops EXIF, XMP and DPI; the ICC profile stays (colours would shift).
KEEP_METADATA_TEXT = "Keep EXIF, XMP and DPI (the ICC profile is always kept)"
FORMATS = tuple((key, formats.FORMATS[key].label) for key in formats.WRITABLE)  # (key, label) for combo boxes


def path_row(edit: QLineEdit, on_browse) -> QWidget:
    """A path box with its "Browse…" button, as one form row."""
    browse = QPushButton("Browse…")
    browse.clicked.connect(on_browse)
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    lay.addWidget(browse)
    return row


def format_widgets(current: str | None, quality: int, same_as_input: bool = False) -> tuple[QComboBox, QSpinBox]:
    """The output format box (``current`` selected; "Same as input" first if asked) and the quality box."""
    box = QComboBox()
    if same_as_input:
        box.addItem("Same as input", None)
    for key, label in FORMATS:
        box.addItem(label, key)
    box.setCurrentIndex(max(0, box.findData(current)))
    spin = QSpinBox()
    spin.setRange(1, 100)
    spin.setValue(quality)
    return box, spin


def default_output(source: Path | None, model_name: str, fmt: str, output_dir: str, size_tag: str = "") -> Path:
    """``<stem>_<model>[_<size>].<ext>``; the size tag (``x2``, ``3000w``) only when not the model's own factor."""
    folder = Path(output_dir) if output_dir else (source.parent if source is not None else Path.home())
    tag = model_name.replace("@", "_") + (f"_{size_tag}" if size_tag else "")
    return folder / formats.output_name(source or Path("pasted"), tag, fmt)


def output_text(size: tuple[int, int], fmt: str) -> str:
    """'2560 × 1712 px (4.4 MP), JPEG': what Save will write, before the minutes it may take."""
    w, h = size
    name = formats.FORMATS[fmt].label.split(" (")[0]
    mp = f" ({w * h / 1e6:.1f} MP)" if w * h >= 100_000 else ""
    return f"{w} × {h} px{mp}, {name}"


class SaveDialog(QDialog):
    def __init__(
        self,
        parent,
        settings: Settings,
        descriptors: list,
        source: Path | None,
        default_name: str = "",
        input_size: tuple[int, int] | None = None,
    ):
        """``descriptors``: each model once; ``default_name``: the faithful model for the input's kind;
        ``input_size``: (width, height) of the image, for the Output row (hidden without it)."""
        super().__init__(parent)
        self.input_size = input_size
        self.setWindowTitle("Save Upscaled Image")
        self.source = source
        self.settings = settings
        self._descriptors = descriptors
        self.model = QComboBox()
        for d in descriptors:
            self.model.addItem(d.title, d.name)
        wanted = find_name(settings.default_model, [d.name for d in descriptors])  # alias or prefix in settings
        wanted = wanted or default_name
        default = next((i for i, d in enumerate(descriptors) if d.name == wanted), len(descriptors) - 1)
        self.model.setCurrentIndex(max(0, default))
        self.format, self.quality = format_widgets(settings.output_format, settings.jpeg_quality, same_as_input=True)
        self.size = SizeControl()
        self.keep_metadata = QCheckBox(KEEP_METADATA_TEXT)
        self.keep_metadata.setChecked(settings.keep_metadata)
        self.path = QLineEdit()
        row = path_row(self.path, self._on_browse)
        form = QFormLayout(self)
        form.addRow("Model", self.model)
        form.addRow("Size", self.size)
        form.addRow("Format", self.format)
        form.addRow("Quality", self.quality)
        form.addRow("", self.keep_metadata)
        form.addRow("File", row)
        self.output = QLabel()
        self.output.setObjectName("save_output_size")
        self.output.setWordWrap(True)  # the over-the-limit text is longer than the dialog is wide
        if input_size is not None:
            form.addRow("Output", self.output)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._overwrite = False
        self.model.currentIndexChanged.connect(self._update_path)
        self.format.currentIndexChanged.connect(self._update_path)
        self.size.changed.connect(self._update_path)
        self._update_path()
        self.setMinimumWidth(520)

    def descriptor(self):
        return self._descriptors[self.model.currentIndex()] if self._descriptors else None

    def options(self) -> SaveOptions:
        return SaveOptions(
            Path(self.path.text()),
            self.output_format(),
            self.quality.value(),
            self.keep_metadata.isChecked(),
            self._overwrite,
            self.size.spec(),
            self._max_pixels(),
        )

    def _max_pixels(self) -> int:
        return int(self.settings.max_megapixels * 1_000_000)

    def output_format(self) -> str:
        """The chosen format, or for "Same as input" the input's own (PNG where it cannot be written)."""
        source = formats.from_suffix(self.source) if self.source is not None else None
        return formats.output_format(source, self.format.currentData())

    def _update_path(self) -> None:
        self.quality.setEnabled(formats.FORMATS[self.output_format()].quality)
        name = self.model.currentData() or "model"
        spec = self.size.spec()
        tag = "" if spec.is_native else spec.tag(0)
        folder = self.settings.output_dir or self.settings.save_dir  # the last folder saved to
        self.path.setText(str(default_output(self.source, name, self.output_format(), folder, tag)))
        self._overwrite = False
        d = self.descriptor()
        if self.input_size is not None and d is not None:
            target = spec.target(*self.input_size, d.scale)
            problem = over_limit(target, self._max_pixels())
            # Said here, with Save greyed out, rather than by an error after pressing it.
            self.output.setText(problem or output_text(target, self.output_format()))
            self.save_button.setEnabled(not problem)

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save as", self.path.text())
        if path:
            self.path.setText(path)
            # The file dialog already asked before choosing an existing file.
            self._overwrite = Path(path).exists()

    def _on_accept(self) -> None:
        target = Path(self.path.text())
        if self.source is not None and target.resolve() == self.source.resolve():
            QMessageBox.warning(self, "Save", "That is the input image; inputs are never overwritten.")
            return
        if target.exists() and not self._overwrite:
            answer = QMessageBox.question(self, "Save", f"{target.name} exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self._overwrite = True
        self.settings.save_dir = str(target.parent)
        self.accept()
