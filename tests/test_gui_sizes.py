"""The output-size control in the save dialog and the batch window."""

from __future__ import annotations

from gui_fixtures import make_photo, registry, studio_models, wait_loaded, wait_worker, window  # noqa: F401

from srgan_studio.core.imageio import read_image
from srgan_studio.core.registry import Registry
from srgan_studio.core.settings import Settings
from srgan_studio.core.sizing import SizeSpec
from srgan_studio.gui.batch_window import BatchWindow
from srgan_studio.gui.save_dialog import SaveDialog
from srgan_studio.gui.save_job import SaveOptions
from srgan_studio.gui.size_control import SizeControl


def test_size_control_gives_the_spec_and_shows_only_the_fields_it_needs(qtbot):
    control = SizeControl()
    qtbot.addWidget(control)
    control.show()
    assert control.spec().is_native and not control.factor.isVisible()
    control.set_mode("scale")
    control.factor.setValue(2.5)
    assert control.spec() == SizeSpec(scale=2.5) and control.factor.isVisible()
    control.set_mode("box")
    control.width_px.setValue(3000)
    control.height_px.setValue(2000)
    assert control.spec() == SizeSpec(width=3000, height=2000)
    assert control.width_px.isVisible() and control.height_px.isVisible() and not control.factor.isVisible()
    control.set_mode("height")
    assert control.spec() == SizeSpec(height=2000) and not control.width_px.isVisible()


def test_save_dialog_names_the_file_after_the_size(qtbot, tmp_path, registry):
    source = tmp_path / "photo.png"
    dialog = SaveDialog(None, Settings(), [registry.get("srresnet_x4")], source)
    qtbot.addWidget(dialog)
    assert dialog.path.text().endswith("photo_srresnet_x4.png")  # the model's own factor: unchanged
    dialog.size.set_mode("scale")
    dialog.size.factor.setValue(2)
    assert dialog.path.text().endswith("photo_srresnet_x4_x2.png")
    dialog.size.set_mode("width")
    dialog.size.width_px.setValue(3000)
    assert dialog.path.text().endswith("photo_srresnet_x4_3000w.png")
    assert dialog.options().size == SizeSpec(width=3000)


def test_save_writes_the_chosen_size_through_the_model(qtbot, window, tmp_path, registry):
    photo = make_photo(tmp_path / "photo.png", 30, 20)
    window.open_paths([photo])
    wait_loaded(qtbot, window)
    out = tmp_path / "photo_x2.png"
    worker = window.save_to(SaveOptions(out, "png", size=SizeSpec(scale=2)), registry.get("srresnet_x4"))
    wait_worker(qtbot, worker)
    assert worker.outcome == "finished", worker.error
    saved = read_image(out)
    assert (saved.width, saved.height) == (60, 40)


def test_batch_window_passes_the_size_to_the_job(qtbot, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_photo(src / "a.png", 32, 24)
    empty = tmp_path / "no-bundled"
    empty.mkdir()
    win = BatchWindow(Settings(), Registry(bundled_dir=empty))
    qtbot.addWidget(win)
    win.show()
    win.set_input(src)
    win.set_models(["bicubic_x4"])
    win.size.set_mode("width")
    win.size.width_px.setValue(40)
    assert win.build_job().size == SizeSpec(width=40)
    worker = win.start()
    assert worker is not None, win.last_error
    qtbot.waitUntil(lambda: win.worker is None, timeout=60000)
    im = read_image(tmp_path / "in_upscaled" / "a_bicubic_x4_40w.png")
    assert (im.width, im.height) == (40, 30)
