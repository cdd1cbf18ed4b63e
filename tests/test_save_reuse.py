"""The save reuses the preview's finished full-detail blocks and renders only the rest (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
from gen_helpers import collect

from srgan_studio.core.cancel import CancelToken
from srgan_studio.core.imageio import Image, ImageMeta, read_image
from srgan_studio.core.upscale import Upscaler, drain
from srgan_studio.gui.render_slot import BLOCK, RenderTarget
from srgan_studio.gui.save_job import PreviewBlocks, SaveOptions, save_job


def _photo(h: int, w: int, channels: int = 3, dtype=np.uint8) -> np.ndarray:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 120 + 60 * np.sin(xx / 9.0)[..., None] * np.cos(yy / 13.0)[..., None] + rng.normal(0, 6, (h, w, channels))
    img = np.clip(base, 0, 255)
    return (img * 257).astype(np.uint16) if dtype == np.uint16 else img.astype(np.uint8)


class CountingUpscaler:
    """The real engine, counting the regions it is asked to render."""

    def __init__(self, upscaler: Upscaler):
        self.inner, self.regions = upscaler, []
        self.scale = upscaler.scale

    def run(self, image, cancel=None, region=None, tile=None):
        self.regions.append(region)
        return self.inner.run(image, cancel=cancel or CancelToken(), region=region, tile=tile)


def _preview(target: RenderTarget, upscaler: Upscaler, image: Image, blocks: list[tuple[int, int]]) -> None:
    """What the preview does for each block: one region render with tile=BLOCK, pasted into the canvas."""
    for by, bx in blocks:
        box = target.block_box(by, bx)
        out = drain(upscaler.run(image, region=box, tile=BLOCK))
        target.paste(box, out.color, out.alpha)


@pytest.fixture
def setup(tiny_model):
    image = Image(_photo(300, 260), None, ImageMeta())
    upscaler = Upscaler(tiny_model, device="cpu")
    return image, upscaler, RenderTarget(tiny_model, image.width, image.height)


def test_a_finished_preview_is_saved_without_running_the_model(setup, tmp_path):
    image, upscaler, target = setup
    _preview(
        target, upscaler, image, [(by, bx) for by in range(target.done.shape[0]) for bx in range(target.done.shape[1])]
    )
    counting = CountingUpscaler(upscaler)
    blocks = PreviewBlocks.snapshot(target, image)
    assert blocks is not None and not blocks.missing
    _, path = collect(save_job(counting, image, SaveOptions(tmp_path / "out.png"), CancelToken(), blocks))
    assert counting.regions == []
    saved = read_image(path).color
    full = drain(upscaler.run(image, tile=BLOCK)).color
    np.testing.assert_array_equal(saved, full)


def test_a_half_finished_preview_renders_only_the_missing_blocks(setup, tmp_path):
    image, upscaler, target = setup
    all_blocks = [(by, bx) for by in range(target.done.shape[0]) for bx in range(target.done.shape[1])]
    _preview(target, upscaler, image, all_blocks[::2])
    blocks = PreviewBlocks.snapshot(target, image)
    counting = CountingUpscaler(upscaler)
    _, path = collect(save_job(counting, image, SaveOptions(tmp_path / "out.png"), CancelToken(), blocks))
    assert sorted(counting.regions) == sorted(target.block_box(*b) for b in all_blocks[1::2])
    full = drain(upscaler.run(image)).color  # the engine's own tiling: the same within 1/255
    assert np.abs(read_image(path).color.astype(int) - full.astype(int)).max() <= 1


@pytest.mark.parametrize("kind", ["grey", "16-bit", "alpha"])
def test_pixels_the_canvas_cannot_hold_are_rendered_again(tiny_model, kind):
    color = _photo(64, 64, 1 if kind == "grey" else 3, np.uint16 if kind == "16-bit" else np.uint8)
    alpha = np.full((64, 64), 200, np.uint8) if kind == "alpha" else None
    image = Image(color, alpha, ImageMeta())
    target = RenderTarget(tiny_model, 64, 64)
    target.done[:] = True
    assert PreviewBlocks.snapshot(target, image) is None


def test_a_preview_of_another_size_or_with_nothing_done_is_not_used(setup):
    image, _, target = setup
    assert PreviewBlocks.snapshot(target, image) is None  # nothing finished yet
    target.done[0, 0] = True
    other = Image(_photo(200, 260), None, ImageMeta())
    assert PreviewBlocks.snapshot(target, other) is None


def test_a_resized_save_does_not_use_the_preview(setup, tmp_path):
    from srgan_studio.core.sizing import SizeSpec

    image, upscaler, target = setup
    target.done[:] = True  # a canvas of zeros: using it would write black
    blocks = PreviewBlocks.snapshot(target, image)
    options = SaveOptions(tmp_path / "out.png", size=SizeSpec(scale=2.0))
    _, path = collect(save_job(upscaler, image, options, CancelToken(), blocks))
    assert read_image(path).color.mean() > 50
