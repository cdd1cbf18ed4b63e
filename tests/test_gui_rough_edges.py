"""Rough edges a new user met in the GUI: window size, why Photo/Clean, messages that vanished, bad files."""

from __future__ import annotations

import pytest
from gui_fixtures import batch_window, make_photo, registry, studio_models, wait_loaded, wait_rendered, window  # noqa: F401
from PIL import Image as PILImage
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from srgan_studio.core.settings import Settings


def _open(qtbot, win, path):
    win.open_paths([path])
    wait_loaded(qtbot, win)


def _close_boxes(win):
    for box in win.findChildren(QMessageBox):
        box.done(0)


def _error_after_open(qtbot, win, path) -> str:
    before = win.last_error
    win.open_paths([path])
    qtbot.waitUntil(lambda: win.last_error != before and win.load_worker is None, timeout=10000)
    _close_boxes(win)
    return win.last_error


# -- first start ------------------------------------------------------------------


def test_first_start_fits_the_screen_and_is_centred(qtbot, registry):
    from srgan_studio.gui.main_window import MainWindow

    win = MainWindow(Settings(), registry=registry, persist=False)  # no saved geometry: a first start
    qtbot.addWidget(win)
    avail = QGuiApplication.primaryScreen().availableGeometry()
    assert avail.width() * 0.8 <= win.width() <= avail.width()
    assert avail.height() * 0.8 <= win.height() <= avail.height()
    assert abs(win.geometry().center().x() - avail.center().x()) <= 2
    assert abs(win.geometry().center().y() - avail.center().y()) <= 2


def test_first_start_keeps_the_open_hint_in_the_status_bar(qtbot, registry):
    from srgan_studio.gui.main_window import MainWindow

    win = MainWindow(Settings(realism=50), registry=registry, persist=False)
    qtbot.addWidget(win)
    win.show()
    hint = win.statusBar().currentMessage()
    win.refresh_models()  # builds the Realism blend before any image: no reason to tell the user
    qtbot.waitUntil(lambda: win.realism.worker is None and not win.realism._timer.isActive(), timeout=20000)
    assert win.statusBar().currentMessage() == hint
    assert "Ctrl+O" in hint


# -- messages that must stay ---------------------------------------------------------


def test_preview_complete_does_not_hide_saved(qtbot, window, tmp_path):
    _open(qtbot, window, make_photo(tmp_path / "photo.png", 40, 32))
    wait_rendered(qtbot, window)
    window.statusBar().showMessage("Saved /somewhere/photo_x4.png", 8000)
    window.preview.set_image(window.image)  # the preview runs again (as after a save) and finishes
    qtbot.waitUntil(lambda: window.preview.busy, timeout=5000)
    wait_rendered(qtbot, window)
    assert window.statusBar().currentMessage() == "Saved /somewhere/photo_x4.png"


def test_an_error_stays_in_the_status_bar_while_the_preview_finishes(qtbot, window, tmp_path):
    _open(qtbot, window, make_photo(tmp_path / "photo.png", 64, 48))
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    text = _error_after_open(qtbot, window, bad)
    wait_rendered(qtbot, window)
    assert window.statusBar().currentMessage() == f"notes.jpg: {text.split(': ', 1)[1]}"  # the file's name, no folders


# -- bad files ------------------------------------------------------------------------


def test_save_after_a_failed_open_names_the_photo_shown(qtbot, window, tmp_path, monkeypatch):
    from srgan_studio.gui import save_dialog

    photo = make_photo(tmp_path / "holiday.png", 40, 32)
    _open(qtbot, window, photo)
    bad = tmp_path / "zz_broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 cut short")
    _error_after_open(qtbot, window, bad)
    assert window.windowTitle().endswith("holiday.png")  # still shown
    seen = []
    monkeypatch.setattr(save_dialog.SaveDialog, "exec", lambda self: seen.append(self.path.text()) or 0)
    window._on_save()
    assert seen and seen[0].startswith(str(tmp_path / "holiday_")), seen  # not zz_broken_....jpg


def test_a_decompression_bomb_says_where_the_limit_is_set(qtbot, window, tmp_path):
    big = tmp_path / "panorama.png"
    PILImage.new("L", (4000, 3000)).save(big)
    window.settings.max_megapixels = 10
    text = _error_after_open(qtbot, window, big)
    assert "panorama.png" in text and "Settings" in text and "Largest input" in text
    assert window.image is None and window.stack.currentWidget() is window.hint  # the app goes on, nothing half-open


# -- why Photo or Clean source ------------------------------------------------------------


def test_the_input_control_says_why_a_phone_jpeg_is_a_photo(qtbot, window, tmp_path):
    make_photo(tmp_path / "src.png", 64, 48)
    jpeg = tmp_path / "IMG_2041.jpg"
    PILImage.open(tmp_path / "src.png").save(jpeg, quality=70)
    _open(qtbot, window, jpeg)
    combo = window.actions.input_kind
    assert combo.currentData() == "photo"
    assert "This image: Photo (compressed or noisy), because: JPEG file, quality 70." in combo.toolTip()
    assert "Photo (compressed or noisy): JPEG file, quality 70" in window.statusBar().currentMessage()

    combo.setCurrentIndex(combo.findData("clean"))
    combo.activated.emit(combo.currentIndex())  # the user overrides the guess: the measurement stays, and says so
    assert "because: JPEG file, quality 70.\nYou chose Clean source." in combo.toolTip()


