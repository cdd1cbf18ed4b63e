"""Drive the real app and save screenshots (run by scripts/screenshots.sh under Xvfb).

Opens the app the way ``srgan-studio photo.png`` does, waits for the preview
to render, and captures the screen (QScreen.grabWindow(0): the X server's
framebuffer, as a user would see it) for: the first start, the side-by-side
compare view, a zoomed detail with the info overlay, the split slider, a
phone JPEG at quality 70 and 95 (the preview filling in, the Input control's
reason, 1:1, the Realism slider at 0 and 100 %), Save, three bad files, the
dark theme (and its toolbar up close), two batches (one with bad files, at the
defaults), the settings dialog, the model manager, the shortcuts and the
fine-tune wizard's first page. Inputs come from scripts/screenshot_samples.py.

Usage: python scripts/screenshot_driver.py OUT_DIR [--only dialogs,quality]
  --only: just those parts (a quick look at one window; QT_SCALE_FACTOR=2 for 200 %):
  dialogs = settings, models, shortcuts and the wizard; quality = a photo with Quality at 8 passes;
  wizard = the fine-tune wizard's setup pages on a scanned folder.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image
from screenshot_samples import bad_files, mixed_folder, phone_jpegs, sample_folder, sample_photo, transparent_photo


class Driver:
    """The running app, a pump for its event loop and a camera."""

    def __init__(self, out: Path):
        from srgan_studio.gui.app import create_app

        self.out = out
        self.app = create_app([])
        self.win = None

    def pump(self, seconds: float, until=None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.01)
        return until is None

    def shot(self, name: str, widget=None) -> None:
        self.pump(0.4)
        pix = self.app.primaryScreen().grabWindow(0) if widget is None else widget.grab()
        path = self.out / f"{name}.png"
        pix.save(str(path))
        print(f"saved {path}")

    def rendered(self) -> bool:
        win = self.win
        slots = [s for s in win.compare.slots if s.descriptor is not None]
        return win.image is not None and not win.preview.busy and all(s.fraction >= 1 for s in slots)

    def open_and_render(self, path: Path, seconds: float = 180) -> None:
        self.win.open_paths([path])
        self.pump(seconds, lambda: self.win.windowTitle().endswith(path.name) and self.rendered())

    def message_boxes(self) -> list:
        from PySide6.QtWidgets import QMessageBox

        return [w for w in self.app.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]

    def close_message_boxes(self) -> None:
        for box in self.message_boxes():
            box.done(0)
        self.pump(0.1)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--only")]
    only = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--only=")), "")
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = (out / "_work").resolve()
    work.mkdir(exist_ok=True)
    d = Driver(out)
    first_start(d)
    if only:
        parts = {
            "dialogs": lambda: dialogs(d),
            "quality": lambda: quality_passes(d, work),
            "wizard": lambda: wizard_pages(d, work),
        }
        for name in only.split(","):
            parts[name]()
        d.win.close()
        return 0
    classic_views(d, work)
    phone_photo(d, work)
    saving(d, work)
    bad_inputs(d, work)
    dark_theme(d)
    batches(d, work)
    dialogs(d)
    d.win.close()
    return 0


def first_start(d: Driver) -> None:
    """No image yet, the window at the size it opens with on a 1600x1000 screen."""
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.app import build_main_window

    t0 = time.perf_counter()
    d.win = build_main_window([], settings=Settings(theme="light"), persist=False)
    d.win.show()
    d.pump(0.3)
    print(
        f"window shown in {time.perf_counter() - t0:.2f} s, {d.win.width()}x{d.win.height()} at {d.win.x()},{d.win.y()}"
    )
    d.shot("00_first_start")
    show_tooltip(d.win.actions.input_kind)
    d.shot("00b_input_auto_tooltip")  # no image measured yet: 'Auto', and why
    hide_tooltip()


def show_tooltip(widget) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QToolTip

    QToolTip.showText(widget.mapToGlobal(QPoint(10, widget.height())), widget.toolTip(), widget)


def hide_tooltip() -> None:
    from PySide6.QtWidgets import QToolTip

    QToolTip.hideText()


def classic_views(d: Driver, work: Path) -> None:
    """The drawn sample: side by side, a zoomed detail with the info overlay, the lens, the split, transparency."""
    win = d.win
    photo = sample_photo(work / "photo.png")
    d.open_and_render(photo, 120)
    d.shot("01_compare_side_by_side")
    view = win.compare.view
    win.actions.info.setChecked(True)
    view.set_zoom(1.0)
    view.cx, view.cy = 0.28 * view.image_w, 0.62 * view.image_h
    view.set_zoom(2.0)
    d.pump(120, d.rendered)
    d.shot("02_detail_zoom_info")
    win.actions.info.setChecked(False)
    view.fit()
    d.pump(120, d.rendered)
    win.actions.lens.setChecked(True)
    view.set_lens((0.55 * view.image_w, 0.86 * view.image_h))
    d.shot("02b_lens")
    win.actions.lens.setChecked(False)
    win.actions.split.trigger()
    view.fit()
    win.compare.split_left.setCurrentIndex(0)
    win.compare.split_right.setCurrentIndex(2)
    win.compare._on_split_choice()
    win.compare.split_pane.set_split(0.45)
    view.set_zoom(view.zoom * 1.6)
    d.pump(120, d.rendered)
    d.shot("03_split_slider")
    win.actions.side.trigger()
    d.open_and_render(transparent_photo(work / "cutout.png", photo), 120)
    d.shot("03b_transparent")
    jpeg = work / "photo_q40.jpg"
    Image.open(photo).save(jpeg, quality=40)
    d.open_and_render(jpeg)
    d.shot("03c_input_photo_jpeg")


def phone_photo(d: Driver, work: Path) -> None:
    """A phone JPEG at q70 and q95: which models, why, the preview filling in, 1:1, the Realism slider."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QToolTip

    win = d.win
    q70, q95 = phone_jpegs(work)
    win.open_paths([q70])
    d.pump(120, lambda: win.image is not None and any(0 < s.fraction < 1 for s in win.compare.slots))
    d.shot("10_phone_q70_rendering")
    d.pump(240, lambda: win.windowTitle().endswith(q70.name) and d.rendered())
    d.shot("10b_phone_q70_done")
    combo = win.actions.input_kind
    QToolTip.showText(combo.mapToGlobal(QPoint(10, combo.height())), combo.toolTip(), combo)
    d.shot("10c_phone_q70_input_tooltip")
    QToolTip.hideText()
    d.open_and_render(q95, 240)
    d.shot("11_phone_q95")
    QToolTip.showText(combo.mapToGlobal(QPoint(10, combo.height())), combo.toolTip(), combo)
    d.shot("11b_phone_q95_input_tooltip")
    QToolTip.hideText()
    view = win.compare.view
    win.actions.one_to_one.trigger()
    view.cx, view.cy = 0.30 * view.image_w, 0.60 * view.image_h
    view.set_zoom(1.0)
    d.pump(240, d.rendered)
    d.shot("12_phone_one_to_one")
    for percent in (0, 100):
        win.actions.realism.setValue(percent)
        d.pump(60, lambda: not win.realism._timer.isActive() and win.realism.worker is None and d.rendered())
        d.shot(f"13_realism_{percent}")
    slider = win.actions.realism
    QToolTip.showText(slider.mapToGlobal(QPoint(10, slider.height())), slider.toolTip(), slider)
    d.shot("13b_realism_tooltip")
    QToolTip.hideText()
    win.actions.realism.setValue(50)
    view.fit()
    d.pump(240, lambda: not win.realism._timer.isActive() and win.realism.worker is None and d.rendered())


