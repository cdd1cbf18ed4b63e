"""Rough edges a new user met, third round: the preview's passes against Settings › Quality, the settings
dialog's label column, the fine-tune wizard's first page, and keys for the Input control and Realism slider."""

from __future__ import annotations

import dataclasses

import numpy as np
from gui_fixtures import make_photo, registry, studio_models, wait_loaded, wait_rendered, wait_worker, window  # noqa: F401
from PySide6.QtCore import QPoint
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from srgan_studio.core.imageio import read_image
from srgan_studio.core.settings import Settings
from srgan_studio.gui import main_window_saving
from srgan_studio.gui.save_job import SaveOptions
from srgan_studio.gui.settings_dialog import SettingsDialog


def _open(qtbot, win, path):
    win.open_paths([path])
    wait_loaded(qtbot, win)


def _spy_preview(win) -> list:
    """The upscalers the preview renders with, as it asks for them."""
    used, real = [], win.cache.get_preview

    def get_preview(descriptor):
        up = real(descriptor)
        used.append(up)
        return up

    win.cache.get_preview = get_preview
    return used


def _spy_save(monkeypatch) -> dict:
    seen, real = {}, main_window_saving.save_job

    def save_job(upscaler, image, options, cancel, preview=None):
        seen.update(passes=upscaler.ensemble, reused=preview is not None)
        return (yield from real(upscaler, image, options, cancel, preview))

    monkeypatch.setattr(main_window_saving, "save_job", save_job)
    return seen


# -- the preview keeps 1 pass, Save uses Settings › Quality ---------------------------------------


def test_at_8_passes_the_preview_runs_one_and_the_save_eight(qtbot, window, tmp_path, registry, monkeypatch):
    from srgan_studio.core.upscale import Upscaler, drain

    window._on_settings_applied(dataclasses.replace(window.settings, ensemble=8))
    used = _spy_preview(window)
    photo = make_photo(tmp_path / "photo.png", 40, 32)
    _open(qtbot, window, photo)
    wait_rendered(qtbot, window)
    networks = [up for up in used if not up.is_bicubic]
    assert networks and {up.ensemble for up in networks} == {1}
    assert "Preview: 1 pass · Save: 8 passes" in window.info_label.text()

    seen = _spy_save(monkeypatch)
    desc = registry.get("srgan_x4")
    out = tmp_path / "photo_8.png"
    worker = window.save_to(SaveOptions(out, "png"), desc)
    assert "8 passes" in window.statusBar().currentMessage()
    wait_worker(qtbot, worker)
    assert worker.outcome == "finished", worker.error
    # The finished 1-pass preview blocks are not the 8-pass pixels: the save renders them all again.
    assert seen == {"passes": 8, "reused": False}
    image = read_image(photo)
    eight = drain(Upscaler(desc, device="cpu", ensemble=8).run(image))
    one = drain(Upscaler(desc, device="cpu").run(image))
    saved = read_image(out)
    assert np.array_equal(saved.color, eight.color) and not np.array_equal(saved.color, one.color)


def test_at_one_pass_the_save_reuses_the_preview_and_no_passes_are_shown(
    qtbot, window, tmp_path, registry, monkeypatch
):
    _open(qtbot, window, make_photo(tmp_path / "photo.png", 40, 32))
    wait_rendered(qtbot, window)
    assert "pass" not in window.info_label.text()
    seen = _spy_save(monkeypatch)
    worker = window.save_to(SaveOptions(tmp_path / "out.png", "png"), registry.get("srgan_x4"))
    wait_worker(qtbot, worker)
    assert seen == {"passes": 1, "reused": True}


def test_the_quality_setting_says_what_the_preview_runs(qtbot):
    dialog = SettingsDialog(Settings(ensemble=1), devices=["cpu"])
    qtbot.addWidget(dialog)
    assert dialog.passes_hint.text() == "Preview and Save: 1 pass"
    dialog.ensemble.setCurrentIndex(dialog.ensemble.findData(8))
    assert dialog.passes_hint.text() == "Preview: 1 pass · Save: 8 passes"
    assert "preview runs 1 pass" in dialog.ensemble.toolTip()


# -- the settings dialog's fields start at one x --------------------------------------------------


