"""Model manager: lists descriptors, imports a checked ONNX file, removes user models only."""

from __future__ import annotations

from gui_fixtures import registry, studio_models, wait_worker  # noqa: F401

from srgan_studio.gui.model_manager import ModelManager


def test_import_and_remove(qtbot, registry, studio_models, tmp_path):
    mm = ModelManager(registry)
    qtbot.addWidget(mm)
    assert {"srresnet_x4", "srgan_x4", "bicubic_x4"} <= set(mm.names())
    mm.table.selectRow(mm.names().index("srgan_x4"))
    assert "srresnet" in mm.details.toPlainText()  # architecture shown
    assert not mm.remove_button.isEnabled()  # bundled: not removable
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


def test_details_show_metrics_as_a_table_and_provenance_in_words(tmp_path):
    import re

    from srgan_studio.core.descriptor import ModelDescriptor
    from srgan_studio.gui.model_details import describe

    d = ModelDescriptor(
        name="restore_x4",
        title="Restore x4",
        kind="onnx",
        architecture="srresnet",
        scale=4,
        file="restore_x4.onnx",
        provenance={
            "recipe": "restore_x4",
            "stage": "psnr",
            "steps": 4000,
            "batch_size": 16,
            "patch_size": 96,
            "degradation": "photo",
            "pixel_loss": "l1",
            "base": "/home/someone/runs/srresnet_x4/generator.safetensors",
            "arch_options": {"blocks": 16, "channels": 64},
            "export": {"max_abs_diff": 4.76837158203125e-07},
        },
        metrics={
            "Set5": {
                "psnr_y": 29.337123456789,
                "ssim_y": 0.8512345,
                "bicubic_psnr_y": 28.416677660003778,
                "bicubic_ssim_y": 0.8100442820788405,
            }
        },
    )
    text = describe(d)
    assert "<th>PSNR dB</th>" in text and "<td align=right>29.34</td>" in text and "28.42" in text
    assert "starting from srresnet_x4" in text and "4000 steps" in text and "degraded like real ones" in text
    assert not re.search(r"\d\.\d{5,}", text)  # no 15-digit floats
    assert "{" not in text and "/home/someone" not in text and "/" not in re.sub(r"</?\w+[^>]*>", "", text)
