"""The wizard's last pages: held-out scores with same-region crops, then saving the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ..core import finetune as ft
from ..core.errors import StudioError
from .finetune_widgets import ImageStrip, error_label, titled
from .worker import Worker

if TYPE_CHECKING:
    from .finetune_wizard import FinetuneWizard

METHODS = ("bicubic", "base", "finetuned")


def fit_rows(table: QTableWidget) -> None:
    """Size the table to show every row: no scroll bar, no cut-off last row."""
    table.resizeColumnsToContents()
    table.resizeRowsToContents()
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(i) for i in range(table.rowCount()))
    table.setFixedHeight(height)


def headline(result: ft.EvalResult, base_title: str) -> str:
    """The gain against the base and against bicubic, and plainly when the base was better."""
    n = len(result.rows)
    text = (
        f"The fine-tuned model scores {result.gain_db:+.2f} dB against {base_title} and "
        f"{result.gain_over_bicubic_db:+.2f} dB against bicubic on {n} held-out photo(s) "
        f"(centre crops up to {result.eval_side} px)."
    )
    if not result.beat_base:
        text += (
            f" It did not beat {base_title}, so it is not added to your models unless you choose "
            '"Save it anyway" on the next page.'
        )
    return text


class EvalPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Evaluation")
        self.setSubTitle("PSNR and SSIM on the Y channel of the held-out photos, which training never saw.")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Method", "PSNR (dB)", "SSIM"])
        self.table.verticalHeader().hide()
        self.per_photo = QTableWidget(0, 4)
        self.per_photo.setHorizontalHeaderLabels(["Photo", "bicubic", "base", "fine-tuned"])
        self.per_photo.verticalHeader().hide()
        self.crops_box = QWidget()
        self.crops_layout = QVBoxLayout(self.crops_box)
        self.crops_layout.setContentsMargins(0, 0, 0, 0)
        self.error = error_label()
        self.retry = QPushButton("Try again")
        self.retry.clicked.connect(self.start)
        self.retry.hide()
        lay = QVBoxLayout(self)
        for w in (
            self.status,
            self.table,
            QLabel("Per photo (PSNR dB):"),
            self.per_photo,
            self.crops_box,
            self.error,
            self.retry,
        ):
            lay.addWidget(w)
        lay.addStretch(1)
        self.worker: Worker | None = None
        self.result: ft.EvalResult | None = None

    def initializePage(self) -> None:
        if self.result is None:
            self.start()

    def start(self) -> None:
        run = self.wiz.run
        if run is None or (self.worker is not None and self.worker.is_running):
            return
        self.error.setText("")
        self.retry.hide()
        worker = Worker(lambda token: ft.evaluate(run, token), None, name="evaluate")
        worker.progress.connect(lambda p: self.status.setText(p.message))
        worker.finished.connect(self._on_result)
        worker.errored.connect(self._on_error)
        self.worker = worker
        worker.start()

    def _on_error(self, text: str) -> None:
        self.error.setText(text)
        self.status.setText("")
        self.retry.show()

    def _on_result(self, result: ft.EvalResult) -> None:
        self.result = result
        run = self.wiz.run
        base_title = run.state.base.title
        labels = {"bicubic": "Bicubic", "base": f"Base: {base_title}", "finetuned": f"Fine-tuned: {run.name}"}
        self.table.setRowCount(len(METHODS))
        for i, m in enumerate(METHODS):
            for j, text in enumerate((labels[m], f"{result.mean[m]['psnr_y']:.2f}", f"{result.mean[m]['ssim_y']:.4f}")):
                self.table.setItem(i, j, QTableWidgetItem(text))
        fit_rows(self.table)
        self.per_photo.setRowCount(len(result.rows))
        for i, row in enumerate(result.rows):
            self.per_photo.setItem(i, 0, QTableWidgetItem(row["photo"]))
            for j, m in enumerate(METHODS):
                self.per_photo.setItem(i, j + 1, QTableWidgetItem(f"{row[m]['psnr_y']:.2f}"))
        fit_rows(self.per_photo)
        self._show_crops(result)
        self.status.setText(headline(result, base_title))
        self.completeChanged.emit()

    def _show_crops(self, result: ft.EvalResult) -> None:
        while self.crops_layout.count():
            w = self.crops_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for crop in result.crops:
            strip = ImageStrip(["original", "bicubic", "base", "fine-tuned"], side=128)
            strip.set_images([crop["hr"], crop["bicubic"], crop["base"], crop["finetuned"]])
            self.crops_layout.addWidget(titled(f"{crop['photo']} (the same region in each)", strip))

    def isComplete(self) -> bool:
        return self.result is not None


class SavePage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Save the model")
        self.setSubTitle(
            "The model is exported to ONNX with a descriptor recording its base, recipe, data, steps and "
            "metrics, and added to your models."
        )
        self.name_label = QLabel("")
        self.title_edit = QLineEdit()
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.anyway = QCheckBox("Save it anyway")
        self.error = error_label()
        form = QFormLayout(self)
        form.addRow("Name:", self.name_label)
        form.addRow("Title shown in the app:", self.title_edit)
        form.addRow(self.verdict)
        form.addRow(self.anyway)
        form.addRow(self.error)
        self.descriptor = None
        self.setFinalPage(True)

    def initializePage(self) -> None:
        run = self.wiz.run
        self.name_label.setText(run.name)
        if not self.title_edit.text():
            self.title_edit.setText(f"{run.name} (fine-tuned {run.state.base.title})")
        lost = ft.did_not_beat_base(run)
        self.verdict.setText(
            f'{lost[0].upper()}{lost[1:]}. Finish leaves it out of your models unless you tick "Save it anyway".'
            if lost
            else ""
        )
        self.verdict.setVisible(bool(lost))
        self.anyway.setVisible(bool(lost))

    def validatePage(self) -> bool:
        run = self.wiz.run
        if self.descriptor is not None:
            return True
        lost = bool(ft.did_not_beat_base(run))
        if lost and not self.anyway.isChecked():
            return True  # finished without adding a model that is worse than its base
        try:
            self.descriptor = ft.register(
                run, self.title_edit.text().strip(), registry=self.wiz.registry, anyway=self.anyway.isChecked()
            )
        except StudioError as exc:
            self.error.setText(str(exc))
            return False
        self.wiz.model_saved.emit(self.descriptor.name)
        return True