def test_the_settings_fields_line_up_across_the_groups(qtbot):
    dialog = SettingsDialog(Settings(), devices=["cpu"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    fields = (dialog.device, dialog.ensemble, dialog.output_format, dialog.jpeg_quality, dialog.theme)
    xs = {w.mapTo(dialog, QPoint(0, 0)).x() for w in fields}
    assert len(xs) == 1, xs  # Processing, Output and Appearance each sized their own label column


# -- the wizard's first page reads top to bottom ---------------------------------------------------


def _visible_rows(page):
    lay = page.layout()
    rows = []
    for i in range(lay.count()):
        item = lay.itemAt(i)
        w = item.widget()
        if w is not None and w.isVisible():
            rows.append(w.geometry())
        elif item.layout() is not None:
            rows.append(item.layout().geometry())
    return rows


def test_the_wizards_first_page_has_no_hole(qtbot, tmp_path):
    from finetune_fixtures import isolated_registry, make_photos
    from PySide6.QtWidgets import QWizard

    from srgan_studio.gui.finetune_wizard import FinetuneWizard

    wiz = FinetuneWizard(None, registry=isolated_registry())
    qtbot.addWidget(wiz)
    wiz.setWizardStyle(QWizard.WizardStyle.ClassicStyle)  # the same on every platform
    wiz.show()
    qtbot.waitExposed(wiz)
    page = wiz.folder_page
    assert not page.bad_list.isVisible() and not page.heldout_list.isVisible()  # nothing found yet
    folder = make_photos(tmp_path / "photos", n=6)
    (folder / "notes.jpg").write_bytes(b"not a photo")
    page.set_folder(str(folder))
    qtbot.waitUntil(lambda: wiz.scan is not None, timeout=10_000)
    QApplication.processEvents()
    assert page.bad_list.isVisible() and page.heldout_list.isVisible()
    rows = _visible_rows(page)
    spacing = page.layout().spacing()
    gaps = [b.top() - a.bottom() - 1 for a, b in zip(rows, rows[1:])]
    assert len(rows) >= 6 and max(gaps) <= spacing + 2, gaps  # the labels shared the spare height
    assert rows[-1].bottom() < page.height() - 100  # the room left is below, not between


# -- keys for the Input control and the Realism slider -----------------------------------------------


def test_the_input_control_has_keys(qtbot, window, tmp_path):
    a = window.actions
    assert a.input_photo.shortcut() == QKeySequence("Ctrl+Shift+P")
    assert a.input_clean.shortcut() == QKeySequence("Ctrl+Shift+C")
    assert not a.input_photo.isEnabled()  # like the control: nothing measured before an image
    _open(qtbot, window, make_photo(tmp_path / "photo.png"))
    a.input_clean.trigger()
    assert a.input_kind.currentData() == "clean" and window.roles.kind == "clean"
    a.input_photo.trigger()
    assert a.input_kind.currentData() == "photo" and window.roles.kind == "photo"


def test_brackets_step_the_realism_slider_by_its_ticks(qtbot, window):
    slider = window.actions.realism
    slider.setEnabled(True)
    slider.setValue(40)
    window.actions.realism_more.trigger()
    assert slider.value() == 50  # to the next tick, not 40 + 25
    window.actions.realism_more.trigger()
    assert slider.value() == 75
    window.actions.realism_less.trigger()
    window.actions.realism_less.trigger()
    assert slider.value() == 25
    slider.setValue(100)
    window.actions.realism_more.trigger()
    assert slider.value() == 100
    slider.setEnabled(False)
    slider.setToolTip("Realism slider unavailable: no twin")
    window.actions.realism_less.trigger()
    assert slider.value() == 100 and window.statusBar().currentMessage() == "Realism slider unavailable: no twin"


def test_help_lists_the_new_keys_and_none_is_taken_twice(qtbot, window):
    from PySide6.QtGui import QAction

    from srgan_studio.gui.actions import shortcut_rows

    rows = shortcut_rows(window.actions)
    for row in (
        ("Ctrl+Shift+P", "Input: Photo (compressed or noisy)"),
        ("Ctrl+Shift+C", "Input: Clean source"),
        ("]", "More Realism"),
        ("[", "Less Realism"),
    ):
        assert row in rows
    box = window.show_shortcuts()
    assert "Less Realism" in box.text() and "Input: Clean source" in box.text()
    box.close()
    keys = [k.toString() for act in vars(window.actions).values() if isinstance(act, QAction) for k in act.shortcuts()]
    assert len(keys) == len(set(keys))
