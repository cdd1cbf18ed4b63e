"""Compare view: shared zoom/pan, panes rendering, visible-region-first preview, cancel."""

from __future__ import annotations

import numpy as np
from gui_fixtures import full_render, make_photo, registry, studio_models, wait_loaded, wait_rendered, window  # noqa: F401
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from srgan_studio.core.imageio import read_image
from srgan_studio.gui.preview_job import plan_preview
from srgan_studio.gui.render_slot import BLOCK, RenderSlot, display_rgb
from srgan_studio.gui.view_state import ViewState


def _wheel(widget, pos, steps=1):
    ev = QWheelEvent(
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    widget.wheelEvent(ev)


def test_zoom_keeps_the_point_under_the_cursor():
    v = ViewState()
    v.set_viewport(400, 300)
    v.set_image_size(1600, 1200)
    before = v.to_image(100, 50)
    v.set_zoom(v.zoom * 3, anchor=(100, 50))
    after = v.to_image(100, 50)
    assert np.allclose(before, after)
    assert not v.fit_mode
    v.fit()
    assert v.zoom == 0.25 and v.visible_rect() == (0, 0, 1600, 1200)


def test_pan_moves_the_picture_with_the_drag():
    v = ViewState()
    v.set_viewport(200, 200)
    v.set_image_size(1000, 1000)
    v.set_zoom(1.0)
    x0 = v.visible_rect()[0]
    v.pan_by(-50, 0)  # dragging left shows what is to the right
    assert v.visible_rect()[0] == x0 + 50
    v.pan_by(10_000, 10_000)
    assert (v.cx, v.cy) == (0.0, 0.0)  # clamped: the image never leaves the reach of the view


def _network_x4():
    """A descriptor that plans like a network (nothing is run here)."""
    import dataclasses

    from srgan_studio.core.registry import bicubic_descriptor

    return dataclasses.replace(bicubic_descriptor(4), name="net_x4", kind="onnx", architecture="srresnet")


def test_plan_renders_the_visible_blocks_first_and_never_twice():
    slots = [RenderSlot("a", "net_x4"), RenderSlot("b", "net_x4")]
    for s in slots:
        s.set_model(_network_x4())
        s.reset_target(5 * BLOCK, 3 * BLOCK)
    visible = (BLOCK + 10, 10, 2 * BLOCK + 5, BLOCK - 1)
    steps = plan_preview(slots, visible)
    assert [st.phase for st in steps[:4]] == ["visible"] * 4 and steps[4].phase == "fill"
    assert [st.slot.key for st in steps[:4]] == ["a", "b", "a", "b"]  # the panes take turns
    assert {st.box for st in steps[:4]} == {(BLOCK, 0, 2 * BLOCK, BLOCK), (2 * BLOCK, 0, 3 * BLOCK, BLOCK)}
    for slot in slots:
        covered = np.zeros(slot.target.done.shape, int)
        for st in steps:
            if st.slot is slot:
                for b in slot.target.blocks_in(st.box):
                    covered[b] += 1
        assert (covered == 1).all()  # every block once
    # What is already done is not planned again.
    slots[0].target.done[:] = True
    assert all(st.slot is slots[1] for st in plan_preview(slots, visible))


def test_bicubic_renders_in_one_step_before_the_networks():
    from srgan_studio.core.registry import bicubic_descriptor

    bicubic, net = RenderSlot("bicubic", "bicubic_x4"), RenderSlot("net", "net_x4")
    bicubic.set_model(bicubic_descriptor(4))
    net.set_model(_network_x4())
    for s in (bicubic, net):
        s.reset_target(5 * BLOCK, 3 * BLOCK)
    steps = plan_preview([net, bicubic], (0, 0, 2 * BLOCK, 2 * BLOCK))
    mine = [st for st in steps if st.slot is bicubic]
    assert steps[0].slot is bicubic and len(mine) == 1
    assert mine[0].box == (0, 0, 5 * BLOCK, 3 * BLOCK)
    assert len([st for st in steps if st.slot is net]) == net.target.done.size  # the network still goes block by block


def test_preview_blocks_are_exactly_the_engine_tiles():
    from srgan_studio.core.registry import bicubic_descriptor
    from srgan_studio.core.tiling import plan_tiles
    from srgan_studio.gui.render_slot import RenderTarget

    for w, h in [(300, 200), (1000, 77), (128, 129), (5, 900)]:
        target = RenderTarget(bicubic_descriptor(4), w, h)
        blocks = sorted(
            target.block_box(by, bx) for by in range(target.done.shape[0]) for bx in range(target.done.shape[1])
        )
        cores = sorted((t.x0, t.y0, t.x1, t.y1) for t in plan_tiles(h, w, BLOCK, 16))
        assert blocks == cores


def test_drop_renders_three_panes_equal_to_full_renders(qtbot, window, tmp_path, registry):
    from PySide6.QtCore import QMimeData, QUrl

    photo = make_photo(tmp_path / "photo.png", 150, 130)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    assert window.handle_drop(mime)
    wait_loaded(qtbot, window)
    assert window.windowTitle() == "SRGAN Studio — photo.png"
    wait_rendered(qtbot, window)
    image = read_image(photo)
    names = [s.descriptor.name for s in window.compare.slots]
    assert names == ["bicubic_x4", "srresnet_x4", "srgan_x4"]
    canvases = []
    for slot in window.compare.slots:
        want = display_rgb(full_render(slot.descriptor, image).color)
        assert slot.target.canvas.shape == (520, 600, 3)
        # Regions rendered visible-first then filled in equal one full render.
        assert np.abs(slot.target.canvas.astype(int) - want).max() <= 1
        canvases.append(slot.target.canvas)
    assert np.abs(canvases[0].astype(int) - canvases[1]).mean() > 0.5  # three different methods
    assert np.abs(canvases[1].astype(int) - canvases[2]).mean() > 0.5


def test_zoom_and_pan_stay_in_sync_across_panes(qtbot, window, tmp_path):
    window.open_paths([make_photo(tmp_path / "p.png", 64, 48)])
    wait_loaded(qtbot, window)
    for i in range(3):  # the same method in every pane: their pictures must match pixel for pixel
        window.compare.select_model(i, "bicubic_x4")
        window._on_model_chosen(i, "bicubic_x4")
    wait_rendered(qtbot, window)
    panes = window.compare.panes
    view = window.compare.view
    _wheel(panes[1], QPoint(40, 60), steps=3)
    assert all(p.view is view for p in panes)
    assert view.zoom > view.fit_zoom()
    qtbot.mousePress(panes[2], Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(panes[2], QPoint(70, 90))
    qtbot.mouseRelease(panes[2], Qt.MouseButton.LeftButton, pos=QPoint(70, 90))
    wait_rendered(qtbot, window)
    shots = [p.grab().toImage() for p in panes]
    w = min(s.width() for s in shots)
    h = min(s.height() for s in shots)

    def crop(img):  # below the caption label, away from the progress strip
        img = img.copy(0, 40, w, h - 50).convertToFormat(img.Format.Format_RGB888)
        return np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]

    first = crop(shots[0])
    assert first.std() > 5  # the picture is there, not an empty pane
    for other in shots[1:]:
        assert np.array_equal(first, crop(other))


def test_cancel_stops_the_preview_and_a_view_change_resumes_it(qtbot, window, tmp_path):
    window.cache.set_options({"device": "cpu", "tile": 32, "threads": 1, "alpha_mode": "model"})
    window.open_paths([make_photo(tmp_path / "big.png", 400, 300)])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: window.preview.busy, timeout=5000)
    with qtbot.waitSignal(window.preview.job_stopped, timeout=20000) as stopped:
        window.actions.cancel.trigger()
    assert stopped.args == ["cancelled"]
    qtbot.wait(300)
    assert not window.preview.busy  # no restart until the user changes something
    assert any(s.fraction < 1.0 for s in window.compare.slots)
    window.compare.view.zoom_in()
    wait_rendered(qtbot, window, timeout=120000)


