"""Tools > Fine-tune...: fine-tune a model on the user's own photos, in seven pages.

Folder -> base model and goal -> degradation -> budget -> train -> evaluate -> save.
All the work is in ``core.finetune`` / ``core.finetune_eval`` (Qt-free); the
training itself runs in a child process, so a crash or an out-of-memory
there shows an error here and never takes the app down. Each long step runs
on the generic ``Worker``.

Usage: ``FinetuneWizard(parent).show()`` (or ``.exec()``).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ..core import finetune as ft
from ..core.errors import StudioError
from .finetune_widgets import ImageStrip, LossCurve, titled
from .worker import Worker

log = logging.getLogger(__name__)

PAGE_FOLDER, PAGE_BASE, PAGE_PRESET, PAGE_BUDGET, PAGE_TRAIN, PAGE_EVAL, PAGE_SAVE = range(7)
# Workers still stopping when their wizard closed: kept alive until done.
_ORPHANS: set[Worker] = set()


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def _error_label() -> QLabel:
    lb = QLabel()
    lb.setWordWrap(True)
    lb.setStyleSheet("color: #c0392b;")
    lb.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lb


class FolderPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Your photos")
        self.setSubTitle("Choose a folder of your own high-resolution photos. A few are held out to measure the result "
                         "and never trained on.")
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("folder of photos")
        self.path_edit.editingFinished.connect(self._on_path_edited)
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b7791f;")
        self.error = _error_label()
        self.bad_list = QListWidget()
        self.bad_list.setMaximumHeight(90)
        self.heldout_list = QListWidget()
        self.heldout_list.setMaximumHeight(70)
        self.resume_combo = QComboBox()
        self.resume_button = QPushButton("Resume this run")
        self.resume_button.clicked.connect(self._on_resume)
        resume_row = QHBoxLayout()
        resume_row.addWidget(self.resume_combo, 1)
        resume_row.addWidget(self.resume_button)
        self.resume_box = QGroupBox("Or continue an interrupted run")
        self.resume_box.setLayout(resume_row)

        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.summary)
        lay.addWidget(self.error)
        lay.addWidget(self.warnings)
        lay.addWidget(QLabel("Skipped files:"))
        lay.addWidget(self.bad_list)
        lay.addWidget(QLabel("Held out for evaluation:"))
        lay.addWidget(self.heldout_list)
        lay.addWidget(self.resume_box)
        self._scan_worker: Worker | None = None
        self._refresh_runs()

    def _refresh_runs(self) -> None:
        self.resume_combo.clear()
        for r in ft.list_runs():
            if r["status"] == "registered":
                continue
            self.resume_combo.addItem(f"{r['name']} ({r['status']}, {r['goal']}, from {r['base']})", r["name"])
        self.resume_box.setVisible(self.resume_combo.count() > 0)

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of your photos", self.path_edit.text())
        if folder:
            self.set_folder(folder)

    def _on_path_edited(self) -> None:
        text = self.path_edit.text().strip()
        if text and (self.wiz.scan is None or Path(text) != self.wiz.scan.folder):
            self.set_folder(text)

    def set_folder(self, folder: str) -> None:
        """Scan ``folder`` in the background (tests call this directly)."""
        self.path_edit.setText(folder)
        self.wiz.scan = None
        self.error.setText("")
        self.warnings.setText("")
        self.bad_list.clear()
        self.heldout_list.clear()
        self.summary.setText("Scanning...")
        self.completeChanged.emit()
        patch = self.wiz.patch_spin.value()
        worker = Worker(lambda token: ft.scan_photos(folder, patch, token), None, name="scan photos")
        worker.progress.connect(lambda p: self.summary.setText(f"Scanning {p.done}/{p.total}..."))
        worker.finished.connect(self._on_scanned)
        worker.errored.connect(self._on_scan_error)
        self._scan_worker = worker
        worker.start()

    def _on_scan_error(self, text: str) -> None:
        self.summary.setText("")
        self.error.setText(text)

    def _on_scanned(self, scan: ft.FolderScan) -> None:
        self.wiz.scan = scan
        self.summary.setText(f"{len(scan.usable)} usable photo(s), {len(scan.bad)} skipped.")
        for path, reason in scan.bad:
            self.bad_list.addItem(f"{path.name}: {reason}")
        self.error.setText(scan.problem())
        self.warnings.setText("\n".join(scan.warnings))
        if scan.ok:
            for p in ft.choose_heldout(scan.usable):
                self.heldout_list.addItem(p.rel)
        self.completeChanged.emit()

    def _on_resume(self) -> None:
        name = self.resume_combo.currentData()
        if not name:
            return
        self.wiz.resume_run(name)

    def isComplete(self) -> bool:
        return self.wiz.resuming or (self.wiz.scan is not None and self.wiz.scan.ok)

    def nextId(self) -> int:
        return PAGE_TRAIN if self.wiz.resuming else PAGE_BASE


class BasePage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Base model and goal")
        self.setSubTitle("Fine-tuning starts from a model that already works and teaches it your photos.")
        self.base_combo = QComboBox()
        self.faithful = QRadioButton("Faithful: sharpest measurable detail (PSNR stage)")
        self.realistic = QRadioButton("Realistic textures: adds a GAN stage (slower; may invent fine texture)")
        self.faithful.setChecked(True)
        self.goal_group = QButtonGroup(self)
        self.goal_group.addButton(self.faithful)
        self.goal_group.addButton(self.realistic)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("my_photos")
        self.name_edit.textChanged.connect(self._on_name)
        self.error = _error_label()
        form = QFormLayout(self)
        form.addRow("Base model:", self.base_combo)
        form.addRow("Goal:", self.faithful)
        form.addRow("", self.realistic)
        form.addRow("New model name:", self.name_edit)
        form.addRow(self.error)

    def initializePage(self) -> None:
        self.base_combo.clear()
        self.wiz.registry.refresh()
        for m in ft.fine_tunable_models(self.wiz.registry):
            self.base_combo.addItem(f"{m.title} ({m.name})", m.name)
        if not self.base_combo.count():
            self.error.setText("No model with training weights (.safetensors) is installed, so none can be fine-tuned.")
        if not self.name_edit.text() and self.wiz.scan is not None:
            stem = "".join(c if c.isalnum() else "_" for c in self.wiz.scan.folder.name.lower()).strip("_") or "mine"
            name, i = f"{stem}_x{self.wiz.registry.get(self.base_combo.currentData()).scale}" if self.base_combo.count() else stem, 2
            base_name = name
            while name in self.wiz.registry or (ft.finetune_root() / name).exists():
                name, i = f"{base_name}_{i}", i + 1
            self.name_edit.setText(name)
        self._on_name()

    def _on_name(self) -> None:
        name = self.name_edit.text().strip()
        problem = ""
        if not ft._NAME_OK.match(name):
            problem = "Use lowercase letters, digits, '_', '-' or '.' for the name."
        elif name in self.wiz.registry:
            problem = f"A model named {name!r} exists already."
        elif self.wiz.run is None and (ft.finetune_root() / name / ft.STATE_FILE).exists():
            problem = f"A fine-tuning run named {name!r} exists; resume it from the first page or pick another name."
        if self.base_combo.count():
            self.error.setText(problem)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.base_combo.count() > 0 and not self.error.text()

    @property
    def goal(self) -> str:
        return "realistic" if self.realistic.isChecked() else "faithful"


class PresetPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("How were your low-resolution photos degraded?")
        self.setSubTitle("Training shows the model your photos degraded this way, so it learns to undo it.")
        lay = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for key in ft.PRESETS:
            b = QRadioButton(ft.PRESET_TITLES[key])
            self.group.addButton(b)
            self.buttons[key] = b
            lay.addWidget(b)
        self.buttons["clean"].setChecked(True)
        lay.addStretch(1)

    @property
    def preset(self) -> str:
        return next(k for k, b in self.buttons.items() if b.isChecked())


class BudgetPage(QWizardPage):
    estimated = Signal()

    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Training budget")
        self.setSubTitle("Minutes or steps. Measure the time per step on this machine with a short dry run.")
        self.by_minutes = QRadioButton("Minutes:")
        self.by_steps = QRadioButton("Steps:")
        self.by_minutes.setChecked(True)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 24 * 60)
        self.minutes.setValue(5.0)
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(200)
        self.measure = QPushButton("Measure step time")
        self.measure.clicked.connect(self._on_measure)
        self.estimate_label = QLabel("Not measured yet.")
        self.estimate_label.setWordWrap(True)
        self.error = _error_label()
        adv = QGroupBox("Advanced")
        form = QFormLayout(adv)
        form.addRow("Learning rate:", wizard.lr_spin)
        form.addRow("Batch size:", wizard.batch_spin)
        form.addRow("Patch size (HR px):", wizard.patch_spin)
        form.addRow("EMA decay (0 = off):", wizard.ema_spin)
        grid = QFormLayout()
        grid.addRow(self.by_minutes, self.minutes)
        grid.addRow(self.by_steps, self.steps)
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(self.measure)
        row.addWidget(self.estimate_label, 1)
        lay.addLayout(row)
        lay.addWidget(self.error)
        lay.addWidget(adv)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Train")
        self._worker: Worker | None = None
        self.seconds_per_step: dict[str, float] = {}
        for w in (self.minutes, self.steps):
            w.valueChanged.connect(self._update_estimate_text)
        self.by_minutes.toggled.connect(self._update_estimate_text)

    def _on_measure(self) -> None:
        try:
            run = self.wiz.prepare_run()
        except StudioError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.measure.setEnabled(False)
        self.estimate_label.setText("Measuring (a few real training steps)...")
        worker = Worker(lambda token: run.estimate(token), None, name="dry run")
        worker.finished.connect(self._on_estimate)
        worker.errored.connect(self._on_estimate_error)
        worker.done.connect(lambda: self.measure.setEnabled(True))
        self._worker = worker
        worker.start()

    def _on_estimate(self, est: ft.Estimate) -> None:
        self.seconds_per_step = dict(est.seconds_per_step)
        self._update_estimate_text()
        self.estimated.emit()

    def _on_estimate_error(self, text: str) -> None:
        self.estimate_label.setText("")
        self.error.setText(text)

    def _update_estimate_text(self) -> None:
        if not self.seconds_per_step:
            return
        parts = [f"{s.upper()}: {v:.2f} s/step" for s, v in self.seconds_per_step.items()]
        stages = list(self.seconds_per_step)
        share = self.wiz.gan_share
        if self.by_minutes.isChecked():
            secs = self.minutes.value() * 60
            steps = sum(int(secs * (share if s == "gan" else (1 - share if len(stages) > 1 else 1)) / v)
                        for s, v in self.seconds_per_step.items())
            parts.append(f"about {steps} steps in {self.minutes.value():g} min")
        else:
            n = self.steps.value()
            secs = sum(v * n * (share if s == "gan" else (1 - share if len(stages) > 1 else 1))
                       for s, v in self.seconds_per_step.items())
            parts.append(f"about {_fmt_eta(secs)} for {n} steps")
        self.estimate_label.setText("; ".join(parts))

    def validatePage(self) -> bool:
        try:
            self.wiz.prepare_run()
        except StudioError as exc:
            self.error.setText(str(exc))
            return False
        return True


class TrainPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Training")
        self.setSubTitle("Training runs in a separate process. You can pause, or cancel and resume later: "
                         "the last checkpoint is kept.")
        self.stage_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.stats = QLabel("")
        self.val_label = QLabel("")
        self.curve = LossCurve()
        self.preview = ImageStrip(["bicubic", "base (before)", "fine-tuned (after)", "original"], side=140)
        self.preview_caption = QLabel("Preview on a held-out crop: appears at each checkpoint.")
        self.error = _error_label()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.resume_button = QPushButton("Resume training")
        self.resume_button.clicked.connect(self.start)
        self.resume_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.stage_label)
        lay.addWidget(self.progress)
        lay.addWidget(self.stats)
        lay.addWidget(self.val_label)
        lay.addWidget(self.curve, 1)
        lay.addWidget(titled("Before / after", self.preview))
        lay.addWidget(self.preview_caption)
        lay.addWidget(self.error)
        lay.addLayout(buttons)
        self.worker: Worker | None = None
        self.trained = False
        self.last_step = 0
        self._stage_offset: dict[str, int] = {}

    def initializePage(self) -> None:
        if not self.trained and (self.worker is None or not self.worker.is_running):
            self.start()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def start(self) -> None:
        run = self.wiz.run
        if run is None or self.running:
            return
        self.error.setText("")
        self.resume_button.hide()
        self.pause_button.setEnabled(True)
        self.pause_button.setText("Pause")
        self.cancel_button.setEnabled(True)
        offset = 0
        for st in run.stages:
            self._stage_offset[st["name"]] = offset
            offset += st["steps"] or 0
        worker = Worker(lambda token: run.train(token), None, name="fine-tune")
        worker.progress.connect(self._on_event)
        worker.finished.connect(self._on_trained)
        worker.errored.connect(self._on_error)
        worker.cancelled.connect(self._on_cancelled)
        worker.done.connect(self._on_done)
        self.worker = worker
        self.stage_label.setText("Starting the training process...")
        worker.start()

    def _on_event(self, ev) -> None:
        if isinstance(ev, ft.StageStarted):
            run = self.wiz.run
            offset = 0
            for st in run.stages:
                self._stage_offset[st["name"]] = offset
                offset += st["steps"] or 0
            if ev.index > 0 and not any(x == self._stage_offset[ev.stage] for x, _ in self.curve.marks):
                self.curve.mark(self._stage_offset[ev.stage], ev.stage.upper())
            resumed = f", resuming at step {ev.resumed_from}" if ev.resumed_from else ""
            self.stage_label.setText(f"Stage {ev.index + 1} of {ev.count}: {ev.stage.upper()} ({ev.steps} steps{resumed})")
        elif isinstance(ev, ft.StepProgress):
            self.last_step = ev.step
            self.progress.setValue(int(ev.fraction * 1000))
            x = self._stage_offset.get(ev.stage, 0) + ev.step
            for key in ("pixel", "d"):
                if key in ev.losses:
                    self.curve.add(f"{key} loss", x, ev.losses[key])
            self.stats.setText(f"step {ev.step}/{ev.steps}   lr {ev.lr:.2e}   {ev.it_per_s:.2f} it/s   "
                               f"ETA {_fmt_eta(ev.eta_s)}")
        elif isinstance(ev, ft.Validation):
            self.val_label.setText(f"Held-out crops: {ev.psnr_y:.2f} dB PSNR, SSIM {ev.ssim_y:.4f} (step {ev.step})")
        elif isinstance(ev, ft.PreviewReady):
            self.preview.set_images([ev.bicubic, ev.base, ev.current, ev.hr])
            self.preview_caption.setText(f"Preview on a held-out crop at {ev.stage.upper()} step {ev.step}.")
        elif isinstance(ev, ft.Notice):
            self.stage_label.setText(ev.message)

    def _on_trained(self, outcome) -> None:
        self.trained = True
        self.stage_label.setText(f"Training finished: {outcome.steps} steps.")
        self.progress.setValue(1000)
        self.completeChanged.emit()

    def _on_error(self, text: str) -> None:
        self.error.setText(text)
        self.stage_label.setText("Training stopped with an error.")
        self.resume_button.show()

    def _on_cancelled(self) -> None:
        self.stage_label.setText(f"Cancelled at step {self.last_step}. The last checkpoint is kept: "
                                 "resume now, or later from the first page.")
        self.resume_button.show()

    def _on_done(self) -> None:
        self.pause_button.setEnabled(False)
        self.cancel_button.setEnabled(False)

    def _on_pause(self) -> None:
        run = self.wiz.run
        if run is None or not self.running:
            return
        if run.paused:
            run.resume()
            self.pause_button.setText("Pause")
        else:
            run.pause()
            self.pause_button.setText("Continue")

    def _on_cancel(self) -> None:
        if self.wiz.run is not None and self.running:
            self.cancel_button.setEnabled(False)
            self.stage_label.setText("Stopping at the next step (saving a checkpoint)...")
            self.wiz.run.cancel()

    def isComplete(self) -> bool:
        return self.trained


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
        self.error = _error_label()
        self.retry = QPushButton("Try again")
        self.retry.clicked.connect(self.start)
        self.retry.hide()
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addWidget(self.table)
        lay.addWidget(QLabel("Per photo (PSNR dB):"))
        lay.addWidget(self.per_photo)
        lay.addWidget(self.crops_box)
        lay.addWidget(self.error)
        lay.addWidget(self.retry)
        self.worker: Worker | None = None
        self.result = None

    def initializePage(self) -> None:
        if self.result is None:
            self.start()

    def start(self) -> None:
        from ..core.finetune_eval import evaluate

        run = self.wiz.run
        if run is None or (self.worker is not None and self.worker.is_running):
            return
        self.error.setText("")
        self.retry.hide()
        worker = Worker(lambda token: evaluate(run, token), None, name="evaluate")
        worker.progress.connect(lambda p: self.status.setText(p.message))
        worker.finished.connect(self._on_result)
        worker.errored.connect(self._on_error)
        self.worker = worker
        worker.start()

    def _on_error(self, text: str) -> None:
        self.error.setText(text)
        self.status.setText("")
        self.retry.show()

    def _on_result(self, result) -> None:
        self.result = result
        run = self.wiz.run
        labels = {"bicubic": "Bicubic", "base": f"Base: {run.state['base']['title']}", "finetuned": f"Fine-tuned: {run.name}"}
        self.table.setRowCount(3)
        for i, m in enumerate(("bicubic", "base", "finetuned")):
            self.table.setItem(i, 0, QTableWidgetItem(labels[m]))
            self.table.setItem(i, 1, QTableWidgetItem(f"{result.mean[m]['psnr_y']:.2f}"))
            self.table.setItem(i, 2, QTableWidgetItem(f"{result.mean[m]['ssim_y']:.4f}"))
        self.table.resizeColumnsToContents()
        self.per_photo.setRowCount(len(result.rows))
        for i, row in enumerate(result.rows):
            self.per_photo.setItem(i, 0, QTableWidgetItem(row["photo"]))
            for j, m in enumerate(("bicubic", "base", "finetuned")):
                self.per_photo.setItem(i, j + 1, QTableWidgetItem(f"{row[m]['psnr_y']:.2f}"))
        self.per_photo.resizeColumnsToContents()
        while self.crops_layout.count():
            w = self.crops_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for crop in result.crops:
            strip = ImageStrip(["original", "bicubic", "base", "fine-tuned"], side=128)
            strip.set_images([crop["hr"], crop["bicubic"], crop["base"], crop["finetuned"]])
            self.crops_layout.addWidget(titled(crop["photo"], strip))
        gain = result.gain_db
        self.status.setText(f"The fine-tuned model scores {gain:+.2f} dB against the base on {len(result.rows)} "
                            f"held-out photo(s) (centre crops up to {result.eval_side} px).")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.result is not None


class SavePage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Save the model")
        self.setSubTitle("The model is exported to ONNX with a descriptor recording its base, recipe, data, steps and "
                         "metrics, and added to your models.")
        self.name_label = QLabel("")
        self.title_edit = QLineEdit()
        self.error = _error_label()
        form = QFormLayout(self)
        form.addRow("Name:", self.name_label)
        form.addRow("Title shown in the app:", self.title_edit)
        form.addRow(self.error)
        self.descriptor = None
        self.setFinalPage(True)

    def initializePage(self) -> None:
        run = self.wiz.run
        self.name_label.setText(run.name)
        if not self.title_edit.text():
            self.title_edit.setText(f"{run.name} (fine-tuned {run.state['base']['title']})")

    def validatePage(self) -> bool:
        from ..core.finetune_eval import register

        if self.descriptor is not None:
            return True
        try:
            self.descriptor = register(self.wiz.run, self.title_edit.text().strip(), registry=self.wiz.registry)
        except StudioError as exc:
            self.error.setText(str(exc))
            return False
        self.wiz.model_saved.emit(self.descriptor.name)
        return True


class FinetuneWizard(QWizard):
    """The fine-tuning wizard. ``model_saved(name)`` is emitted once the new model is registered."""

    model_saved = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, registry=None, photos: str | None = None):
        super().__init__(parent)
        from ..core.registry import default_registry

        self.setWindowTitle("Fine-tune a model on your photos")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.registry = registry or default_registry()
        self.scan: ft.FolderScan | None = None
        self.run: ft.FinetuneRun | None = None
        self.resuming = False
        self.gan_share = 0.5
        self.threads = 0     # training threads; 0 = all cores
        self.previews = True
        self.ask_before_stopping = True   # tests switch the confirmation off
        # Advanced options live on the budget page; the patch size also decides which photos are big enough.
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        self.lr_spin.setValue(1e-4)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 64)
        self.batch_spin.setValue(8)
        self.patch_spin = QSpinBox()
        self.patch_spin.setRange(16, 256)
        self.patch_spin.setSingleStep(8)
        self.patch_spin.setValue(96)
        self.ema_spin = QDoubleSpinBox()
        self.ema_spin.setDecimals(4)
        self.ema_spin.setRange(0.0, 0.9999)
        self.ema_spin.setValue(0.999)
        self.folder_page = FolderPage(self)
        self.base_page = BasePage(self)
        self.preset_page = PresetPage(self)
        self.budget_page = BudgetPage(self)
        self.train_page = TrainPage(self)
        self.eval_page = EvalPage(self)
        self.save_page = SavePage(self)
        for pid, page in ((PAGE_FOLDER, self.folder_page), (PAGE_BASE, self.base_page), (PAGE_PRESET, self.preset_page),
                          (PAGE_BUDGET, self.budget_page), (PAGE_TRAIN, self.train_page), (PAGE_EVAL, self.eval_page),
                          (PAGE_SAVE, self.save_page)):
            self.setPage(pid, page)
        self.setStartId(PAGE_FOLDER)
        self.resize(760, 720)
        if photos:
            self.folder_page.set_folder(photos)

    # ---- the run -------------------------------------------------------------
    def options(self) -> ft.FinetuneOptions:
        b = self.budget_page
        return ft.FinetuneOptions(
            photos=str(self.scan.folder) if self.scan else "",
            base=self.base_page.base_combo.currentData() or "",
            name=self.base_page.name_edit.text().strip(),
            goal=self.base_page.goal,
            preset=self.preset_page.preset,
            steps=b.steps.value() if b.by_steps.isChecked() else 0,
            minutes=b.minutes.value() if b.by_minutes.isChecked() else 0.0,
            lr=self.lr_spin.value(),
            batch_size=self.batch_spin.value(),
            patch_size=self.patch_spin.value(),
            ema=self.ema_spin.value(),
            gan_share=self.gan_share,
            threads=self.threads,
            previews=self.previews,
        )

    def prepare_run(self) -> ft.FinetuneRun:
        """Create the run folder for the current choices (again, if they changed before training started)."""
        opts = self.options()
        old = self.run
        if old is not None and (self.resuming or old.status not in ("created", "estimated")):
            return old
        if old is not None:
            wanted = asdict(opts)
            wanted["photos"], wanted["base"] = old.options.photos, self.registry_name(opts.base)
            if wanted == asdict(old.options):
                return old
        run = ft.FinetuneRun.create(opts, self.scan, registry=self.registry,
                                    replace=old is not None and old.name == opts.name)
        if old is not None:
            speed = ("goal", "batch_size", "patch_size", "base", "threads")
            if all(getattr(old.options, k) == getattr(run.options, k) for k in speed) \
                    and old.state.get("seconds_per_step"):
                run.state["seconds_per_step"] = old.state["seconds_per_step"]
                run.save()
            if old.name != run.name:
                shutil.rmtree(old.dir, ignore_errors=True)   # nothing trained there yet
        self.run = run
        return run

    def registry_name(self, name: str) -> str:
        try:
            return ft.resolve_base(name, self.registry).name
        except StudioError:
            return name

    def resume_run(self, name: str) -> None:
        """Continue an interrupted run: straight to the training page."""
        try:
            run = ft.FinetuneRun.open(name)
        except StudioError as exc:
            self.folder_page.error.setText(str(exc))
            return
        self.run = run
        self.resuming = True
        self.folder_page.completeChanged.emit()
        self.next()

    # ---- closing ----------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing stops any work (training at a checkpoint); threads finish on their own."""
        training = self.train_page.worker
        if training is not None and training.is_running and self.run is not None \
                and result != QWizard.DialogCode.Accepted and self.ask_before_stopping:
            answer = QMessageBox.question(
                self, "Stop training?",
                "Training is running. Stop it? The last checkpoint is kept and you can resume it later.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        for worker in (self.folder_page._scan_worker, self.budget_page._worker, training, self.eval_page.worker):
            if worker is None or not worker.is_running:
                continue
            worker.cancel()
            if self.run is not None and worker in (training, self.budget_page._worker):
                self.run.cancel()   # the child process stops at its next step, keeping a checkpoint
            # Parentless workers outlive this dialog until their thread ends.
            _ORPHANS.add(worker)
            worker.done.connect(lambda w=worker: _ORPHANS.discard(w))
        super().done(result)
