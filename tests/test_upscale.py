"""Upscaler: seam-free tiles on a real SRResNet, regions, grey/alpha/16-bit, cancel, OOM fallback, files."""

from __future__ import annotations

import numpy as np
import pytest
from gen_helpers import collect
from PIL import Image as PILImage

from srgan_studio.core.cancel import CancelToken
from srgan_studio.core.errors import Cancelled, ImageReadError, ImageWriteError
from srgan_studio.core.imageio import Image, ImageMeta, read_image
from srgan_studio.core.registry import bicubic_descriptor
from srgan_studio.core.upscale import Upscaler, default_output_path, drain, upscale_file


def _photo(h, w, seed=0, channels=3):
    """Smooth structure plus texture, like a photo (pure noise would not test much)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 7.0 + yy / 11.0)[..., None] * np.linspace(0.6, 1.0, channels)
    arr = np.clip(base + rng.normal(0, 0.08, (h, w, channels)), 0, 1)
    return (arr * 255 + 0.5).astype(np.uint8)


def _img(color, alpha=None):
    return Image(color, alpha, ImageMeta(format="PNG"))


def _maxdiff(a, b):
    return int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max())


@pytest.mark.slow
@pytest.mark.parametrize("tile", [64, 96])
def test_tiled_equals_one_pass_on_a_full_srresnet(deep_model, tile):
    img = _img(_photo(112, 136, seed=3))
    one = drain(Upscaler(deep_model, device="cpu", tile=0).run(img))
    tiled = drain(Upscaler(deep_model, device="cpu", tile=tile).run(img))
    assert len(Upscaler(deep_model, tile=tile).plan(112, 136)) > 1
    assert _maxdiff(one.color, tiled.color) <= 1  # within 1/255


@pytest.mark.slow
def test_too_little_context_does_show_seams(deep_model):
    """Guards the test above: with 4 px of context the same comparison must fail."""
    img = _img(_photo(112, 136, seed=3))
    one = drain(Upscaler(deep_model, device="cpu", tile=0).run(img))
    bad = drain(Upscaler(deep_model, device="cpu", tile=64, overlap=4).run(img))
    assert _maxdiff(one.color, bad.color) > 1


def test_output_shape_dtype_and_progress(tiny_model):
    img = _img(_photo(40, 70))
    up = Upscaler(tiny_model, device="cpu", tile=32, overlap=8)
    events, out = collect(up.run(img))
    assert out.color.shape == (160, 280, 3) and out.color.dtype == np.uint8
    tiles = up.plan(40, 70)
    assert [e.done for e in events] == list(range(1, len(tiles) + 1))
    assert all(e.total == len(tiles) and e.stage == "tiles" for e in events)
    assert [e.box for e in events] == [t.core for t in tiles]


def test_region_matches_the_full_render(tiny_model):
    img = _img(_photo(60, 90, seed=5))
    up = Upscaler(tiny_model, device="cpu", tile=32, overlap=8)
    full = drain(up.run(img))
    x0, y0, x1, y1 = 13, 21, 57, 50
    part = drain(up.run(img, region=(x0, y0, x1, y1)))
    assert part.color.shape == ((y1 - y0) * 4, (x1 - x0) * 4, 3)
    assert np.array_equal(part.color, full.color[y0 * 4 : y1 * 4, x0 * 4 : x1 * 4])


def test_grey_stays_grey(tiny_model):
    grey = _photo(30, 30, channels=1)
    up = Upscaler(tiny_model, device="cpu")
    out = drain(up.run(_img(grey)))
    assert out.color.shape == (120, 120, 1)
    rgb = drain(up.run(_img(np.repeat(grey, 3, axis=2)))).color
    unclipped = ((rgb > 0) & (rgb < 255)).all(axis=2)  # the grey result is the mean before clipping
    assert unclipped.mean() > 0.5
    assert _maxdiff(out.color[..., 0][unclipped], np.round(rgb.mean(axis=2))[unclipped]) <= 1


@pytest.mark.parametrize("mode", ["model", "bicubic"])
def test_alpha_is_upscaled_not_dropped(tiny_model, mode):
    color = _photo(24, 24)
    alpha = np.zeros((24, 24), np.uint8)
    alpha[:, 12:] = 255
    out = drain(Upscaler(tiny_model, device="cpu", alpha_mode=mode).run(_img(color, alpha)))
    assert out.alpha.shape == (96, 96)
    assert out.alpha[:, :40].mean() < 20 and out.alpha[:, 56:].mean() > 235  # random weights add some noise
    if mode == "bicubic":
        assert out.alpha[:, :40].max() == 0 and out.alpha[:, 56:].min() == 255
    assert out.color[:, :40].mean() > 40  # colour under transparent pixels is not blacked out


def test_16bit_in_16bit_out(tiny_model):
    c8 = _photo(20, 24)
    c16 = c8.astype(np.uint16) * 257
    up = Upscaler(tiny_model, device="cpu")
    out16 = drain(up.run(_img(c16)))
    out8 = drain(up.run(_img(c8)))
    assert out16.color.dtype == np.uint16
    assert np.abs(out16.color / 257.0 - out8.color).max() <= 1.0
    assert len(np.unique(out16.color % 257)) > 1  # real 16-bit detail, not 8-bit scaled up


def test_cancel_stops_between_tiles(tiny_model):
    token = CancelToken()
    gen = Upscaler(tiny_model, device="cpu", tile=32, overlap=8).run(_img(_photo(64, 64)), token)
    first = next(gen)
    token.cancel()
    with pytest.raises(Cancelled):
        next(gen)
    assert first.done == 1


def test_bicubic_model_matches_pillow():
    color = _photo(50, 70)
    out = drain(Upscaler(bicubic_descriptor(4), tile=32).run(_img(color)))
    ref = np.asarray(PILImage.fromarray(color).resize((280, 200), PILImage.BICUBIC))
    assert _maxdiff(out.color, ref) <= 1


class _Spy:
    """A fake session: bicubic-like nearest upscale, recording input sizes; can fail like a full GPU."""

    def __init__(self, fail_above=None, device="cuda:0"):
        self.fail_above = fail_above
        self.device = device
        self.fp16 = False
        self.model_path = None
        self.sizes = []

    def run(self, x):
        self.sizes.append(x.shape[2] * x.shape[3])
        if self.fail_above is not None and x.shape[2] * x.shape[3] > self.fail_above:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory")
        return x.repeat(4, axis=2).repeat(4, axis=3)


def test_memory_per_tile_is_bounded(tiny_model):
    spy = _Spy(device="cpu")
    up = Upscaler(tiny_model, tile=32, overlap=8, session=spy)
    drain(up.run(_img(_photo(100, 130))))
    assert max(spy.sizes) <= (32 + 16) ** 2  # never the whole image


def test_out_of_memory_splits_tiles_and_then_falls_back_to_cpu(tiny_model, monkeypatch):
    spy = _Spy(fail_above=0)  # this "GPU" fails on every tile
    up = Upscaler(tiny_model, tile=128, overlap=8, session=spy)
    img = _img(_photo(80, 80))
    with pytest.warns(RuntimeWarning):
        events, out = collect(up.run(img))
    messages = [e.message for e in events if e.message]
    assert any("smaller tiles" in m or "px tiles" in m for m in messages)
    assert any("CPU" in m for m in messages)
    assert up.session.device == "cpu"
    reference = drain(Upscaler(tiny_model, device="cpu", tile=128, overlap=8).run(img))
    assert _maxdiff(out.color, reference.color) <= 1
    done = [e for e in events if not e.message]
    assert done[-1].done == done[-1].total


def test_upscale_file_writes_and_scales_dpi(tmp_path, tiny_model):
    src = tmp_path / "photo.png"
    PILImage.fromarray(_photo(20, 30)).save(src, dpi=(72, 72))
    up = Upscaler(tiny_model, device="cpu")
    out = drain(upscale_file(src, default_output_path(src, 4), up))
    assert out == tmp_path / "photo_x4.png"
    back = read_image(out)
    assert (back.width, back.height) == (120, 80)
    assert back.meta.dpi == pytest.approx((288, 288), abs=0.6)


def test_upscale_file_never_overwrites(tmp_path, tiny_model):
    src = tmp_path / "photo.png"
    PILImage.fromarray(_photo(20, 30)).save(src)
    before = src.read_bytes()
    up = Upscaler(tiny_model, device="cpu")
    for overwrite in (False, True):
        with pytest.raises(ImageWriteError, match="input"):
            drain(upscale_file(src, src, up, overwrite=overwrite))
    assert src.read_bytes() == before
    (tmp_path / "taken.png").write_bytes(b"keep")
    with pytest.raises(ImageWriteError, match="already exists"):
        drain(upscale_file(src, tmp_path / "taken.png", up))
    assert (tmp_path / "taken.png").read_bytes() == b"keep"


def test_bad_input_writes_nothing(tmp_path, tiny_model):
    src = tmp_path / "broken.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    with pytest.raises(ImageReadError, match="broken.png"):
        drain(upscale_file(src, tmp_path / "out.png", Upscaler(tiny_model, device="cpu")))
    assert not (tmp_path / "out.png").exists()


def test_default_output_path():
    assert default_output_path("/a/b/photo.jpg", 4).as_posix() == "/a/b/photo_x4.jpg"
    assert default_output_path("/a/b/photo.JPEG", 4).as_posix() == "/a/b/photo_x4.JPEG"
    assert default_output_path("/a/scan.bmp", 2).as_posix() == "/a/scan_x2.png"
    assert default_output_path("/a/p.png", 4, "webp").as_posix() == "/a/p_x4.webp"
    assert default_output_path("/a/p.jpg", 4).name != "p.jpg"
