"""Model manager: lists descriptors, imports a checked ONNX file, removes user models only."""

from __future__ import annotations

from gui_fixtures import registry, studio_models, wait_worker  # noqa: F401

from srgan_studio.gui.model_manager import ModelManager


def test_import_and_remove(qtbot, registry, studio_models, tmp_path):
    mm = ModelManager(registry)
    qtbot.addWidget(mm)
    assert {"srresnet_x4", "srgan_x4", "bicubic_x4"} <= set(mm.names())
    mm.table.selectRow(mm.names().index("srgan_x4"))
    assert "srresnet" in mm.details.toPlainText()          # architecture shown
    assert not mm.remove_button.isEnabled()                 # bundled: not removable
    changed = []
    mm.changed.connect(lambda: changed.append(1))
    worker = mm.import_path(studio_models / "srresnet_x4.onnx", name="my_model", title="My model")
    wait_worker(qtbot, worker, timeout=60000)
    assert worker.outcome == "finished", worker.error
    assert "my_model" in mm.names() and changed
    row = mm.names().index("my_model")
    assert mm.table.item(row, 4).text() == "user"
    mm.table.selectRow(row)
    assert mm.remove_button.isEnabled()
    assert "x4" in mm.details.toPlainText()
    mm.remove_name("my_model")
    assert "my_model" not in mm.names()
    assert not (registry.user_dir / "my_model.onnx").exists()


def test_import_of_a_bad_file_is_a_clear_error(qtbot, registry, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"definitely not onnx")
    mm = ModelManager(registry)
    qtbot.addWidget(mm)
    worker = mm.import_path(bad)
    wait_worker(qtbot, worker, timeout=30000)
    assert worker.outcome == "errored"
    assert "broken.onnx" in mm.last_error
    assert "broken" not in mm.names()