class _GatedUpscaler:
    """Holds every tile until the test opens the gate; honours cancel like the engine."""

    def __init__(self, gate):
        self.gate = gate

    def run(self, image, cancel, region):
        from srgan_studio.core.imageio import Image
        from srgan_studio.core.upscale import Progress

        for i in range(4):
            while not self.gate.wait(0.01):
                cancel.raise_if_cancelled()
            cancel.raise_if_cancelled()
            yield Progress(i + 1, 4, "tiles")
        x0, y0, x1, y1 = region
        return Image(np.full(((y1 - y0) * 4, (x1 - x0) * 4, 3), 200, np.uint8))


def test_view_changes_never_pile_up_jobs(qtbot, window, tmp_path):
    import threading

    gate = threading.Event()
    window.cache.get_preview = lambda descriptor: _GatedUpscaler(gate)
    starts = []
    window.preview.job_started.connect(lambda: starts.append(window.preview.worker))
    window.open_paths([make_photo(tmp_path / "p.png", 260, 200)])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: len(starts) == 1, timeout=5000)
    first = starts[0]
    view = window.compare.view
    for _ in range(12):  # a burst of wheel steps while the first job is stuck in a tile
        view.set_zoom(view.zoom * 1.2, anchor=(10, 10))
        window.preview.restart(now=True)
    qtbot.waitUntil(lambda: not first.is_running, timeout=5000)  # cancelled at its next check
    qtbot.waitUntil(lambda: len(starts) == 2, timeout=5000)
    assert first.outcome == "cancelled"
    assert starts[1] is not first and len(starts) == 2  # twelve changes, one restart
    gate.set()
    wait_rendered(qtbot, window, timeout=60000)
    assert len(starts) == 2
    assert all((s.target.canvas == 200).all() for s in window.compare.slots)