def saving(d: Driver, work: Path) -> None:
    """Save: the dialog's defaults, then what the status bar says after."""
    from srgan_studio.gui.save_dialog import SaveDialog

    win = d.win
    dialog = SaveDialog(
        win,
        win.settings,
        win.save_choices(),
        win.images.current,
        default_name=win.roles.pair(win._installed())[0],
        input_size=(win.image.width, win.image.height),
    )
    dialog.show()
    dialog.move(300, 200)
    d.shot("14_save_dialog")
    print(f"save dialog: {dialog.model.currentData()} -> {dialog.path.text()}, output {dialog.output.text()}")
    worker = win.save_to(dialog.options(), dialog.descriptor())
    dialog.close()
    d.pump(240, lambda: win.save_worker is None)
    d.shot("14b_after_save")
    print(f"saved: {worker is not None}; status: {win.statusBar().currentMessage()}")


def bad_inputs(d: Driver, work: Path) -> None:
    """A text file named .jpg, a cut-off JPEG, a PNG whose header claims 1.2 gigapixels."""
    for kind, path in bad_files(work / "bad").items():
        d.win.open_paths([path])
        d.pump(30, lambda: bool(d.message_boxes()))
        d.shot(f"15_bad_{kind}")
        print(f"bad {kind}: {[b.text() for b in d.message_boxes()]}; status: {d.win.statusBar().currentMessage()}")
        d.close_message_boxes()


