"""Next/previous image (issue 18, bug 5): walk the opened file's folder in natural order; Alt+Right never pans."""

from __future__ import annotations

from gui_fixtures import make_photo, registry, studio_models, wait_loaded, window  # noqa: F401
from PySide6.QtCore import Qt

from srgan_studio.gui.session import ImageList, folder_images


def _folder(tmp_path, names):
    for i, name in enumerate(names):
        make_photo(tmp_path / name, 24, 20, seed=i)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    return tmp_path


def test_folder_images_are_in_natural_order(tmp_path):
    _folder(tmp_path, ["img10.png", "IMG2.jpg", "img1.png", "b.webp"])
    assert [p.name for p in folder_images(tmp_path)] == ["b.webp", "img1.png", "IMG2.jpg", "img10.png"]


def test_a_single_file_walks_its_folder(tmp_path):
    _folder(tmp_path, ["img1.png", "img2.png", "img10.png"])
    images = ImageList()
    images.replace([tmp_path / "img2.png"])
    assert images.current == tmp_path / "img2.png"
    assert images.step(1) == tmp_path / "img10.png"
    assert images.step(1) == tmp_path / "img1.png"  # wraps, as viewers do
    assert images.step(-1) == tmp_path / "img10.png"

    chosen = ImageList()  # files opened together are walked as chosen
    chosen.replace([tmp_path / "img10.png", tmp_path / "img1.png"])
    assert chosen.step(1) == tmp_path / "img1.png"


def _press_alt_right(qtbot, win):
    qtbot.keyClick(win.compare, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)


def test_next_walks_the_folder_and_alt_right_never_pans(qtbot, window, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    _folder(alone, ["only.png"])
    window.open_paths([alone / "only.png"])
    wait_loaded(qtbot, window)
    assert not window.actions.next.isEnabled()  # one image: nothing to step to
    centre = (window.compare.view.cx, window.compare.view.cy, window.compare.view.fit_mode)
    _press_alt_right(qtbot, window)
    assert (window.compare.view.cx, window.compare.view.cy, window.compare.view.fit_mode) == centre

    walk = tmp_path / "walk"
    walk.mkdir()
    _folder(walk, ["img1.png", "img2.png", "img10.png"])
    window.open_paths([walk / "img2.png"])
    wait_loaded(qtbot, window)
    assert window.actions.next.isEnabled()
    window.actions.next.trigger()
    qtbot.waitUntil(lambda: window.images.current == walk / "img10.png" and window.load_worker is None, timeout=10000)
    centre = (window.compare.view.cx, window.compare.view.cy)
    _press_alt_right(qtbot, window)
    assert (window.compare.view.cx, window.compare.view.cy) == centre