def test_a_pasted_image_is_measured_too(qtbot, window, tmp_path):
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    window.set_input_kind("photo")
    flat = QImage(64, 48, QImage.Format.Format_RGB888)
    flat.fill(0x5A8CC8)  # no noise, no grid, nothing blurred: a clean source
    QApplication.clipboard().setImage(flat)
    window.paste_image()
    assert window.actions.input_kind.currentData() == "clean"
    assert "because:" in window.actions.input_kind.toolTip()


# -- the Realism slider -----------------------------------------------------------------


def test_the_realism_tooltip_names_the_pair_and_the_pane(qtbot, window):
    slider = window.actions.realism
    tip = slider.toolTip()
    assert "0% = Test SRResNet x4: faithful" in tip and "100% = Test SRResNet x4: sharpest" in tip
    assert "Changes the pane showing Test SRResNet x4" in tip and "Network interpolation" not in tip
    assert slider.parentWidget().toolTip() == tip  # the "Realism" label beside it explains too


# -- the batch window -------------------------------------------------------------------


def _phone_folder(tmp_path):
    src = tmp_path / "phone"
    src.mkdir()
    make_photo(src / "IMG_1.png", 32, 24)
    make_photo(src / "IMG_2.png", 40, 30, seed=1)
    (src / "notes.jpg").write_text("shopping list")  # a text file named .jpg: fails, with its reason
    (src / "readme.txt").write_text("not an image")  # left out before the run
    return src


def test_the_batch_window_says_what_the_folder_holds_before_start(qtbot, tmp_path):
    win = batch_window(qtbot, tmp_path)
    win.set_input(_phone_folder(tmp_path))
    qtbot.waitUntil(lambda: "Press Start" in win.summary_label.text(), timeout=5000)
    assert win.summary_label.text() == "3 images in phone. Press Start.\nLeft out: readme.txt (not an image)"


def test_the_batch_summary_names_what_was_left_out_and_shows_why_a_file_failed(qtbot, tmp_path):
    win = batch_window(qtbot, tmp_path)
    win.resize(900, 640)
    win.set_input(_phone_folder(tmp_path))
    win.set_models(["bicubic_x4"])
    win.start()
    qtbot.waitUntil(lambda: win.summary is not None and win.worker is None, timeout=60000)
    text = win.summary_label.text()
    assert "2 done" in text and "1 failed" in text and "the list says why" in text
    assert text.endswith("Left out: readme.txt (not an image)") and "tooltip" not in text
    failed = next(
        win.files.topLevelItem(i)
        for i in range(win.files.topLevelItemCount())
        if win.files.topLevelItem(i).text(0) == "notes.jpg"
    )
    shown = win.files.header().sectionSize(2)
    assert win.files.fontMetrics().horizontalAdvance(failed.text(2)) < shown  # the reason, not "not an image in…"


# -- the dark theme -----------------------------------------------------------------------


@pytest.fixture
def dark(qapp):
    from srgan_studio.gui.theme import apply_theme

    style, palette = qapp.style().name(), qapp.palette()
    apply_theme(qapp, "dark")
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_an_unchecked_box_shows_on_the_dark_theme(qtbot, dark):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QCheckBox

    box = QCheckBox("Include subfolders")
    qtbot.addWidget(box)
    box.resize(160, 24)
    from PySide6.QtWidgets import QStyle, QStyleOptionButton

    opt = QStyleOptionButton()
    box.initStyleOption(opt)
    mark = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, opt, box)
    img = box.grab().toImage()
    field = dark.palette().base().color().lightness()
    row = [QColor(img.pixel(x, mark.center().y())).lightness() for x in range(mark.left(), mark.right() + 1)]
    assert max(row) - field > 60, row  # the box's edge stands out from the field inside it


# -- Save -----------------------------------------------------------------------------------


def test_the_save_dialog_says_the_icc_profile_stays_as_the_writer_does(qtbot, window, tmp_path):
    from srgan_studio.gui.save_dialog import SaveDialog

    _open(qtbot, window, make_photo(tmp_path / "photo.png", 40, 32))
    dialog = SaveDialog(window, window.settings, window.save_choices(), window.shown_path)
    qtbot.addWidget(dialog)
    text = dialog.keep_metadata.text()
    assert "EXIF" in text and "ICC profile is always kept" in text  # unticked, core/imagewrite.py keeps the ICC


def test_the_count_goes_when_the_input_is_no_folder_any_more(qtbot, tmp_path):
    win = batch_window(qtbot, tmp_path)
    src = _phone_folder(tmp_path)
    win.set_input(src)
    qtbot.waitUntil(lambda: "Press Start" in win.summary_label.text(), timeout=5000)
    win.set_input(tmp_path / "phon")  # half typed
    qtbot.waitUntil(lambda: "Press Start" not in win.summary_label.text(), timeout=5000)
    assert win.summary_label.text() == "No such folder."


def test_the_status_after_save_says_what_how_big_and_where(qtbot, window, tmp_path, registry):
    from gui_fixtures import wait_worker

    from srgan_studio.gui.save_job import SaveOptions

    _open(qtbot, window, make_photo(tmp_path / "photo.png", 30, 20))
    out = tmp_path / "out" / "photo_srgan_x4.png"
    out.parent.mkdir()
    worker = window.save_to(SaveOptions(out, "png"), registry.get("srgan_x4"))
    wait_worker(qtbot, worker, timeout=60000)
    qtbot.waitUntil(lambda: window.save_worker is None, timeout=5000)
    assert window.statusBar().currentMessage() == f"Saved photo_srgan_x4.png (120×80) in {out.parent}"