def dark_theme(d: Driver) -> None:
    from srgan_studio.gui.icons import retint_all
    from srgan_studio.gui.theme import apply_theme

    apply_theme(d.app, "dark")
    retint_all()
    d.win.compare.view.fit()
    d.pump(120, d.rendered)
    d.shot("04_dark_theme")
    bar = d.win.actions.toolbar
    pix = bar.grab()
    pix.scaled(pix.width() * 2, pix.height() * 2).save(str(d.out / "04b_dark_toolbar_x2.png"))  # the slider up close


def batches(d: Driver, work: Path) -> None:
    """The drawn album with every model, then a phone folder with bad files at the defaults (dark theme)."""
    from PySide6.QtTest import QTest

    win = d.win
    batch = win.show_batch()
    batch.resize(1000, 640)
    batch.move(60, 40)
    QTest.keyClicks(batch.input_dir, str(sample_folder(work / "album")))  # typed, as a user does
    d.shot("05a_batch_after_typing")
    batch.set_models(["bicubic_x4", *[n for n in ("srresnet_x4", "srgan_x4") if n in win.registry]])
    batch.start()
    d.pump(300, lambda: batch.summary is not None and batch.worker is None)
    d.shot("05_batch_window")
    batch.close()
    win._batch_window = None  # a fresh window: the defaults a first-time user sees

    batch = win.show_batch(mixed_folder(work / "phone"))
    batch.move(60, 40)
    d.shot("16_batch_mixed_defaults")
    batch.start()
    d.pump(300, lambda: batch.summary is not None and batch.worker is None)
    d.shot("16b_batch_mixed_done")
    print(f"batch summary: {batch.summary_label.text()}")
    batch.close()


def quality_passes(d: Driver, work: Path) -> None:
    """Settings › Quality at 8 passes: the preview stays at 1 and the status bar and the dialog say so."""
    import dataclasses

    win = d.win
    d.open_and_render(sample_photo(work / "photo.png"), 120)
    win._on_settings_applied(dataclasses.replace(win.settings, ensemble=8))
    d.pump(120, d.rendered)
    d.shot("17_quality_8_passes_preview")
    dialog = win.show_settings()
    dialog.move(200, 120)
    d.shot("17b_quality_8_passes_settings")
    dialog.reject()
    win._on_settings_applied(dataclasses.replace(win.settings, ensemble=1))


def wizard_pages(d: Driver, work: Path) -> None:
    """The fine-tune wizard at its default size: the first page scanned, then base, degradation and budget."""
    wizard = d.win.show_finetune()
    wizard.move(200, 100)
    page = wizard.folder_page
    page.set_folder(str(sample_folder(work / "tune", n=12)))
    d.pump(30, lambda: wizard.scan is not None or bool(page.error.text()))
    d.shot("09b_finetune_scanned")
    for name in ("09c_finetune_base", "09d_finetune_degradation", "09e_finetune_budget"):
        wizard.next()
        d.shot(name)
    wizard.close()


def dialogs(d: Driver) -> None:
    """Settings and the model manager, in the dark theme and then the light one."""
    from srgan_studio.gui.icons import retint_all
    from srgan_studio.gui.theme import apply_theme

    for theme in ("dark", "light"):
        apply_theme(d.app, theme)
        retint_all()
        d.win.settings.theme = theme
        dialog = d.win.show_settings()
        dialog.move(200, 120)
        d.shot(f"06_settings_{theme}")
        dialog.reject()
        mm = d.win.show_models()
        mm.move(160, 60)
        mm.reload(select="srresnet_x4")
        d.shot(f"07_model_manager_{theme}")
        mm.close()
    box = d.win.show_shortcuts()
    d.shot("08_shortcuts")
    box.done(0)
    wizard = d.win.show_finetune()
    wizard.move(200, 100)
    d.shot("09_finetune_wizard")
    wizard.close()


if __name__ == "__main__":
    sys.exit(main())
