"""The Input control (issue 12 part 4, issue 18 defaults): photos get the restore twins, clean sources the clean ones."""

from __future__ import annotations

import pytest
from gui_fixtures import make_photo, studio_models, wait_loaded  # noqa: F401
from PIL import Image as PILImage

from srgan_studio.core.registry import Registry
from srgan_studio.core.settings import Settings


@pytest.fixture(scope="module")
def twin_models(tmp_path_factory):
    """Both pairs (same graph per pair, other weights), as the bundled ones are."""
    from model_fixtures import export_srresnet

    folder = tmp_path_factory.mktemp("twins")
    for seed, name in enumerate(("srresnet_x4", "srgan_x4", "restore_x4", "restore_gan_x4"), start=1):
        export_srresnet(folder, name, seed=seed, residual_std=0.1 + 0.05 * seed)
    return folder


def _window(qtbot, bundled, realism=50):
    from srgan_studio.gui.main_window import MainWindow

    win = MainWindow(Settings(realism=realism), registry=Registry(bundled_dir=bundled), persist=False)
    qtbot.addWidget(win)
    win.resize(1000, 640)
    win.show()
    win.refresh_models()
    return win


def _clean_png(path):
    PILImage.new("RGB", (40, 32), (90, 140, 200)).save(path)  # flat: no noise, no JPEG grid
    return path


def _jpeg(tmp_path):
    make_photo(tmp_path / "src.png", 48, 40)
    PILImage.open(tmp_path / "src.png").save(tmp_path / "photo.jpg", quality=50)
    return tmp_path / "photo.jpg"


def _names(win):
    return [s.descriptor.name if s.descriptor is not None else None for s in win.compare.slots]


def test_a_jpeg_opens_as_a_photo_with_the_restore_twins(qtbot, twin_models, tmp_path):
    win = _window(qtbot, twin_models, realism=100)
    win.open_paths([_jpeg(tmp_path)])
    wait_loaded(qtbot, win)
    assert win.actions.input_kind.currentData() == "photo"
    assert win.actions.input_kind.currentText() == "Photo (compressed or noisy)"
    assert _names(win) == ["bicubic_x4", "restore_x4", "restore_gan_x4"]
    assert win.compare.combos[1].currentData() == "restore_x4"

    win.set_input_kind("clean")  # the user overrides the guess
    assert _names(win) == ["bicubic_x4", "srresnet_x4", "srgan_x4"]

    win.open_paths([_clean_png(tmp_path / "flat.png")])
    wait_loaded(qtbot, win)
    assert win.actions.input_kind.currentData() == "clean"
    win.preview.shutdown()


def test_realism_blends_the_restore_pair(qtbot, twin_models, tmp_path):
    win = _window(qtbot, twin_models, realism=50)
    win.open_paths([_jpeg(tmp_path)])
    wait_loaded(qtbot, win)
    slot = win.compare.slots[2]
    qtbot.waitUntil(lambda: slot.descriptor is not None and slot.descriptor.name == "restore_gan_x4@r50", timeout=20000)
    assert slot.descriptor.provenance["interpolated"]["from"] == "restore_x4"
    win.preview.shutdown()


def test_save_and_batch_default_to_the_faithful_model(qtbot, twin_models, tmp_path):
    from srgan_studio.gui.save_dialog import SaveDialog

    win = _window(qtbot, twin_models)
    jpeg = _jpeg(tmp_path)
    win.open_paths([jpeg])
    wait_loaded(qtbot, win)
    choices = win.save_choices()
    names = [d.name for d in choices]
    assert len(names) == len(set(names))  # each model once, whatever the panes show
    assert {"bicubic_x4", "srresnet_x4", "srgan_x4", "restore_x4", "restore_gan_x4"} <= set(names)
    dialog = SaveDialog(win, win.settings, choices, jpeg, default_name=win.roles.pair(win.registry.names())[0])
    assert dialog.descriptor().name == "restore_x4"
    assert dialog.format.currentText() == "Same as input"
    assert dialog.options().format == "jpeg" and dialog.path.text().endswith(".jpg")

    batch = win.show_batch()
    assert batch.chosen_models() == ["auto"]  # per file: restore_x4 for photos, srresnet_x4 otherwise
    batch.close()
    win.preview.shutdown()


def test_without_the_restore_models_photos_use_the_clean_pair(qtbot, studio_models, tmp_path):
    win = _window(qtbot, studio_models, realism=100)
    win.open_paths([_jpeg(tmp_path)])
    wait_loaded(qtbot, win)
    assert win.actions.input_kind.currentData() == "photo"
    assert _names(win) == ["bicubic_x4", "srresnet_x4", "srgan_x4"]
    win.preview.shutdown()


def test_save_remembers_the_last_folder(qtbot, studio_models, tmp_path):
    from srgan_studio.gui.save_dialog import SaveDialog

    win = _window(qtbot, studio_models)
    source = make_photo(tmp_path / "p.png")
    dialog = SaveDialog(win, win.settings, win.save_choices(), source)
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir()
    dialog.path.setText(str(elsewhere / "p_out.png"))
    dialog._on_accept()
    again = SaveDialog(win, win.settings, win.save_choices(), source)
    assert again.path.text().startswith(str(elsewhere))
