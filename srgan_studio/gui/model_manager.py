"""The model manager: bundled and user models with their descriptors; import and remove."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from ..core.errors import ModelError
from ..core.finetune.process import train_command
from ..core.registry import PYTORCH_SUFFIXES
from .icons import set_icon
from .model_details import describe
from .worker import Worker

COLUMNS = ("Model", "Name", "Architecture", "Scale", "Source")
IMPORT_FILTER = (
    "Models (*.onnx *.safetensors *.pth *.pt *.ckpt);;ONNX (*.onnx);;"
    "PyTorch, safetensors preferred (*.safetensors *.pth *.pt *.ckpt)"
)
MIN_WIDTH = 760  # px: the details pane's score tables need about this
DETAILS_MIN = 240  # px
SCREEN_SHARE = 0.9
TABLE_SHARE = 0.5  # of the height, at most, when the table and the details cannot both fit
IMPORT_TIMEOUT_S = 900  # a full-size RRDBNet exports and verifies in well under a minute


def import_in_child(path: Path, name: str | None, title: str | None) -> str:
    """Import a PyTorch model with `srgan-studio models import` in a child process (the GUI never imports
    torch); the registered name, or ModelError with the child's one-line error."""
    argv = [*train_command(), "models", "import", str(path)]
    argv += ["--name", name] if name else []
    argv += ["--title", title] if title else []
    try:
        res = subprocess.run(
            argv,
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=IMPORT_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"cannot run the import ({exc})", path) from None
    lines = [ln for ln in (res.stderr or "").splitlines() if ln.strip()]
    if res.returncode != 0:
        why = next(
            (
                ln.removeprefix("srgan-studio: error: ")
                for ln in reversed(lines)
                if ln.startswith("srgan-studio: error:")
            ),
            lines[-1] if lines else f"exit code {res.returncode}",
        )
        raise ModelError(why)
    done = next((ln for ln in (res.stdout or "").splitlines() if ln.startswith("imported ")), "")
    return done.removeprefix("imported ").split(":", 1)[0]


def _button(icon_name: str, text: str) -> QPushButton:
    b = QPushButton(text)
    set_icon(b, icon_name)
    return b


class ModelManager(QDialog):
    changed = Signal()  # a model was imported or removed

    def __init__(self, registry, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.registry = registry
        self.worker: Worker | None = None
        self.last_error = ""
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a long user model name shows whole
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_details)
        self.details = QTextBrowser()
        self.import_button = _button("open", "Import…")
        self.remove_button = _button("cancel", "Remove")
        self.import_button.clicked.connect(self._on_import)
        self.remove_button.clicked.connect(self._on_remove)
        self.status = QLabel()
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 0)  # a taller dialog gives its room to the details, not to empty table rows
        split.setStretchFactor(1, 1)
        self.buttons = buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close)
        col = QVBoxLayout(self)
        col.addWidget(split, 1)
        col.addLayout(buttons)
        self._fitted = False
        self.reload()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self._fitted:  # measured once shown: before, the header and rows have no final heights
            self._fitted = True
            self.fit_to_content()
        super().showEvent(event)

    def fit_to_content(self) -> None:
        """Every row and column of the table and the selected model's details, within SCREEN_SHARE of the
        screen (a fixed 760x640 showed five rows and cut a long user model's name); the table gets at most
        TABLE_SHARE of the height when both cannot fit."""
        t = self.table
        frame = 2 * t.frameWidth()
        header = t.horizontalHeader()
        columns = sum(max(t.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(t.columnCount()))
        table_w = columns + frame + t.verticalScrollBar().sizeHint().width()  # room for the bar should it show
        table_h = header.sizeHint().height() + sum(t.rowHeight(r) for r in range(t.rowCount())) + frame
        avail = self.screen().availableGeometry()
        margins = self.layout().contentsMargins()
        chrome_w = margins.left() + margins.right()
        chrome_h = margins.top() + margins.bottom() + self.layout().spacing() + self.buttons.sizeHint().height()
        w = min(max(MIN_WIDTH, table_w + chrome_w), int(avail.width() * SCREEN_SHARE))
        doc = self.details.document()
        doc.setTextWidth(
            w - chrome_w - 2 * self.details.frameWidth() - self.details.verticalScrollBar().sizeHint().width()
        )
        details_h = max(DETAILS_MIN, int(doc.size().height()) + 2 * self.details.frameWidth() + 2)
        room = int(avail.height() * SCREEN_SHARE) - chrome_h - self.split.handleWidth()
        table_h = min(table_h, max(int(room * TABLE_SHARE), room - details_h))
        details_h = min(details_h, room - table_h)
        self.resize(w, chrome_h + self.split.handleWidth() + table_h + details_h)
        self.split.setSizes([table_h, details_h])

    def names(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]

    def reload(self, select: str | None = None) -> None:
        self.registry.refresh()
        models = self.registry.list()
        self.table.setRowCount(len(models))
        for r, d in enumerate(models):
            source = "user" if d.user else ("built in" if d.kind == "bicubic" else "bundled")
            values = (d.title, d.name, d.architecture, f"x{d.scale}", source)
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, d.name)
                self.table.setItem(r, c, item)
        problems = getattr(self.registry, "problems", [])
        self.status.setText(f"{len(problems)} model(s) could not be read" if problems else "")
        self.status.setToolTip("\n".join(problems))
        row = next((r for r, d in enumerate(models) if d.name == select), 0)
        if models:
            self.table.selectRow(row)
        self._update_details()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.registry.get(self.table.item(rows[0].row(), 1).text())

    def _update_details(self) -> None:
        d = self.selected()
        self.details.setHtml(describe(d) if d is not None else "")
        self.remove_button.setEnabled(d is not None and d.user)
        self.remove_button.setToolTip("" if d is None or d.user else "Bundled models cannot be removed")

    # -- import / remove ---------------------------------------------------------
    def _on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", "", IMPORT_FILTER)
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path, name: str | None = None, title: str | None = None) -> Worker:
        """Check and import ``path`` in the background; the table updates when done."""
        registry = self.registry

        def run(token):
            if path.suffix.lower() not in PYTORCH_SUFFIXES:
                return registry.import_onnx(path, name=name, title=title)
            imported = import_in_child(path, name, title)
            registry.refresh()
            return registry.get(imported)

        worker = Worker(run, self, name="import")
        worker.finished.connect(self._on_imported)
        worker.errored.connect(self._on_error)
        worker.done.connect(self._on_worker_done)
        self.worker = worker
        self.import_button.setEnabled(False)
        self.status.setText(f"Checking {path.name}…")
        worker.start()
        return worker

    def _on_imported(self, descriptor) -> None:
        self.status.setText(f"Imported {descriptor.title}")
        self.reload(select=descriptor.name)
        self.changed.emit()

    def _on_error(self, text: str) -> None:
        self.last_error = text
        self.status.setText("Import failed")
        box = QMessageBox(QMessageBox.Icon.Warning, "Import failed", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_worker_done(self) -> None:
        self.import_button.setEnabled(True)
        if self.worker is not None:
            self.worker.release()
        self.worker = None

    def _on_remove(self) -> None:
        d = self.selected()
        if d is None or not d.user:
            return
        answer = QMessageBox.question(self, "Remove model", f"Remove the user model {d.title} ({d.name})?")
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_name(d.name)

    def remove_name(self, name: str) -> None:
        try:
            self.registry.remove(name)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self._on_error(str(exc))
            return
        self.status.setText(f"Removed {name}")
        self.reload()
        self.changed.emit()
