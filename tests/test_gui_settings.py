"""Settings dialog round trip, and the main window applying it."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from srgan_studio.core.settings import Settings, load_settings, save_settings
from srgan_studio.gui.settings_dialog import SettingsDialog


def test_settings_round_trip(qtbot, tmp_path):
    start = Settings(recent_files=["/photos/a.jpg"], window_geometry="abc")
    dialog = SettingsDialog(start, devices=["cpu", "cuda:0"])
    qtbot.addWidget(dialog)
    assert dialog.device.findData("cuda:0") >= 0  # what was detected is offered
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.tile_auto.setChecked(False)
    dialog.tile.setValue(192)
    dialog.threads.setValue(3)
    dialog.output_format.setCurrentIndex(dialog.output_format.findData("webp"))
    dialog.jpeg_quality.setValue(80)
    dialog.output_dir.setText(str(tmp_path))
    dialog.keep_metadata.setChecked(False)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    with qtbot.waitSignal(dialog.applied) as got:
        dialog._on_accept()
    new = got.args[0]
    save_settings(new)
    loaded = load_settings()
    assert loaded == new
    assert (loaded.device, loaded.tile, loaded.threads, loaded.output_format) == ("cpu", 192, 3, "webp")
    assert (loaded.jpeg_quality, loaded.output_dir, loaded.keep_metadata, loaded.theme) == (
        80,
        str(tmp_path),
        False,
        "dark",
    )
    assert loaded.recent_files == ["/photos/a.jpg"] and loaded.window_geometry == "abc"  # carried over
    # Reopening shows what was saved.
    again = SettingsDialog(loaded, devices=["cpu"])
    qtbot.addWidget(again)
    assert again.result_settings() == loaded


def test_applying_settings_switches_theme_and_engine_options(qtbot):
    from srgan_studio.gui.main_window import MainWindow

    win = MainWindow(Settings(), persist=False)
    qtbot.addWidget(win)
    dark = Settings(theme="dark", device="cpu", threads=2)
    win._on_settings_applied(dark)
    bg = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert bg.lightness() < 80
    assert win.cache.options["threads"] == 2 and win.cache.options["device"] == "cpu"
    win._on_settings_applied(Settings(theme="light"))
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 200


def test_every_engine_precision_is_offered_and_kept(qtbot):
    """A precision the engine accepts (int8 included) is a choice in the dialog, and OK keeps it:
    before, a saved 'int8' showed as Automatic and was reset to auto on OK."""
    from srgan_studio.core.runtime.precision import PRECISIONS

    for precision in PRECISIONS:
        dialog = SettingsDialog(Settings(precision=precision), devices=["cpu"])
        qtbot.addWidget(dialog)
        assert dialog.precision.currentData() == precision
        assert dialog.result_settings().precision == precision