def test_lens_view_keeps_the_lens_point_in_place_and_magnifies():
    v = ViewState()
    v.set_viewport(300, 200)
    v.set_image_size(400, 300)
    v.set_zoom(0.5, anchor=(100, 80))
    calls = []
    v.subscribe(lambda: calls.append("view"))
    v.subscribe_lens(lambda: calls.append("lens"))
    v.set_lens(v.to_image(120, 70))
    assert calls == ["lens"]  # moving the lens must not make the preview re-plan
    lens = v.lens_view()
    assert lens.zoom == v.zoom * v.lens_factor
    assert np.allclose(lens.to_screen(*v.lens), (120, 70))
    # One screen pixel in the lens is a quarter of the image distance it is outside.
    a, b = lens.to_image(120, 70), lens.to_image(124, 70)
    c = v.to_image(124, 70)
    assert np.isclose(b[0] - a[0], (c[0] - v.lens[0]) / v.lens_factor)
    v.set_lens((-50, 1e6))
    assert v.lens == (0.0, 300.0)  # clamped to the image
    v.set_lens(None)
    assert v.lens is None and v.lens_view() is None


def _pixels(widget):
    img = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    return (
        np.frombuffer(img.constBits(), np.uint8)
        .reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
        .reshape(img.height(), img.width(), 3)
        .astype(int)
    )


