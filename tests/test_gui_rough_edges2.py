"""More rough edges a new user met in the GUI: the Input control before an image, the dark slider groove,
the model manager's size, the bomb message, the output size in Save, and what the screenshots showed."""

from __future__ import annotations

import struct
import zlib

from gui_fixtures import make_photo, registry, studio_models, wait_loaded, window  # noqa: F401
from PySide6.QtWidgets import QApplication, QMessageBox

from srgan_studio.core.errors import ImageReadError


def _open(qtbot, win, path):
    win.open_paths([path])
    wait_loaded(qtbot, win)


def _png_claiming(path, w: int, h: int):
    """A PNG of a few bytes whose header says ``w`` x ``h``: a bomb by its header, no pixels allocated."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")
    )
    return path


# -- a decompression bomb says how big it is ----------------------------------------------


def test_a_bomb_names_its_size_and_the_limit(tmp_path):
    import pytest
    from PIL import Image as PILImage

    from srgan_studio.core.imageio import read_image

    bomb = _png_claiming(tmp_path / "photo.png", 30000, 20000)
    with pytest.raises(ImageReadError) as err:
        read_image(bomb, max_pixels=180_000_000)
    assert str(err.value) == (
        f"{bomb}: 30000x20000 = 600 megapixels, over the limit of 180 megapixels for safety; raise the limit to open it"
    )
    with pytest.raises(ImageReadError, match="30000x20000 = 600 megapixels, over the limit of 179 megapixels"):
        read_image(bomb, max_pixels=None)  # Pillow's own limit
    assert PILImage.MAX_IMAGE_PIXELS == 89478485  # reading the size turned Pillow's guard off for good


def test_the_gui_shows_the_bomb_size(qtbot, window, tmp_path):
    bomb = _png_claiming(tmp_path / "photo.png", 30000, 20000)
    window.open_paths([bomb])
    qtbot.waitUntil(lambda: window.last_error != "" and window.load_worker is None, timeout=10000)
    for box in window.findChildren(QMessageBox):
        box.done(0)
    assert "photo.png: 30000x20000 = 600 megapixels, over the limit of 180 megapixels" in window.last_error
    assert "Largest input" in window.last_error


# -- the Input control before any image ------------------------------------------------------


def test_the_input_control_is_neutral_until_an_image_is_measured(qtbot, window, tmp_path):
    combo = window.actions.input_kind
    assert combo.currentIndex() == -1 and combo.currentText() == ""  # no "Clean source" guessed from nothing
    assert combo.placeholderText() == "Auto" and not combo.isEnabled()
    assert combo.toolTip().startswith("Auto: measured from each image when it opens.")

    _open(qtbot, window, make_photo(tmp_path / "holiday.png"))
    assert combo.isEnabled() and combo.currentText() in ("Photo (compressed or noisy)", "Clean source")
    assert "because:" in combo.toolTip()


# -- the Realism slider in the dark theme -----------------------------------------------------


def _groove_contrast(slider) -> float:
    """How far the groove right of the handle stands from the window colour (mean grey levels)."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    style = slider.style()
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, slider)
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, slider)
    image = slider.grab().toImage()
    bg = QColor("#2b2d31")
    y = groove.center().y()
    xs = range(handle.right() + 4, groove.right() - 4)
    diffs = []
    for x in xs:
        c = image.pixelColor(x, y)
        diffs.append((abs(c.red() - bg.red()) + abs(c.green() - bg.green()) + abs(c.blue() - bg.blue())) / 3)
    assert len(diffs) > 50
    return sum(diffs) / len(diffs)


def test_the_realism_groove_shows_in_the_dark_theme(qtbot, window):
    from srgan_studio.gui.theme import DarkStyle, palette_for

    slider = window.actions.realism
    style = DarkStyle()  # on the slider only: the app's style stays as the other tests expect it
    slider.setStyle(style)
    slider.setPalette(palette_for("dark"))
    slider.setValue(0)  # all of the groove right of the handle: the part that vanished
    assert _groove_contrast(slider) > 25
    slider.setEnabled(False)
    assert _groove_contrast(slider) > 25
    slider.setStyle(None)


# -- the model manager's size ---------------------------------------------------------------


class _ManyModels:
    """A registry of ``n`` user models with long names, as after a season of fine-tunes."""

    def __init__(self, n: int):
        from srgan_studio.core.descriptor import ModelDescriptor

        self.problems = []
        self._models = [
            ModelDescriptor(
                name=f"restore_x4_finetuned_on_the_holiday_photos_{i:02d}",
                title=f"Holiday fine-tune {i}",
                kind="onnx",
                architecture="srresnet",
                scale=4,
                user=True,
            )
            for i in range(n)
        ]

    def refresh(self):
        pass

    def list(self):
        return list(self._models)

    def get(self, name):
        return next(d for d in self._models if d.name == name)


