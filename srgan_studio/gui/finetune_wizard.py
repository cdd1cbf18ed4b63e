"""Tools > Fine-tune...: fine-tune a model on the user's own photos, in seven pages.

Folder -> base model and goal -> degradation -> budget -> train -> evaluate -> save.
The pages (finetune_setup_pages, finetune_train_page, finetune_result_pages) only
display and collect; all the work is in ``core.finetune`` (Qt-free), and the
training itself runs in a child process, so a crash or an out-of-memory there
shows an error here and never takes the app down. Each long step runs on the
generic ``Worker``.

Usage: ``FinetuneWizard(parent).show()`` (or ``.exec()``).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QMessageBox, QSpinBox, QWidget, QWizard

from ..core import finetune as ft
from ..core.errors import StudioError
from .finetune_result_pages import EvalPage, SavePage
from .finetune_setup_pages import (
    PAGE_BASE,
    PAGE_BUDGET,
    PAGE_EVAL,
    PAGE_FOLDER,
    PAGE_PRESET,
    PAGE_SAVE,
    PAGE_TRAIN,
    BasePage,
    BudgetPage,
    FolderPage,
    PresetPage,
)
from .finetune_train_page import TrainPage
from .worker import Worker

__all__ = [
    "PAGE_BASE",
    "PAGE_BUDGET",
    "PAGE_EVAL",
    "PAGE_FOLDER",
    "PAGE_PRESET",
    "PAGE_SAVE",
    "PAGE_TRAIN",
    "FinetuneWizard",
]

# Workers still stopping when their wizard closed: kept alive until done.
_ORPHANS: set[Worker] = set()
# Changing these after the dry run changes the step time, so the estimate is kept only if they match.
_SPEED_OPTIONS = ("goal", "batch_size", "patch_size", "base", "threads", "device")


def _auto_spin(spin: QSpinBox | QDoubleSpinBox) -> None:
    """0 shows as "auto": chosen for the time available."""
    spin.setMinimum(0)
    spin.setSpecialValueText("auto")
    spin.setValue(0)


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
        self.threads = 0  # training threads; 0 = all cores
        self.previews = True
        self.ask_before_stopping = True  # tests switch the confirmation off
        self._make_advanced_spins()
        self.folder_page = FolderPage(self)
        self.base_page = BasePage(self)
        self.preset_page = PresetPage(self)
        self.budget_page = BudgetPage(self)
        self.train_page = TrainPage(self)
        self.eval_page = EvalPage(self)
        self.save_page = SavePage(self)
        for pid, page in (
            (PAGE_FOLDER, self.folder_page),
            (PAGE_BASE, self.base_page),
            (PAGE_PRESET, self.preset_page),
            (PAGE_BUDGET, self.budget_page),
            (PAGE_TRAIN, self.train_page),
            (PAGE_EVAL, self.eval_page),
            (PAGE_SAVE, self.save_page),
        ):
            self.setPage(pid, page)
        self._train_subtitle = self.train_page.subTitle()
        self.setStartId(PAGE_FOLDER)
        self.resize(780, 760)
        if photos:
            self.folder_page.set_folder(photos)

    def _make_advanced_spins(self) -> None:
        # Advanced options live on the budget page; the patch size also decides which photos are small.
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(0, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        _auto_spin(self.lr_spin)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(0, 64)
        _auto_spin(self.batch_spin)
        self.patch_spin = QSpinBox()
        self.patch_spin.setRange(16, 256)
        self.patch_spin.setSingleStep(8)
        self.patch_spin.setValue(96)
        self.ema_spin = QDoubleSpinBox()
        self.ema_spin.setDecimals(4)
        self.ema_spin.setRange(0.0, 0.9999)
        self.ema_spin.setValue(0.999)

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
        if old is not None and (self.resuming or old.status not in (ft.RunStatus.CREATED, ft.RunStatus.ESTIMATED)):
            return old
        if old is not None:
            wanted = asdict(opts)
            wanted["photos"], wanted["base"] = old.options.photos, self._created_base(opts.base, old)
            if wanted == asdict(old.options):
                return old
        run = ft.FinetuneRun.create(
            opts, self.scan, registry=self.registry, replace=old is not None and old.name == opts.name
        )
        if old is not None:
            if (
                all(getattr(old.options, k) == getattr(run.options, k) for k in _SPEED_OPTIONS)
                and old.state.seconds_per_sample
            ):
                run.state.seconds_per_sample = dict(old.state.seconds_per_sample)
                run.save()
            if old.name != run.name:
                shutil.rmtree(old.dir, ignore_errors=True)  # nothing trained there yet
        self.run = run
        self._show_base(run)
        return run

    def _created_base(self, asked: str, old: ft.FinetuneRun) -> str:
        """The base ``asked`` gave ``old``: auto's measured choice stands while nothing else changed."""
        if asked == "auto":
            return old.options.base if old.state.base_choice is not None else "auto"
        return self.registry_name(asked)

    def _show_base(self, run: ft.FinetuneRun) -> None:
        text = ft.describe_base(run.state)
        line = f"{text[0].upper()}{text[1:]}."
        self.budget_page.base_note.setText(line)
        self.train_page.setSubTitle(f"{self._train_subtitle} {line}")

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
        self._show_base(run)
        self.resuming = True
        self.folder_page.completeChanged.emit()
        self.next()

    def set_app_rendering(self, busy: bool) -> None:
        """The app renders a preview: the trainer gives one core back until it is done."""
        if self.run is not None:
            self.run.give_core_back(busy)

    # ---- closing ----------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing stops any work (training at a checkpoint); threads finish on their own."""
        training = self.train_page.worker
        if (
            training is not None
            and training.is_running
            and self.run is not None
            and result != QWizard.DialogCode.Accepted
            and self.ask_before_stopping
        ):
            answer = QMessageBox.question(
                self,
                "Stop training?",
                "Training is running. Stop it? The last checkpoint is kept and you can resume it later.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        for worker in (self.folder_page._scan_worker, self.budget_page._worker, training, self.eval_page.worker):
            if worker is None or not worker.is_running:
                continue
            worker.cancel()
            if self.run is not None and worker in (training, self.budget_page._worker):
                self.run.cancel()  # the child process stops at its next step, keeping a checkpoint
            # Parentless workers outlive this dialog until their thread ends.
            _ORPHANS.add(worker)
            worker.done.connect(lambda w=worker: _ORPHANS.discard(w))
        super().done(result)
