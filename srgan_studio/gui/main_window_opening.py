"""The main window's opening: files and folders from Open, Recent, the clipboard and drag and drop.

A mixin of MainWindow (gui/main_window.py), kept apart to keep each module short.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QFileDialog

from ..core import formats
from .model_roles import input_report_of
from .qimage import qimage_to_rgb
from .session import split_dropped
from .worker import Worker

LIMIT_HINT = "Tools › Settings › Largest input"


def with_limit_hint(text: str) -> str:
    """The reader's "over the limit of N megapixels … raise the limit" names no place; here it is a setting."""
    if "over the limit of" in text and "megapixels" in text:
        return f"{text} ({LIMIT_HINT})"
    return text


class OpeningMixin:
    # -- opening -------------------------------------------------------------
    def open_paths(self, paths: list[str | Path]) -> None:
        files, folders = split_dropped([Path(p) for p in paths])
        if folders:
            self.show_batch(folders[0])
        if files:
            self.images.replace(files)
            self.load_current()

    def step_image(self, delta: int) -> None:
        if len(self.images.paths) > 1:
            self.images.step(delta)
            self.load_current()

    def load_current(self) -> None:
        path = self.images.current
        if path is None:
            return
        if self.load_worker is not None:
            self.load_worker.cancel()
        max_pixels = int(self.settings.max_megapixels * 1_000_000)

        def job(token):
            from ..core.imageio import read_image

            image = read_image(path, max_pixels=max_pixels)
            token.raise_if_cancelled()
            return image, input_report_of(path, image)

        worker = Worker(job, self, name=f"read {path.name}")
        worker.finished.connect(lambda result, w=worker: self._on_image_read(w, path, *result))
        worker.errored.connect(lambda text: self.show_error("Cannot open image", with_limit_hint(text)))
        worker.done.connect(lambda w=worker: self._on_load_done(w))
        self.load_worker = worker
        self.statusBar().showMessage(f"Opening {path.name}…")
        worker.start()

    def _on_load_done(self, worker: Worker) -> None:
        if self.load_worker is worker:
            self.load_worker = None
        worker.release()

    def _on_image_read(self, worker: Worker, path: Path, image, report) -> None:
        if worker is not self.load_worker:
            return  # the user moved on to another image meanwhile
        self.settings.add_recent(path)
        self.set_input_kind(report.kind, report)
        self.show_image(image, path.name)

    def _show_unsaved(self, image, name: str) -> None:
        """A pasted or dropped image: measured like a file (its pixels only), then shown."""
        report = input_report_of(None, image)
        self.set_input_kind(report.kind, report)
        self.show_image(image, name)

    def paste_image(self) -> None:
        clip = QApplication.clipboard()
        mime = clip.mimeData()
        if mime is not None and mime.hasUrls() and all(u.isLocalFile() for u in mime.urls()):
            self.open_paths([u.toLocalFile() for u in mime.urls()])
            return
        qimg = clip.image()
        if qimg.isNull():
            self.statusBar().showMessage("The clipboard holds no image", 4000)
            return
        from ..core.imageio import Image, ImageMeta

        color, alpha = qimage_to_rgb(qimg)
        self.images.replace([])
        self._show_unsaved(Image(color, alpha, ImageMeta(format="PNG")), "pasted image")

    def _on_open(self) -> None:
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open images", start, f"{formats.file_dialog_filter()};;All files (*)"
        )
        if paths:
            self.open_paths(paths)

    def _update_recent_menu(self) -> None:
        menu = self.actions.recent_menu
        menu.clear()
        for p in self.settings.recent_files:
            menu.addAction(Path(p).name, lambda p=p: self.open_paths([p])).setToolTip(p)
        if not self.settings.recent_files:
            menu.addAction("(none)").setEnabled(False)

    # -- drag and drop -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        if self.handle_drop(event.mimeData()):
            event.acceptProposedAction()

    def handle_drop(self, mime) -> bool:
        urls = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if urls:
            self.open_paths(urls)
            return True
        if mime.hasImage():
            from ..core.imageio import Image, ImageMeta

            color, alpha = qimage_to_rgb(mime.imageData())
            self._show_unsaved(Image(color, alpha, ImageMeta(format="PNG")), "dropped image")
            return True
        return False