def _manager(qtbot, n):
    from srgan_studio.gui.model_manager import ModelManager

    mm = ModelManager(_ManyModels(n))
    qtbot.addWidget(mm)
    mm.show()
    qtbot.waitExposed(mm)
    QApplication.processEvents()  # the table's scroll bars follow its new size in a queued layout
    return mm


def test_the_model_manager_opens_showing_its_whole_table(qtbot):
    mm = _manager(qtbot, 8)
    t = mm.table
    rows = sum(t.rowHeight(r) for r in range(t.rowCount()))
    assert t.viewport().height() >= rows  # every model without scrolling
    assert not t.verticalScrollBar().isVisible()
    assert t.columnWidth(1) >= t.sizeHintForColumn(1)  # the long name is not cut
    assert mm.details.height() >= 200  # and room left for the details
    avail = mm.screen().availableGeometry()
    assert mm.width() <= avail.width() and mm.height() <= avail.height()


def test_a_long_model_list_keeps_the_manager_on_the_screen(qtbot):
    mm = _manager(qtbot, 80)
    avail = mm.screen().availableGeometry()
    assert mm.width() <= avail.width() and mm.height() <= avail.height()
    assert mm.details.height() >= 200  # the table scrolls; the details do not vanish under it
    assert mm.table.verticalScrollBar().isVisible()


# -- Save says how big the output will be -----------------------------------------------------


def test_the_save_dialog_shows_the_output_size(qtbot, window, tmp_path, monkeypatch):
    from srgan_studio.gui import save_dialog

    _open(qtbot, window, make_photo(tmp_path / "holiday.png", 48, 40))
    seen = []
    monkeypatch.setattr(save_dialog.SaveDialog, "exec", lambda self: seen.append(self) or 0)
    window._on_save()
    dialog = seen[0]
    assert dialog.output.isVisibleTo(dialog)
    assert dialog.output.text() == "192 × 160 px, PNG"  # the model's own x4, same format as the input
    dialog.size.set_mode("width")
    dialog.size.width_px.setValue(3000)
    dialog.format.setCurrentIndex(dialog.format.findData("jpeg"))
    assert dialog.output.text() == "3000 × 2500 px (7.5 MP), JPEG"


# -- a long error in the status bar ------------------------------------------------------------


def test_an_error_in_the_status_bar_names_the_file_and_stops_before_the_image_info(qtbot, window, tmp_path):
    from PySide6.QtGui import QFontMetrics

    _open(qtbot, window, make_photo(tmp_path / "holiday.png"))
    deep = tmp_path / "a long folder name" / "and another one below it" / "bad"
    deep.mkdir(parents=True)
    bomb = _png_claiming(deep / "panorama.png", 40000, 30000)
    window.open_paths([bomb])
    qtbot.waitUntil(lambda: window.last_error != "" and window.load_worker is None, timeout=10000)
    for box in window.findChildren(QMessageBox):
        box.done(0)
    assert window.last_error.startswith(str(bomb))  # the dialog keeps the whole path
    shown = window.statusBar().currentMessage()
    assert shown.startswith("panorama.png: 40000x30000 = 1200 megapixels"), shown
    assert window.info_label.isVisible() and window.info_label.text()
    room = window.statusBar().width() - window.info_label.width()
    assert QFontMetrics(window.statusBar().font()).horizontalAdvance(shown) < room  # not under the image info


# -- what the screenshots showed ---------------------------------------------------------------


def test_the_view_toggles_wait_for_an_image(qtbot, window, tmp_path):
    a = window.actions
    toggles = (a.side, a.split, a.info, a.lens)
    assert not any(t.isEnabled() for t in toggles)  # Ctrl+I or L before an image flipped a state nothing showed
    a.lens.trigger()
    assert not a.lens.isChecked()
    _open(qtbot, window, make_photo(tmp_path / "holiday.png"))
    assert all(t.isEnabled() for t in toggles)
    assert a.side.isChecked()  # the mode chosen stays as it was


def test_fine_tune_has_a_shortcut_listed_in_help(qtbot, window):
    from PySide6.QtGui import QAction, QKeySequence

    from srgan_studio.gui.actions import shortcut_rows

    a = window.actions
    assert a.finetune.shortcut() == QKeySequence("Ctrl+Shift+F")
    assert ("Ctrl+Shift+F", "Fine-tune on My Photos") in shortcut_rows(a)
    keys = [k.toString() for act in vars(a).values() if isinstance(act, QAction) for k in act.shortcuts()]
    assert len(keys) == len(set(keys))  # no key does two things
