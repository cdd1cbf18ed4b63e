"""The wizard's training page: progress against the user's budget, losses, previews, pause and cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWizardPage

from ..core import finetune as ft
from .finetune_widgets import ImageStrip, LossCurve, error_label, titled, warning_label
from .worker import Worker

if TYPE_CHECKING:
    from .finetune_wizard import FinetuneWizard


def step_text(ev: ft.StepProgress) -> str:
    """'step 12 of about 99 (1.5 min budget)' for minutes; 'step 12 of 300' for a steps budget."""
    if ev.budget_minutes:
        return f"step {ev.run_step} of about {ev.expected_steps} ({ft.format_minutes(ev.budget_minutes * 60)} budget)"
    return f"step {ev.run_step} of {ev.expected_steps}"


class TrainPage(QWizardPage):
    def __init__(self, wizard: FinetuneWizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Training")
        self.setSubTitle(
            "Training runs in a separate process. You can pause, or cancel and resume later: "
            "the last checkpoint is kept."
        )
        self.stage_label = QLabel("")
        self.device_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.stats = QLabel("")
        self.val_label = QLabel("")
        self.curve = LossCurve()
        self.preview = ImageStrip(["original", "bicubic", "base (before)", "fine-tuned (after)"], side=140)
        self.preview_caption = QLabel("Preview on a held-out crop: appears at each checkpoint.")
        self.problems = warning_label()
        self.error = error_label()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.resume_button = QPushButton("Resume training")
        self.resume_button.clicked.connect(self.start)
        self.resume_button.hide()
        buttons = QHBoxLayout()
        for b in (self.pause_button, self.cancel_button, self.resume_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        for w in (self.stage_label, self.device_label, self.progress, self.stats, self.val_label):
            lay.addWidget(w)
        lay.addWidget(self.curve, 1)
        for w in (
            titled("Before / after (the same region)", self.preview),
            self.preview_caption,
            self.problems,
            self.error,
        ):
            lay.addWidget(w)
        lay.addLayout(buttons)
        self.worker: Worker | None = None
        self.trained = False
        self.last_step = 0

    def initializePage(self) -> None:
        if not self.trained and not self.running:
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
            self._on_stage(ev)
        elif isinstance(ev, ft.StepProgress):
            self.last_step = ev.step
            self.progress.setValue(int(ev.fraction * 1000))
            for key in ("pixel", "d"):
                if key in ev.losses:
                    self.curve.add(f"{key} loss", ev.run_step, ev.losses[key])
            self.stats.setText(
                f"{step_text(ev)}   lr {ev.lr:.2e}   {ev.it_per_s:.2f} it/s   ETA {ft.format_eta(ev.eta_s)}"
            )
        elif isinstance(ev, ft.Validation):
            kept = "  (best so far: kept)" if ev.best else ""
            self.val_label.setText(
                f"Held-out crops: {ev.psnr_y:.2f} dB PSNR, SSIM {ev.ssim_y:.4f} (step {ev.step}){kept}"
            )
        elif isinstance(ev, ft.PreviewReady):
            self.preview.set_images([ev.hr, ev.bicubic, ev.base, ev.current])
            self.preview_caption.setText(f"Preview on a held-out crop at {ev.stage.upper()} step {ev.step}.")
        elif isinstance(ev, ft.StageFinished) and ev.best_step == 0:
            self.val_label.setText("The base model scored best on the held-out crops so far; its weights are kept.")
        elif isinstance(ev, ft.Notice):
            if ev.problem:
                self.problems.setText(ev.message)
            else:
                self.stage_label.setText(ev.message)

    def _on_stage(self, ev: ft.StageStarted) -> None:
        if ev.index > 0:  # mark where the GAN stage starts on the curve
            offset = sum(st.steps for st in self.wiz.run.stages[: ev.index])
            if not any(x == offset for x, _ in self.curve.marks):
                self.curve.mark(offset, ev.stage.upper())
        resumed = f", resuming at step {ev.resumed_from}" if ev.resumed_from else ""
        self.stage_label.setText(f"Stage {ev.index + 1} of {ev.count}: {ev.stage.upper()}{resumed}")
        threads = f", {ev.threads} thread(s)" if ev.threads else ""
        self.device_label.setText(f"Training on {ev.device}, {ev.precision}{threads}")

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
        self.stage_label.setText(
            f"Cancelled at step {self.last_step}. The last checkpoint is kept: "
            "resume now, or later from the first page."
        )
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
