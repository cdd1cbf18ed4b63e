"""The main window's saving: the Save dialog, the full-resolution render in a Worker, Cancel.

A mixin of MainWindow (gui/main_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from pathlib import Path

from .preview import PAUSED_TEXT
from .save_job import PreviewBlocks, SaveOptions, save_job
from .worker import Worker


def saved_text(path: Path) -> str:
    """'Saved photo_restore_x4.jpg (2560×1712) in /photos': what was written, how big, and where."""
    try:
        from PIL import Image

        with Image.open(path) as im:  # the header only
            size = f" ({im.width}×{im.height})"
    except Exception:  # noqa: BLE001 - the size is a courtesy; the file is written
        size = ""
    return f"Saved {path.name}{size} in {path.parent}"


class SavingMixin:
    # -- saving ------------------------------------------------------------------
    def _on_save(self) -> None:
        if self.image is None:
            self.statusBar().showMessage("Open an image first", 4000)
            return
        from .save_dialog import SaveDialog

        dialog = SaveDialog(
            self,
            self.settings,
            self.save_choices(),
            self.shown_path,
            default_name=self.roles.pair(self._installed())[0],
            input_size=(self.image.width, self.image.height),
        )
        if dialog.exec():
            self.save_to(dialog.options(), dialog.descriptor())

    def save_choices(self) -> list:
        """Every installed model once, and the Realism blend the panes show, if any."""
        models = {d.name: d for d in self.registry.list()}
        for slot in self.compare.slots:
            if slot.descriptor is not None:
                models.setdefault(slot.descriptor.name, slot.descriptor)
        return list(models.values())

    def save_to(self, options: SaveOptions, descriptor) -> Worker | None:
        """Render ``descriptor`` on the current image at full size and write it."""
        if self.image is None or descriptor is None:
            return None
        if self.save_worker is not None:
            self.show_error("Save", "A save is already running; cancel it or wait.")
            return None
        self.preview.cancel()  # the save gets the CPU; the preview resumes after
        image, cache = self.image, self.cache
        blocks = self._finished_preview(descriptor, image)
        worker = Worker(lambda token: save_job(cache.get(descriptor), image, options, token, blocks), self, name="save")
        worker.progress.connect(self._on_save_progress)
        worker.finished.connect(lambda path: self._on_saved(path))
        worker.errored.connect(lambda text: self.show_error("Save failed", text))
        worker.cancelled.connect(lambda: self.statusBar().showMessage("Save cancelled; nothing was written", 5000))
        worker.done.connect(self._on_save_done)
        self.save_worker = worker
        self.progress.setRange(0, 0)
        self.progress.setFormat(f"Saving {Path(options.path).name} %p%")
        self.progress.show()
        self.cancel_button.show()
        passes = self.cache.save_passes
        more = f", {passes} passes" if passes > 1 and descriptor.kind != "bicubic" else ""
        self.statusBar().showMessage(f"Rendering {descriptor.title} at full resolution{more}…")
        worker.start()
        self._update_actions()
        return worker

    def _finished_preview(self, descriptor, image) -> PreviewBlocks | None:
        """What a pane showing ``descriptor`` has already rendered at full detail, for the save to reuse."""
        if not self.cache.preview_is_saved:
            return None  # a 1-pass preview is not an 8-pass save's pixels
        for slot in self.compare.slots:
            target = slot.target
            if target is not None and target.descriptor == descriptor:
                return PreviewBlocks.snapshot(target, image)
        return None

    def _on_save_progress(self, p) -> None:
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)

    def _on_saved(self, path) -> None:
        self.statusBar().showMessage(saved_text(Path(path)), 8000)

    def _on_save_done(self) -> None:
        worker, self.save_worker = self.save_worker, None
        if worker is not None:
            worker.release()
        self.progress.hide()
        self.cancel_button.hide()
        self._update_actions()
        self.preview.restart()

    def _on_cancel_save(self) -> None:
        if self.save_worker is not None:
            self.save_worker.cancel()

    def _on_cancel(self) -> None:
        if self.save_worker is not None:
            self.save_worker.cancel()
        else:
            self.preview.cancel()
            self.statusBar().showMessage(PAUSED_TEXT)
