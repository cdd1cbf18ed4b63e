"""Main window: opening (drop, paste, folders, bad files), saving, realism, startup, window state."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
from gui_fixtures import (  # noqa: F401
    full_render,
    make_photo,
    registry,
    studio_models,
    wait_loaded,
    wait_rendered,
    wait_worker,
    window,
)
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from srgan_studio.core.imageio import read_image
from srgan_studio.gui.save_job import SaveOptions


def _drop(win, *paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return win.handle_drop(mime)


def test_save_writes_the_full_resolution_file(qtbot, window, tmp_path, registry):
    photo = make_photo(tmp_path / "photo.png", 52, 44)
    _drop(window, photo)
    wait_loaded(qtbot, window)
    desc = registry.get("srgan_x4")
    out = tmp_path / "out" / "photo_srgan_x4.png"
    out.parent.mkdir()
    worker = window.save_to(SaveOptions(out, "png"), desc)
    wait_worker(qtbot, worker, timeout=60000)
    assert worker.outcome == "finished", worker.error
    saved = read_image(out)
    assert (saved.width, saved.height) == (52 * 4, 44 * 4)
    want = full_render(desc, read_image(photo))
    assert np.array_equal(saved.color, want.color)
    assert "Saved" in window.statusBar().currentMessage()


def test_save_never_overwrites_the_input_or_an_existing_file(qtbot, window, tmp_path, registry):
    photo = make_photo(tmp_path / "photo.png")
    before = photo.read_bytes()
    _drop(window, photo)
    wait_loaded(qtbot, window)
    desc = registry.get("bicubic_x4")
    for target in (photo, tmp_path / "taken.png"):
        if target != photo:
            target.write_bytes(b"keep me")
        worker = (
            window.save_to(SaveOptions(target, "png", overwrite=target != photo), desc)
            if target == photo
            else window.save_to(SaveOptions(target, "png"), desc)
        )
        wait_worker(qtbot, worker, timeout=30000)
        assert worker.outcome == "errored"
        assert str(target.name) in window.last_error
    assert photo.read_bytes() == before
    assert (tmp_path / "taken.png").read_bytes() == b"keep me"


def test_save_can_be_cancelled_and_leaves_no_file(qtbot, window, tmp_path, registry):
    import threading

    from srgan_studio.core.upscale import Progress

    release = threading.Event()

    class Stuck:  # a render that stays at tile 1 of 10 until cancelled
        scale = 4  # save_job checks the output size first (dde3b3e)

        def run(self, image, cancel):
            yield Progress(1, 10, "tiles")
            while not release.wait(0.01):
                cancel.raise_if_cancelled()
            raise AssertionError("the render was never cancelled")

    _drop(window, make_photo(tmp_path / "p.png", 64, 48))
    wait_loaded(qtbot, window)
    window.cache.get = lambda descriptor, tile=None, passes=None: Stuck()
    out = tmp_path / "never.png"
    worker = window.save_to(SaveOptions(out, "png"), registry.get("srgan_x4"))
    qtbot.waitUntil(lambda: window.progress.value() == 1 and window.progress.maximum() == 10, timeout=10000)
    assert window.cancel_button.isVisible() and not window.actions.save.isEnabled()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: window.save_worker is None, timeout=10000)
    release.set()
    assert worker.outcome == "cancelled"
    assert not out.exists() and not list(tmp_path.glob(".srgan-partial-*"))
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.actions.save.isEnabled() and not window.progress.isVisible()


def test_bad_file_gives_a_clear_error_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not really a picture")
    _drop(window, bad)
    qtbot.waitUntil(lambda: bool(window.last_error), timeout=10000)
    assert "notes.png" in window.last_error and "\n" not in window.last_error
    assert window.image is None and window.isVisible()


def test_dropping_a_folder_offers_a_batch(qtbot, window, tmp_path):
    folder = tmp_path / "album"
    folder.mkdir()
    make_photo(folder / "a.png")
    _drop(window, folder)
    batch = window._batch_window
    assert batch is not None and batch.isVisible()
    assert batch.input_dir.text() == str(folder)
    assert batch.output_dir.text() == str(tmp_path / "album_upscaled")


def test_paste_from_clipboard(qtbot, window):
    img = QImage(30, 20, QImage.Format.Format_RGB888)
    img.fill(0x336699)
    QApplication.clipboard().setImage(img)
    window.paste_image()
    assert window.image is not None and (window.image.width, window.image.height) == (30, 20)
    assert tuple(window.image.color[0, 0]) == (0x33, 0x66, 0x99)
    assert window.windowTitle() == "SRGAN Studio — pasted image"
    wait_rendered(qtbot, window)


def test_next_and_previous_image(qtbot, window, tmp_path):
    a = make_photo(tmp_path / "a.png", 40, 30, seed=1)
    b = make_photo(tmp_path / "b.png", 36, 28, seed=2)
    _drop(window, a, b)
    wait_loaded(qtbot, window)
    assert window.windowTitle().endswith("a.png")
    window.actions.next.trigger()
    qtbot.waitUntil(lambda: window.windowTitle().endswith("b.png"), timeout=10000)
    assert window.image.width == 36
    window.actions.previous.trigger()
    qtbot.waitUntil(lambda: window.windowTitle().endswith("a.png"), timeout=10000)


def test_realism_slider_blends_the_networks(qtbot, window, tmp_path, registry):
    assert window.actions.realism.isEnabled()
    _drop(window, make_photo(tmp_path / "p.png", 40, 32))
    wait_loaded(qtbot, window)
    gan_slot = window.compare.slots[2]
    window.actions.realism.setValue(100)
    qtbot.waitUntil(lambda: gan_slot.descriptor.name == "srgan_x4", timeout=20000)
    wait_rendered(qtbot, window)
    pure_gan = gan_slot.target.canvas.copy()
    window.actions.realism.setValue(50)
    qtbot.waitUntil(lambda: gan_slot.descriptor.name == "srgan_x4@r50", timeout=20000)
    wait_rendered(qtbot, window)
    blended = gan_slot.target.canvas
    fidelity = window.compare.slots[1].target.canvas
    assert np.abs(blended.astype(int) - pure_gan).mean() > 0.2
    assert np.abs(blended.astype(int) - fidelity).mean() > 0.2


def test_realism_starts_moderate_is_remembered_and_labels_agree_at_zero(qtbot, registry, tmp_path):
    # Defaults (issue 18): Realism starts at 50% and is remembered; bug 6: at 0% the third pane
    # was labelled "SRResNet x4" while its menu said "SRGAN x4".
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.main_window import MainWindow

    window = MainWindow(Settings(), registry=registry, persist=False)
    qtbot.addWidget(window)
    window.show()
    window.refresh_models()
    assert window.actions.realism.value() == 50 and window.actions.realism_label.text() == "50%"
    _drop(window, make_photo(tmp_path / "p.png", 40, 32))
    wait_loaded(qtbot, window)
    gan_slot, combo = window.compare.slots[2], window.compare.combos[2]
    qtbot.waitUntil(
        lambda: gan_slot.descriptor is not None and gan_slot.descriptor.name == "srgan_x4@r50", timeout=20000
    )
    window.actions.realism.setValue(0)
    qtbot.waitUntil(lambda: gan_slot.descriptor.name == "srgan_x4@r0", timeout=20000)
    assert combo.currentText() in gan_slot.title and "realism 0%" in gan_slot.title
    assert window.settings.realism == 0  # what the settings file will remember
    window.close()


def test_missing_models_show_not_installed(qtbot, tmp_path):
    from srgan_studio.core.registry import Registry
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.main_window import MainWindow

    empty = tmp_path / "none"
    empty.mkdir()
    win = MainWindow(Settings(), registry=Registry(bundled_dir=empty), persist=False)
    qtbot.addWidget(win)
    win.show()
    win.refresh_models()
    win.open_paths([make_photo(tmp_path / "p.png")])
    wait_loaded(qtbot, win)
    slots = win.compare.slots
    assert slots[0].descriptor.name == "bicubic_x4"
    assert [s.missing for s in slots[1:]] == ["model not installed"] * 2
    assert not win.actions.realism.isEnabled()
    wait_rendered(qtbot, win)
    win.preview.shutdown()


def test_window_geometry_is_remembered(qtbot, tmp_path):
    from srgan_studio.core.settings import load_settings
    from srgan_studio.gui.app import build_main_window

    win = build_main_window()
    qtbot.addWidget(win)
    win.show()
    win.resize(700, 455)  # inside the offscreen 800x600 screen
    win.close()
    assert load_settings().window_geometry
    again = build_main_window()
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == (700, 455)
    again.close()


def test_startup_does_not_import_torch(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["SRGAN_STUDIO_CONFIG_DIR"] = {str(tmp_path / "c")!r}
        os.environ["SRGAN_STUDIO_DATA_DIR"] = {str(tmp_path / "d")!r}
        from srgan_studio.gui.app import build_main_window, create_app
        app = create_app([])
        win = build_main_window()
        win.show()
        app.processEvents()
        win.refresh_models()
        print(sorted(m for m in ("torch", "onnxruntime") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_shortcuts(qtbot, window, tmp_path):
    from PySide6.QtGui import QKeySequence

    a = window.actions
    want = {
        a.open: "Ctrl+O",
        a.save: "Ctrl+S",
        a.zoom_in: "Ctrl++",
        a.zoom_out: "Ctrl+-",
        a.fit: "Ctrl+0",
        a.one_to_one: "Ctrl+1",
        a.next: "PgDown",
        a.previous: "PgUp",
        a.paste: "Ctrl+V",
        a.cancel: "Esc",
    }
    for action, keys in want.items():
        assert QKeySequence(keys) in action.shortcuts(), action.text()
    _drop(window, make_photo(tmp_path / "p.png", 64, 48))
    wait_loaded(qtbot, window)
    view = window.compare.view
    fit = view.zoom
    a.zoom_in.trigger()
    assert view.zoom > fit
    a.one_to_one.trigger()
    assert view.zoom == 1.0
    a.fit.trigger()
    assert view.zoom == fit and view.fit_mode


def test_fine_tune_is_greyed_out_with_the_reason_when_torch_is_missing(qtbot, tmp_path, monkeypatch):
    import importlib.util

    from srgan_studio.core.registry import Registry
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.main_window import MainWindow

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    empty = tmp_path / "none"
    empty.mkdir()
    win = MainWindow(Settings(), registry=Registry(bundled_dir=empty), persist=False)
    qtbot.addWidget(win)
    assert not win.actions.finetune.isEnabled()
    assert "srgan-studio[train]" in win.actions.finetune.toolTip()
    monkeypatch.setattr(importlib.util, "find_spec", real)
    again = MainWindow(Settings(), registry=Registry(bundled_dir=empty), persist=False)
    qtbot.addWidget(again)
    assert again.actions.finetune.isEnabled()


def test_os_file_open_events_open_the_image(qtbot, window, tmp_path):
    from PySide6.QtGui import QFileOpenEvent

    from srgan_studio.gui.app import _open_files_from_the_os

    photo = make_photo(tmp_path / "from finder.png", 44, 30)
    keeper = _open_files_from_the_os(QApplication.instance(), window)
    assert QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(photo)))
    wait_loaded(qtbot, window)
    assert window.windowTitle().endswith("from finder.png") and window.image.width == 44
    QApplication.instance().removeEventFilter(keeper)


def test_help_lists_the_shortcuts(qtbot, window):
    box = window.show_shortcuts()
    text = box.text()
    for keys, what in (("Ctrl+O", "Open"), ("Ctrl+B", "Batch Folder"), ("Esc", "Cancel Render"), ("F1", "Keyboard")):
        assert keys in text and what in text
    box.close()


def test_disabled_toolbar_icons_are_faded():
    from PySide6.QtGui import QIcon

    from srgan_studio.gui.icons import icon

    ic = icon("cancel", "#e6e6e6")  # the dark theme's light glyphs
    on = ic.pixmap(24, 24, QIcon.Mode.Normal).toImage()
    off = ic.pixmap(24, 24, QIcon.Mode.Disabled).toImage()
    alpha = lambda img: sum(img.pixelColor(x, y).alpha() for x in range(24) for y in range(24))  # noqa: E731
    assert 0 < alpha(off) < 0.5 * alpha(on)
