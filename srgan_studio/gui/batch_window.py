"""The batch window: fronts core.batch.run_batch with a per-file progress list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.batch_plan import AUTO
from ..core.progress import format_eta
from ..core.registry import find_name
from ..core.settings import Settings
from .batch_folders import default_output_for, needs_confirmation, resolved
from .icons import set_icon
from .save_dialog import format_widgets
from .size_control import SizeControl
from .worker import Worker

REPORT_NAME = "srgan-batch-report.json"
STATUS_TEXT = {
    "done": "✔ done",
    "skipped": "↷ skipped (exists)",
    "failed": "✖ failed",
    "cancelled": "■ stopped",
    "pending": "… not started",
}


def _button(icon_name: str, text: str) -> QPushButton:
    b = QPushButton(text)
    set_icon(b, icon_name)
    return b


class BatchWindow(QWidget):
    finished = Signal(object)  # the BatchSummary

    def __init__(self, settings: Settings, registry, parent=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Batch Restoration — SRGAN Studio")
        self.settings = settings
        self.registry = registry
        self.worker: Worker | None = None
        self.summary = None
        self.last_error = ""
        self._rows: dict[int, QTreeWidgetItem] = {}
        self._build()
        self._load_models()
        self._update_buttons()
        self.resize(900, 640)

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

        form = QFormLayout()
        form.addRow("Input folder", self._folder_row(self.input_dir, "Input folder"))
        form.addRow("Output folder", self._folder_row(self.output_dir, "Output folder"))
        form.addRow("Models", self.models)
        fmt = QWidget()
        fr = QHBoxLayout(fmt)
        fr.setContentsMargins(0, 0, 0, 0)
        fr.addWidget(self.format)
        fr.addWidget(QLabel("Quality"))
        fr.addWidget(self.quality)
        fr.addStretch(1)
        form.addRow("Format", fmt)
        form.addRow("Size", self.size)
        form.addRow("", self.recursive)
        form.addRow("", self.overwrite)
        form.addRow("", self.write_report)

        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Status", "Details", "Seconds"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        head = self.files.header()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        head.resizeSection(1, 150)

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
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.files, 1)
        col.addLayout(bar)
        col.addWidget(self.summary_label)
        col.addLayout(buttons)

    def _load_models(self) -> None:
        self.models.clear()
        try:
            models = self.registry.list()
        except Exception:  # noqa: BLE001
            models = []
        # Default: per file, the faithful model for its kind (Restore for photos, SRResNet for clean sources).
        wanted = find_name(self.settings.default_model, [d.name for d in models]) or AUTO
        auto = QListWidgetItem("Automatic: the faithful model for each file (Restore for photos, SRResNet otherwise)")
        auto.setData(Qt.ItemDataRole.UserRole, AUTO)
        auto.setFlags(auto.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        auto.setCheckState(Qt.CheckState.Checked if wanted == AUTO else Qt.CheckState.Unchecked)
        self.models.addItem(auto)
        for d in models:
            item = QListWidgetItem(f"{d.title}  ({d.name})")
            item.setData(Qt.ItemDataRole.UserRole, d.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if d.name == wanted else Qt.CheckState.Unchecked)
            self.models.addItem(item)
        if not any(self.models.item(i).checkState() == Qt.CheckState.Checked for i in range(self.models.count())):
            if self.models.count():
                self.models.item(self.models.count() - 1).setCheckState(Qt.CheckState.Checked)

    # -- public ------------------------------------------------------------------
    def set_input(self, folder: Path) -> None:
        self.input_dir.setText(str(folder))

    def set_models(self, names: list[str]) -> None:
        for i in range(self.models.count()):
            item = self.models.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen_models(self) -> list[str]:
        return [
            self.models.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.models.count())
            if self.models.item(i).checkState() == Qt.CheckState.Checked
        ]

    def build_job(self):
        from ..core.batch import BatchJob

        out = Path(self.output_dir.text().strip())
        s = self.settings
        return BatchJob(
            input_dir=Path(self.input_dir.text().strip()),
            output_dir=out,
            models=self.chosen_models(),
            recursive=self.recursive.isChecked(),
            format=self.format.currentData(),
            quality=self.quality.value(),
            overwrite=self.overwrite.isChecked(),
            report=out / REPORT_NAME if self.write_report.isChecked() else None,
            device=s.device,
            tile=s.tile,
            threads=s.threads,
            precision=s.precision,
            engine=s.engine,
            keep_metadata=s.keep_metadata,
            alpha_mode=s.alpha_mode,
            max_pixels=int(s.max_megapixels * 1_000_000),
            size=self.size.spec(),
        )

    def start(self) -> Worker | None:
        """Start (or resume: outputs already written are skipped) the batch."""
        if self.worker is not None:
            return None
        if not self.input_dir.text().strip() or not self.output_dir.text().strip():
            self._show_error("Choose an input and an output folder.")
            return None
        if not self.chosen_models():
            self._show_error("Tick at least one model.")
            return None
        output = resolved(self.output_dir.text())
        if needs_confirmation(output, self.input_dir.text()) and not self.confirm(
            f"Create the new folder {output} for the results?\nIt is outside {resolved(self.input_dir.text()).parent}."
        ):
            self.summary_label.setText("Not started: choose the output folder.")
            return None
        from ..core.batch import run_batch

        self.output_dir.setText(str(output))
        job = self.build_job()
        self.files.clear()
        self._rows.clear()
        self.summary = None
        self.summary_label.setText(f"Starting… writing to {output}")
        self.eta.setText("")
        self.progress.setFormat("%v / %m files")
        self.progress.setRange(0, 0)
        worker = Worker(lambda token: run_batch(job, token), self, name="batch")
        worker.progress.connect(self._on_event)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._show_error)
        worker.done.connect(self._on_done)
        self.worker = worker
        worker.start()
        self._update_buttons()
        return worker

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.summary_label.setText("Stopping at the next tile…")

    # -- events from the batch ----------------------------------------------------
    def _on_event(self, ev) -> None:
        from ..core.batch import BatchStarted, FileFinished, FileStarted, TileProgress

        self.progress.setRange(0, max(1, ev.files_total))
        self.progress.setValue(ev.files_done)
        self.eta.setText("" if ev.eta_seconds is None else f"ETA {format_eta(ev.eta_seconds)}")
        if isinstance(ev, BatchStarted):
            base = Path(self.input_dir.text().strip()).resolve()
            for i, p in enumerate(ev.inputs):
                try:
                    shown = str(Path(p).resolve().relative_to(base))
                except ValueError:
                    shown = str(p)
                row = QTreeWidgetItem([shown, "waiting", "", ""])
                self._rows[i] = row
                self.files.addTopLevelItem(row)
            notes = len(ev.notes)
            self.summary_label.setText(
                f"{len(ev.inputs)} images, models {', '.join(ev.models)}"
                + (f"; {notes} note(s): skipped non-images etc." if notes else "")
            )
            if notes:
                self.summary_label.setToolTip("\n".join(str(n) for n in ev.notes))
        elif isinstance(ev, FileStarted):
            self._set_row(ev.index, f"working: {ev.model}")
            self.files.scrollToItem(self._rows.get(ev.index))
        elif isinstance(ev, TileProgress):
            pct = int(100 * ev.done / ev.total) if ev.total else 0
            self._set_row(ev.index, f"{ev.model} {pct}%")
        elif isinstance(ev, FileFinished):
            r = ev.result
            detail = r.error or ", ".join(Path(p).name for p in r.outputs)
            self._set_row(
                ev.index, STATUS_TEXT.get(r.status, r.status), detail, f"{r.seconds:.1f}" if r.seconds else ""
            )
            row = self._rows.get(ev.index)
            if row is not None and r.status == "failed":
                row.setToolTip(2, r.error or "")
                row.setForeground(1, Qt.GlobalColor.red)

    def _set_row(self, index: int, status: str, detail: str | None = None, seconds: str | None = None) -> None:
        row = self._rows.get(index)
        if row is None:
            return
        row.setText(1, status)
        if detail is not None:
            row.setText(2, detail)
        if seconds is not None:
            row.setText(3, seconds)

    def _on_finished(self, summary) -> None:
        self.summary = summary
        # The bar counts files with an outcome: a stopped file is not done, and there is no ETA any more.
        self.progress.setRange(0, max(1, len(summary.results)))
        self.progress.setValue(summary.done + summary.skipped + summary.failed)
        self.eta.setText("")
        for i, r in enumerate(summary.results):
            if i in self._rows and r.status in ("pending", "cancelled"):
                self._set_row(i, STATUS_TEXT[r.status])
        text = ("Stopped: " if summary.cancelled else "Finished: ") + summary.line()
        if summary.notes:
            text += f"; {len(summary.notes)} other file(s) skipped (not images), see the tooltip"
            self.summary_label.setToolTip("\n".join(str(n) for n in summary.notes))
        if summary.cancelled:
            text += ". Press Start again to resume."
        if summary.report_error:
            text += f"\nReport not written: {summary.report_error}"
        self.summary_label.setText(text)
        self.finished.emit(summary)

    def _on_done(self) -> None:
        if self.worker is not None:
            if self.worker.outcome == "cancelled":
                self.summary_label.setText("Stopped before any file was finished.")
            self.worker.release()
        self.worker = None
        self.eta.setText("")
        if self.summary is None:  # stopped or refused before a summary: nothing was counted
            self.progress.setFormat("")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self._update_buttons()

    def _show_error(self, text: str) -> None:
        self.last_error = text
        self.summary_label.setText(f"<span style='color:#d33'>{text}</span>")

    # -- buttons ------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.worker is not None
        self.start_button.setEnabled(not running)
        self.start_button.setText("Resume" if self.summary is not None and self.summary.cancelled else "Start")
        self.cancel_button.setEnabled(running)
        report = self.summary.report if self.summary is not None else None
        self.report_button.setEnabled(not running and report is not None and Path(report).is_file())
        out = self.output_dir.text().strip()
        self.folder_button.setEnabled(not running and bool(out) and Path(out).is_dir())
        for w in (
            self.input_dir,
            self.output_dir,
            self.models,
            self.format,
            self.quality,
            self.size,
            self.recursive,
            self.overwrite,
            self.write_report,
        ):
            w.setEnabled(not running)

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        answer = QMessageBox.question(self, "Batch output folder", question)
        return answer == QMessageBox.StandardButton.Yes

    def _on_input_changed(self, text: str) -> None:
        if not self._output_chosen:
            derived = default_output_for(text)
            self.output_dir.setText(str(derived) if derived is not None else "")
        self._update_buttons()

    def _on_output_edited(self, text: str) -> None:
        self._output_chosen = bool(text.strip())  # emptied again: follow the input again

    def _on_browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text())
        if folder:
            edit.setText(folder)
            if edit is self.output_dir:
                self._output_chosen = True

    def _on_open_report(self) -> None:
        if self.summary is not None and self.summary.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.summary.report)))

    def _on_open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.output_dir.text().strip()))

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.worker is not None:
            self.worker.cancel()
        super().closeEvent(event)
