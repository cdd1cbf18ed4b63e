"""The main window's other windows: batch, settings, models, fine-tune, shortcuts and about.

A mixin of MainWindow (gui/main_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.settings import Settings
from .icons import retint_all
from .preview import passes_text


class OtherWindowsMixin:
    # -- other windows -------------------------------------------------------------
    def show_batch(self, folder: Path | None = None):
        from .batch_window import BatchWindow

        if self._batch_window is None:
            self._batch_window = BatchWindow(self.settings, self.registry, self)
        if folder is not None:
            self._batch_window.set_input(folder)
            self.statusBar().showMessage(f"Folder {Path(folder).name}: set up the batch and press Start", 6000)
        self._batch_window.show()
        self._batch_window.raise_()
        return self._batch_window

    def show_settings(self):
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.applied.connect(self._on_settings_applied)
        dialog.open()
        return dialog

    def show_models(self):
        from .model_manager import ModelManager

        if self._models_window is None:
            self._models_window = ModelManager(self.registry, self)
            self._models_window.changed.connect(self.refresh_models)
        self._models_window.show()
        self._models_window.raise_()
        return self._models_window

    def _gate_finetune(self) -> None:
        from ..core.finetune import training_missing

        missing = training_missing()
        self.actions.finetune.setEnabled(not missing)
        if missing:
            self.actions.finetune.setToolTip(missing)
            self.actions.finetune.setStatusTip(missing)

    def show_finetune(self):
        from .finetune_wizard import FinetuneWizard

        wizard = FinetuneWizard(self, registry=self.registry)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.model_saved.connect(lambda name: self.refresh_models())
        # The trainer uses every core, except one while the app renders a preview.
        self.preview.job_started.connect(lambda: wizard.set_app_rendering(True))
        self.preview.job_stopped.connect(lambda _outcome: wizard.set_app_rendering(False))
        wizard.show()
        return wizard

    def _on_settings_applied(self, settings: Settings) -> None:
        from .theme import apply_theme

        self.settings = settings
        apply_theme(QApplication.instance(), settings.theme)
        retint_all()
        self.cache.set_options(self._engine_options())
        self._save_settings()
        if self.image is not None:
            self.preview.set_image(self.image)
        self._update_info()  # with an image it says 'Preview: 1 pass · Save: 8 passes'; without, this does
        passes = passes_text(self.cache.save_passes)
        if passes and self.image is None:
            self.statusBar().showMessage(f"{passes} (Settings › Quality)", 8000)

    def show_shortcuts(self) -> QMessageBox:
        import html

        from .actions import shortcut_rows

        rows = "".join(
            f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(t)}</td></tr>"
            for k, t in shortcut_rows(self.actions)
        )
        extra = (
            "<tr><td><b>Arrow keys</b></td><td>Pan</td></tr>"
            "<tr><td><b>Wheel / double-click</b></td><td>Zoom about the cursor / fit or 1:1</td></tr>"
        )
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard Shortcuts",
            f"<table cellspacing=6>{rows}{extra}</table>",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _on_about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "About SRGAN Studio",
            f"<b>SRGAN Studio {__version__}</b><p>Photo restoration by super-resolution: "
            "bicubic, SRResNet and SRGAN side by side.</p>",
        )
