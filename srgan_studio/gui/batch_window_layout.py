"""The batch window's layout: folders, models, format, size and options above the file list and the buttons.

A mixin of BatchWindow (gui/batch_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from .icons import set_icon
from .save_dialog import format_widgets
from .size_control import SizeControl

REPORT_NAME = "srgan-batch-report.json"


def _button(icon_name: str, text: str) -> QPushButton:
    b = QPushButton(text)
    set_icon(b, icon_name)
    return b


class BatchLayoutMixin:
    # -- layout --------------------------------------------------------------
    def _folder_row(self, edit: QLineEdit, title: str) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        b = _button("open", "Browse…")
        b.clicked.connect(lambda: self._on_browse(edit, title))
        row.addWidget(b)
        return w

    def _build(self) -> None:
        self._build_fields()
        form = self._build_form()
        self._build_file_list()
        bar, buttons = self._build_footer()
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.files, 1)
        col.addLayout(bar)
        col.addWidget(self.summary_label)
        col.addLayout(buttons)

    def _build_fields(self) -> None:
        self.input_dir = QLineEdit()
        self.input_dir.setPlaceholderText("Folder with the photos to restore")
        self.input_dir.textChanged.connect(self._on_input_changed)
        self.output_dir = QLineEdit()
        self.output_dir.setPlaceholderText("Where the upscaled images go")
        self.output_dir.textEdited.connect(self._on_output_edited)
        self._output_chosen = False  # the user typed or browsed an output: stop deriving it
        self.models = QListWidget()
        self.models.setMaximumHeight(96)
        self.format, self.quality = format_widgets(
            self.settings.output_format or None, self.settings.jpeg_quality, same_as_input=True
        )
        self.size = SizeControl()
        self.recursive = QCheckBox("Include subfolders (mirrors the tree)")
        self.overwrite = QCheckBox("Redo outputs that already exist (off: resume, skipping them)")
        self.write_report = QCheckBox(f"Write a JSON report ({REPORT_NAME} in the output folder)")
        self.write_report.setChecked(True)

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        form.addRow("Input folder", self._folder_row(self.input_dir, "Input folder"))
        form.addRow("Output folder", self._folder_row(self.output_dir, "Output folder"))
        form.addRow("Models", self.models)
        form.addRow("Format", self._format_row())
        form.addRow("Size", self.size)
        form.addRow("", self.recursive)
        form.addRow("", self.overwrite)
        form.addRow("", self.write_report)
        return form

    def _format_row(self) -> QWidget:
        fmt = QWidget()
        fr = QHBoxLayout(fmt)
        fr.setContentsMargins(0, 0, 0, 0)
        fr.addWidget(self.format)
        fr.addWidget(QLabel("Quality"))
        fr.addWidget(self.quality)
        fr.addStretch(1)
        return fmt

    def _build_file_list(self) -> None:
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Status", "Details", "Seconds"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        # Details (the outputs, or why a file failed) takes the room; status and seconds only what they need.
        head = self.files.header()
        head.setStretchLastSection(False)
        head.resizeSection(0, 220)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)

    def _build_footer(self) -> tuple[QHBoxLayout, QHBoxLayout]:
        """The progress bar with its ETA, the summary line, and the buttons."""
        self.progress = QProgressBar()
        self.progress.setFormat("")  # no "0 / 100 files" before there is a folder
        self.progress.setValue(0)
        self.eta = QLabel()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.start_button = _button("batch", "Start")
        self.start_button.setDefault(True)
        self.cancel_button = _button("cancel", "Stop")
        self.report_button = _button("report", "Open Report")
        self.folder_button = _button("open", "Open Output Folder")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button.clicked.connect(self._on_open_report)
        self.folder_button.clicked.connect(self._on_open_folder)

        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.eta)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.folder_button)
        return bar, buttons
