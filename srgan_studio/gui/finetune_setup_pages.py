"""The fine-tuning wizard's first pages: photos, base model and goal, degradation, budget.

They only display and collect: the scan, the base choice and the budget arithmetic
are in ``core.finetune``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
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
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from ..core import finetune as ft
from ..core.errors import StudioError
from .finetune_widgets import NoteLabel, error_label, warning_label
from .worker import Worker

if TYPE_CHECKING:
    from .finetune_wizard import FinetuneWizard

PAGE_FOLDER, PAGE_BASE, PAGE_PRESET, PAGE_BUDGET, PAGE_TRAIN, PAGE_EVAL, PAGE_SAVE = range(7)
TYPING_PAUSE_MS = 400  # a typed folder is scanned this long after the last key
AUTO_BASE_TITLE = "Automatic (best on your photos)"


class FolderPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Your photos")
        self.setSubTitle(
            "Choose a folder of your own best photos, the kind you want upscaled well: the model "
            "learns from them. A few are held out to measure the result and never trained on."
        )
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("folder of photos")
        self.path_edit.textEdited.connect(self._on_typed)
        self.path_edit.editingFinished.connect(self._scan_typed)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._scan_typed)
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.summary = NoteLabel()
        self.warnings = warning_label()
        self.error = error_label()
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
        self.bad_title = QLabel("Skipped files:")
        self.heldout_title = QLabel("Held out for evaluation:")
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        for w in (
            self.summary,
            self.error,
            self.warnings,
            self.bad_title,
            self.bad_list,
            self.heldout_title,
            self.heldout_list,
            self.resume_box,
        ):
            lay.addWidget(w)
        # The room left goes below everything: the labels used to share it, which opened a hole
        # between the folder row and the resume box at the wizard's size.
        lay.addStretch(1)
        self._scan_worker: Worker | None = None
        self._scanned_text = ""
        self._refresh_runs()
        self.show_found()

    def show_found(self) -> None:
        """Only what there is: empty lists and their titles before a scan read as a form to fill in."""
        for title, items in ((self.bad_title, self.bad_list), (self.heldout_title, self.heldout_list)):
            title.setVisible(items.count() > 0)
            items.setVisible(items.count() > 0)

    def _refresh_runs(self) -> None:
        self.resume_combo.clear()
        for r in ft.list_runs():
            if r["status"] != ft.RunStatus.REGISTERED.value:
                self.resume_combo.addItem(f"{r['name']} ({r['status']}, {r['goal']}, from {r['base']})", r["name"])
        self.resume_box.setVisible(self.resume_combo.count() > 0)

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of your photos", self.path_edit.text())
        if folder:
            self.set_folder(folder)

    def _on_typed(self, _text: str) -> None:
        self._typing.start()  # restarts on every key: scan once the typing pauses

    def _scan_typed(self) -> None:
        self._typing.stop()
        text = self.path_edit.text().strip()
        if text and text != self._scanned_text and Path(text).expanduser().is_dir():
            self.set_folder(text)

    def set_folder(self, folder: str) -> None:
        """Scan ``folder`` in the background (tests call this directly)."""
        if self._scan_worker is not None and self._scan_worker.is_running:
            self._scan_worker.cancel()
        self._scanned_text = folder
        if self.path_edit.text() != folder:
            self.path_edit.setText(folder)
        self.wiz.scan = None
        for w in (self.error, self.warnings):
            w.setText("")
        self.bad_list.clear()
        self.heldout_list.clear()
        self.summary.setText("Scanning...")
        self.show_found()
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
        if str(scan.folder) != str(Path(self._scanned_text).expanduser()):
            return  # an older scan, finished after a newer one began
        self.wiz.scan = scan
        self.summary.setText(f"{len(scan.usable)} usable photo(s), {len(scan.bad)} skipped.")
        for path, reason in scan.bad:
            self.bad_list.addItem(f"{path.name}: {reason}")
        self.error.setText(scan.problem())
        self.warnings.setText("\n".join(scan.warnings))
        if scan.ok:
            for p in ft.choose_heldout(scan.usable):
                self.heldout_list.addItem(p.rel)
        self.show_found()
        self.completeChanged.emit()

    def _on_resume(self) -> None:
        name = self.resume_combo.currentData()
        if name:
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
        self.base_combo.activated.connect(self._on_base_chosen)
        self.faithful = QRadioButton("Faithful: sharpest measurable detail (PSNR stage)")
        self.realistic = QRadioButton("Realistic textures: adds a GAN stage (slower; may invent fine texture)")
        self.faithful.setChecked(True)
        self.goal_group = QButtonGroup(self)
        self.goal_group.addButton(self.faithful)
        self.goal_group.addButton(self.realistic)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("my_photos")
        self.name_edit.textChanged.connect(self._on_name)
        self.error = error_label()
        self.unusable = warning_label()
        form = QFormLayout(self)
        form.addRow("Base model:", self.base_combo)
        form.addRow(self.unusable)
        form.addRow("Goal:", self.faithful)
        form.addRow("", self.realistic)
        form.addRow("New model name:", self.name_edit)
        form.addRow(self.error)
        self._base_chosen = False
        self._rule_base: ft.BaseModel | None = None  # auto's stand-in before measuring: its scale names the model

    def _on_base_chosen(self, _index: int) -> None:
        self._base_chosen = True

    def initializePage(self) -> None:
        previous = self.base_combo.currentData()
        self.base_combo.clear()
        self.wiz.registry.refresh()
        bases, unusable = ft.survey_bases(self.wiz.registry)
        if bases:
            self.base_combo.addItem(AUTO_BASE_TITLE, "auto")  # measured when the run is created
        for m in bases:
            self.base_combo.addItem(f"{m.title} ({m.name})", m.name)
        # Unreadable weights are said, not silently left out of the list.
        self.unusable.setText("\n".join(f"{u.name} cannot be a base: {u.reason}" for u in unusable))
        self._rule_base = ft.default_base(bases, self.wiz.preset_page.preset)
        index = self.base_combo.findData(previous if self._base_chosen and previous else "auto")
        self.base_combo.setCurrentIndex(max(0, index))
        if not bases:
            self.error.setText("No model with training weights (.safetensors) is installed, so none can be fine-tuned.")
        if not self.name_edit.text() and self.wiz.scan is not None:
            self.name_edit.setText(self._free_name())
        self._on_name()

    def _free_name(self) -> str:
        stem = "".join(c if c.isalnum() else "_" for c in self.wiz.scan.folder.name.lower()).strip("_") or "mine"
        if self.base_combo.count():
            chosen = self.base_combo.currentData()
            scale = self._rule_base.scale if chosen == "auto" else self.wiz.registry.get(chosen).scale
            stem = f"{stem}_x{scale}"
        name, i = stem, 2
        while name in self.wiz.registry or (ft.finetune_root() / name).exists():
            name, i = f"{stem}_{i}", i + 1
        return name

    def _on_name(self) -> None:
        name = self.name_edit.text().strip()
        problem = ""
        if ft.name_problem(name):
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
        for key in ft.preset_names():
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
        self.setSubTitle(
            "Minutes or steps. Batch size and learning rate are chosen for the time you give "
            "unless you set them; measure the step time on this machine with a short dry run."
        )
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
        self.base_note = NoteLabel()  # the base the run starts from, once the run exists
        self.error = error_label()
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
        lay.addWidget(self.base_note)
        lay.addWidget(self.error)
        lay.addWidget(adv)
        lay.addStretch(1)  # the spare height below the form, not between its rows
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
        run = self.wiz.run
        if not self.seconds_per_step or run is None:
            return
        opts = self.wiz.options()
        est = ft.estimate_for(opts, run.state.seconds_per_sample, run.state.patch_size)
        parts = [f"{s.upper()}: {v:.2f} s/step" for s, v in est.seconds_per_step.items()]
        parts.append(f"batch {est.batch_size}, learning rate {est.lr:.0e}")
        names = list(est.seconds_per_step)
        if opts.timed:
            steps = sum(ft.expected_steps(opts, names, est.seconds_per_step).values())
            parts.append(f"about {steps} steps in {ft.format_minutes(opts.minutes * 60)}")
        else:
            parts.append(
                f"about {ft.format_eta(ft.expected_seconds(opts, names, est.seconds_per_step))} for {opts.steps} steps"
            )
        self.estimate_label.setText("; ".join(parts))

    def validatePage(self) -> bool:
        try:
            self.wiz.prepare_run()
        except StudioError as exc:
            self.error.setText(str(exc))
            return False
        return True
