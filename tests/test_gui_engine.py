"""The settings dialog shows and saves the engine and precision."""

from __future__ import annotations

from srgan_studio.core import runtime
from srgan_studio.core.settings import Settings, load_settings, save_settings
from srgan_studio.gui.settings_dialog import SettingsDialog


def test_precision_and_engine_round_trip_and_the_engine_in_use_is_shown(qtbot):
    dialog = SettingsDialog(Settings(), devices=["cpu"])
    qtbot.addWidget(dialog)
    assert dialog.engine_label.text() == f"In use: {runtime.planned('auto', 'auto', 'auto')}"
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.precision.setCurrentIndex(dialog.precision.findData("fp32"))
    dialog.engine.setCurrentIndex(dialog.engine.findData("onnxruntime"))
    assert dialog.engine_label.text().startswith("In use: ONNX Runtime ")  # follows the choices at once
    assert dialog.engine_label.text().endswith("on the CPU, fp32")
    with qtbot.waitSignal(dialog.applied) as got:
        dialog._on_accept()
    save_settings(got.args[0])
    loaded = load_settings()
    assert (loaded.precision, loaded.engine, loaded.device) == ("fp32", "onnxruntime", "cpu")
    again = SettingsDialog(loaded, devices=["cpu"])
    qtbot.addWidget(again)
    assert (again.precision.currentData(), again.engine.currentData()) == ("fp32", "onnxruntime")


def test_a_fallback_taken_earlier_is_listed(qtbot, monkeypatch):
    monkeypatch.setattr(runtime, "fallback_notes", lambda: ["OpenVINO cannot compile it for CPU (X) for a.onnx"])
    dialog = SettingsDialog(Settings(), devices=["cpu", "gpu:0"])
    qtbot.addWidget(dialog)
    assert "cannot compile" in dialog.engine_label.text()
    assert dialog.device.itemText(dialog.device.findData("gpu:0")) == "GPU 0 (OpenVINO)"
