"""The batch window: fronts core.batch.run_batch with a per-file progress list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QLineEdit, QListWidgetItem, QMessageBox, QTreeWidgetItem, QWidget

from ..core.batch_plan import AUTO
from ..core.registry import find_name
from ..core.settings import Settings
from .batch_folders import default_output_for, needs_confirmation, resolved
from .batch_window_layout import REPORT_NAME, BatchLayoutMixin
from .batch_window_progress import STATUS_TEXT, BatchProgressMixin, found_text
from .worker import Worker

__all__ = ["BatchWindow", "REPORT_NAME", "STATUS_TEXT"]
COUNT_DELAY_MS = 300


class BatchWindow(BatchLayoutMixin, BatchProgressMixin, QWidget):
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
        # Typing a folder changes it per key: count once the typing settles.
        self._count_timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._count_inputs)
        self._build()
        self.recursive.toggled.connect(self._count_timer.start)
        self._load_models()
        self._update_buttons()
        self.resize(900, 640)

    # -- models ------------------------------------------------------------------
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
        s = self.live_settings()
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
            ensemble=s.ensemble,
        )

    def live_settings(self) -> Settings:
        """The app's settings now: the main window replaces its Settings when the dialog applies new ones,
        so the object this window was given may be stale."""
        current = getattr(self.parent(), "settings", None)
        return current if isinstance(current, Settings) else self.settings

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

    # -- the worker ----------------------------------------------------------------
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
        self._count_timer.start()

    # -- before Start: what the folder holds ------------------------------------------------
    def _count_inputs(self) -> None:
        """Count the images a Start would take (off the UI thread: a tree with subfolders can be large)."""
        folder = self.input_dir.text().strip()
        if self.worker is not None:
            return
        if not folder or not Path(folder).expanduser().is_dir():
            self.summary_label.setText("No such folder." if folder else "")  # not the count of the folder before
            self.summary_label.setToolTip("")
            return
        from ..core.discover import find_images

        recursive = self.recursive.isChecked()
        counter = Worker(lambda token: find_images(Path(folder).expanduser(), recursive=recursive), self, name="count")
        counter.finished.connect(lambda result: self._on_counted(folder, *result))
        counter.done.connect(counter.release)
        counter.start()

    def _on_counted(self, folder: str, found: list, notes: list) -> None:
        if self.worker is None and folder == self.input_dir.text().strip():  # not a folder typed over since
            self.summary_label.setText(found_text(found, notes, folder, self.live_settings().ensemble))
            self.summary_label.setToolTip("\n".join(str(n) for n in notes))

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