def test_lens_magnifies_the_same_spot_in_every_pane(qtbot, window, tmp_path):
    from srgan_studio.gui.image_pane import LENS_RADIUS

    window.open_paths([make_photo(tmp_path / "p.png", 64, 48)])
    wait_loaded(qtbot, window)
    for i in range(3):
        window.compare.select_model(i, "bicubic_x4")
        window._on_model_chosen(i, "bicubic_x4")
    wait_rendered(qtbot, window)
    panes, view = window.compare.panes, window.compare.view
    before = _pixels(panes[0])
    window.actions.lens.setChecked(True)
    spot = QPoint(panes[1].width() // 2, panes[1].height() // 2)
    qtbot.mouseMove(panes[1], spot)
    qtbot.waitUntil(lambda: view.lens is not None, timeout=5000)
    assert np.allclose(view.to_screen(*view.lens), (spot.x(), spot.y()), atol=1)
    shots = [_pixels(p) for p in panes]
    y, x = spot.y(), spot.x()
    r = LENS_RADIUS // 2
    inside = (slice(y - r, y + r), slice(x - r, x + r))
    assert np.abs(shots[0][inside] - before[inside]).mean() > 2  # the lens shows something else there
    assert np.array_equal(shots[0][inside], shots[1][inside]) and np.array_equal(shots[0][inside], shots[2][inside])
    assert np.array_equal(shots[0][-60:, :20], before[-60:, :20])  # far from the lens: untouched
    # What the lens shows is the picture zoomed lens_factor times about that spot.
    window.actions.lens.setChecked(False)
    assert view.lens is None
    view.set_zoom(view.zoom * view.lens_factor, anchor=(x, y))
    wait_rendered(qtbot, window)
    zoomed = _pixels(panes[0])
    assert np.abs(zoomed[inside] - shots[0][inside]).mean() < 1.0


class _TileInFlight:
    """An upscaler whose first tile is still being computed when Esc is pressed, as a real
    network's tile is (a second or two): its progress arrives after the cancel."""

    def __init__(self, upscaler, entered, gate):
        self.upscaler, self.entered, self.gate = upscaler, entered, gate

    def run(self, image, cancel=None, region=None):
        self.entered.set()
        self.gate.wait(20)
        return (yield from self.upscaler.run(image, region=region))  # finishes the tile, then the job sees the cancel


def test_esc_leaves_no_rendering_message(qtbot, window, tmp_path):
    # Bug 6 (issue 18): after Esc the panes said "paused" while the status bar still said "Rendering … 12%".
    import threading

    from PySide6.QtWidgets import QApplication

    entered, gate = threading.Event(), threading.Event()
    real = window.cache.get_preview
    window.cache.get_preview = lambda desc: _TileInFlight(real(desc), entered, gate)
    window.open_paths([make_photo(tmp_path / "big.png", 320, 240)])
    wait_loaded(qtbot, window)
    qtbot.waitUntil(entered.is_set, timeout=20000)
    window.actions.cancel.trigger()
    gate.set()
    qtbot.waitUntil(lambda: not window.preview.busy, timeout=20000)
    for _ in range(5):
        QApplication.processEvents()
    assert "Rendering" not in window.statusBar().currentMessage()
    unfinished = [s for s in window.compare.slots if s.target is not None and s.fraction < 1.0]
    assert unfinished and all(s.status == "paused" for s in unfinished)


def test_transparent_parts_show_a_checkerboard_that_lines_up_across_tiles():
    from srgan_studio.gui.render_slot import CHECKER, CHECKER_SHADES

    color = np.full((32, 32, 3), 10, np.uint8)
    alpha = np.zeros((32, 32), np.uint8)  # fully transparent
    whole = display_rgb(color, alpha)
    assert whole[0, 0, 0] != whole[0, CHECKER, 0]  # neighbouring squares differ
    assert {int(v) for v in np.unique(whole)} == {int(x) for x in CHECKER_SHADES}
    right = display_rgb(color[:, 20:], alpha[:, 20:], origin=(20, 0))
    assert (right == whole[:, 20:]).all()  # a tile pasted at x=20 continues the pattern


def test_info_overlay_names_model_realism_and_size(qtbot, window, tmp_path):
    window.open_paths([make_photo(tmp_path / "p.png", 40, 32)])
    wait_loaded(qtbot, window)
    window.actions.realism.setValue(50)
    slot = window.compare.slots[2]
    qtbot.waitUntil(lambda: slot.descriptor.name.endswith("@r50"), timeout=20000)
    pane = window.compare.panes[2]
    text = pane.info_text(slot)
    assert "output 160 × 128" in text and "realism 50%" in text and slot.descriptor.architecture in text
    split = window.compare.split_pane.info_text(*window.compare.split_slots())
    assert split.count("model") == 2 and "realism 50%" in split
