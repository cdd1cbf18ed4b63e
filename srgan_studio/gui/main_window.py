"""The main window: the compare view, the status bar and the window state; its other concerns are mixins.

Heavy work never runs here: reading an image, every preview render, the
Realism blend and the full-resolution save all go through ``Worker``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QStyle,
    QToolButton,
)

from ..core.input_kind import CLEAN, PHOTO
from ..core.settings import Settings, save_settings
from .actions import build_actions
from .compare_view import CompareView
from .drop_hint import DropHint
from .icons import app_icon, set_icon
from .main_window_models import ModelsMixin
from .main_window_opening import OpeningMixin
from .main_window_others import OtherWindowsMixin
from .main_window_saving import SavingMixin
from .model_roles import ModelRoles
from .preview import PAUSED_TEXT, PreviewController, UpscalerCache, passes_text
from .qimage import DisplayImage
from .realism_control import RealismControl
from .render_slot import display_rgb
from .session import ImageList
from .worker import Worker

log = logging.getLogger(__name__)
APP_TITLE = "SRGAN Studio"
FIRST_SHARE = 0.9  # of the screen's free area, on a first start (no saved geometry)
STATUS_GAP = 8  # px between the status bar's message and its permanent widgets
FIRST_MAX = (2000, 1250)  # px: beyond this a first window is more screen than a photo comparison needs


def short_paths(text: str) -> str:
    """'/photos/2024/bad/panorama.png: problem' -> 'panorama.png: problem': the status bar has room for the
    problem, not for the folders (errors put the path first, core/errors.py)."""
    head, sep, rest = text.partition(": ")
    if sep and ("/" in head or "\\" in head) and Path(head).name:
        return f"{Path(head).name}: {rest}"
    return text


class MainWindow(OpeningMixin, ModelsMixin, SavingMixin, OtherWindowsMixin, QMainWindow):
    def __init__(self, settings: Settings | None = None, registry=None, persist: bool = True):
        super().__init__()
        self.settings = settings or Settings()
        self.persist = persist  # tests pass False: never write the settings file
        self._registry = registry
        self.images = ImageList()
        self.image = None  # the engine Image shown
        self.last_error = ""
        self.load_worker: Worker | None = None
        self.save_worker: Worker | None = None
        self.roles = ModelRoles()  # which model each pane shows; the input kind picks the pair
        self.kind_report = None  # why the shown image is a Photo or a Clean source (core/input_kind.py)
        self._batch_window = None
        self._models_window = None

        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.compare = CompareView()
        self.cache = UpscalerCache(self._engine_options())
        self.preview = PreviewController(self.compare.slots, self.compare.view, self.cache, self)
        self.hint = DropHint()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.compare)
        self.setCentralWidget(self.stack)
        self.actions = build_actions(self)
        self.realism = RealismControl(
            self.actions.realism, self.actions.realism_label, self.settings, self._pair_descriptors, self
        )
        self._build_status_bar()
        self._connect()
        self._restore_window()
        self._update_actions()

    # -- setup ---------------------------------------------------------------
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.info_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QToolButton()
        set_icon(self.cancel_button, "cancel")
        self.cancel_button.setToolTip("Cancel the save")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self._on_cancel_save)
        sb.addPermanentWidget(self.info_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        sb.showMessage("Drop photos here, or press Ctrl+O", 0)

    def _connect(self) -> None:
        a, view = self.actions, self.compare.view
        a.open.triggered.connect(self._on_open)
        a.paste.triggered.connect(self.paste_image)
        a.save.triggered.connect(self._on_save)
        a.batch.triggered.connect(lambda: self.show_batch())
        a.quit.triggered.connect(self.close)
        a.zoom_in.triggered.connect(view.zoom_in)
        a.zoom_out.triggered.connect(view.zoom_out)
        a.fit.triggered.connect(view.fit)
        a.one_to_one.triggered.connect(view.one_to_one)
        a.side.triggered.connect(lambda: self.compare.set_mode("side"))
        a.split.triggered.connect(lambda: self.compare.set_mode("split"))
        a.info.toggled.connect(self.compare.set_show_info)
        a.lens.toggled.connect(self.compare.set_lens_enabled)
        a.next.triggered.connect(lambda: self.step_image(1))
        a.previous.triggered.connect(lambda: self.step_image(-1))
        a.cancel.triggered.connect(self._on_cancel)
        a.models.triggered.connect(self.show_models)
        a.finetune.triggered.connect(self.show_finetune)
        self._gate_finetune()
        a.settings.triggered.connect(self.show_settings)
        a.about.triggered.connect(self._on_about)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.recent_menu.aboutToShow.connect(self._update_recent_menu)
        a.input_kind.activated.connect(lambda _i: self.set_input_kind(a.input_kind.currentData()))
        a.input_photo.triggered.connect(lambda: self.set_input_kind(PHOTO))
        a.input_clean.triggered.connect(lambda: self.set_input_kind(CLEAN))
        a.realism_more.triggered.connect(lambda: self.step_realism(1))
        a.realism_less.triggered.connect(lambda: self.step_realism(-1))
        self.realism.ready.connect(self._on_realism_ready)
        self.realism.failed.connect(lambda text: self.show_error("Realism blend failed", text))
        self.realism.message.connect(self._on_realism_message)
        self.compare.model_chosen.connect(self._on_model_chosen)
        self.preview.error.connect(lambda text: self.show_error("Preview failed", text))
        self.preview.job_started.connect(self._update_actions)
        self.preview.job_stopped.connect(self._on_preview_stopped)
        self.preview.slot_progress.connect(self._update_status_progress)
        view.subscribe(self._update_info)

    def _engine_options(self) -> dict:
        s = self.settings
        return {
            "device": s.device,
            "threads": s.threads,
            "tile": s.tile,
            "alpha_mode": s.alpha_mode,
            "ensemble": s.ensemble,
            "precision": s.precision,
            "engine": s.engine,
        }

    def step_realism(self, sign: int) -> None:
        """[ and ]: the Realism slider to the next tick down or up, or the reason it cannot move."""
        slider = self.actions.realism
        if not slider.isEnabled():
            self.statusBar().showMessage(slider.toolTip(), 6000)  # "Realism slider unavailable: …"
            return
        step, value = slider.pageStep(), slider.value()
        slider.setValue((value // step + 1) * step if sign > 0 else (-(-value // step) - 1) * step)

    # -- showing an image --------------------------------------------------------
    def show_image(self, image, name: str) -> None:
        """Show an engine Image in the compare view and start its preview."""
        if self.registry is not None and not self.compare.combos[0].count():
            self.refresh_models()
        self.image = image
        self.compare.set_original(DisplayImage(display_rgb(image.color, image.alpha)), self._scale())
        self.stack.setCurrentWidget(self.compare)
        self.setWindowTitle(f"{APP_TITLE} — {name}")
        self.preview.set_image(image)
        pos = self.images.position_text()
        kind = self.actions.input_kind.currentText()
        why = f"  ·  {kind}: {self.kind_report.reason}" if self.kind_report is not None else ""
        self.statusBar().showMessage(f"{name}  {pos}".strip() + why, 8000)
        self._update_info()
        self._update_actions()

    @property
    def shown_path(self) -> Path | None:
        """The file of the image shown (None when pasted). Not ``images.current``: after a failed open that
        is the file that failed, while the photo before it stays on screen."""
        source = self.image.meta.source if self.image is not None else None
        return Path(source) if source else None

    def _scale(self) -> int:
        scales = [s.descriptor.scale for s in self.compare.slots if s.descriptor is not None]
        return scales[0] if scales else 4

    # -- status ------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> None:
        """A clear, non-blocking error dialog (the UI keeps running behind it)."""
        self.last_error = text
        log.warning("%s: %s", title, text)
        self.statusBar().showMessage(self._status_fit(short_paths(text)), 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _status_fit(self, text: str) -> str:
        """``text`` elided to the room left of the status bar's permanent widgets: a long error ran on under
        the image info ("… Largest inp640×428"). The dialog beside it has the whole text."""
        sb = self.statusBar()
        taken = sum(
            w.width() + STATUS_GAP for w in (self.info_label, self.progress, self.cancel_button) if w.isVisible()
        )
        room = max(80, sb.width() - taken - 2 * STATUS_GAP)
        return QFontMetrics(sb.font()).elidedText(text, Qt.TextElideMode.ElideRight, room)

    def _on_realism_message(self, text: str) -> None:
        if self.image is not None:  # a blend built at startup must not replace the hint on how to open a photo
            self.statusBar().showMessage(text, 3000)

    def _update_info(self) -> None:
        if self.image is None:
            self.info_label.setText("")
            return
        im = self.image
        kind = f"{'grey' if im.is_grey else 'RGB'}{'A' if im.has_alpha else ''} {im.bits}-bit"
        s = self._scale()
        passes = passes_text(self.cache.save_passes)  # a save at 8 passes takes 8 times the preview's time
        self.info_label.setText(
            f"{im.width}×{im.height} {kind} → {im.width * s}×{im.height * s}   zoom {self.compare.view.zoom * 100:.0f}%"
            + (f"   {passes}" if passes else "")
        )

    def _update_status_progress(self, slot) -> None:
        busy = [s for s in self.compare.slots if s.busy]
        if not self._status_is_routine():
            return
        if busy and not self.preview.paused:  # after Esc, queued progress must not bring "Rendering" back
            self.statusBar().showMessage("Rendering: " + ", ".join(f"{s.title} {int(s.fraction * 100)}%" for s in busy))

    def _on_preview_stopped(self, outcome: str) -> None:
        self._update_actions()
        if self.preview.paused and outcome == "cancelled":
            self.statusBar().showMessage(PAUSED_TEXT)
        done = all(s.fraction >= 1.0 for s in self.compare.slots if s.target is not None)
        if outcome == "finished" and done and self._status_is_routine():
            self.statusBar().showMessage("Preview complete", 4000)

    def _status_is_routine(self) -> bool:
        """Preview progress may replace the message shown; never one the user must read ("Saved …", an error)
        before it times out."""
        shown = self.statusBar().currentMessage()
        return not shown or shown.startswith("Rendering") or shown == PAUSED_TEXT

    def _update_actions(self) -> None:
        has_image = self.image is not None
        a = self.actions
        # The view toggles too: before an image, Ctrl+I or L flipped a state with nothing to show it on.
        for act in (a.save, a.zoom_in, a.zoom_out, a.fit, a.one_to_one, a.side, a.split, a.info, a.lens, *a.inputs):
            act.setEnabled(has_image)
        a.save.setEnabled(has_image and self.save_worker is None)
        a.next.setEnabled(len(self.images.paths) > 1)
        a.previous.setEnabled(len(self.images.paths) > 1)
        a.cancel.setEnabled(self.preview.busy or self.save_worker is not None)

    # -- window state ------------------------------------------------------------
    def _restore_window(self) -> None:
        s = self.settings
        if s.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(s.window_geometry.encode()))
        else:
            self._first_geometry()
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode()))

    def _first_geometry(self) -> None:
        """Most of the screen, centred: three panes side by side need the room (a fixed 1280x800 left a
        1600x1000 screen a third empty, and overflowed an 800x600 one)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        avail = screen.availableGeometry()
        w = min(int(avail.width() * FIRST_SHARE), FIRST_MAX[0])
        h = min(int(avail.height() * FIRST_SHARE), FIRST_MAX[1])
        self.setGeometry(
            QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter, QSize(w, h), avail)
        )

    def _save_settings(self) -> None:
        if not self.persist:
            return
        try:
            save_settings(self.settings)
        except Exception as exc:  # noqa: BLE001 - never lose the window over a settings file
            log.warning("cannot save settings: %s", exc)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.realism.close()
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        self._save_settings()
        for w in (self.save_worker, self.load_worker):
            if w is not None:
                w.cancel()
        self.preview.shutdown()
        for w in (self.save_worker, self.load_worker, self.realism.worker):
            if w is not None:
                w.wait(10000)
        if self._batch_window is not None:
            self._batch_window.close()
        super().closeEvent(event)
