"""Geometric self-ensemble in the engine: transforms, averages checked by hand, tiles, cancel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from srgan_studio.core.cancel import CancelToken
from srgan_studio.core.ensemble import PASSES, forward, inverse, transforms
from srgan_studio.core.errors import Cancelled, StudioError
from srgan_studio.core.imageio import Image, ImageMeta
from srgan_studio.core.registry import bicubic_descriptor
from srgan_studio.core.upscale import Upscaler, drain


def _img(color):
    return Image(color, None, ImageMeta(format="PNG"))


def _random(h, w, seed=0, dtype=np.uint16):
    peak = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, peak + 1, (h, w, 3), dtype=dtype)


def _float(arr):
    return arr.astype(np.float64) / np.iinfo(arr.dtype).max


def _quantize16(y):
    return np.clip(y * 65535 + 0.5, 0, 65535).astype(np.uint16)


def _nearest(x, s=4):
    return x.repeat(s, axis=0).repeat(s, axis=1)


class _Fake:
    """A session running ``fn`` on HWC float; it records the input shapes and may cancel after N calls."""

    device = "cpu"
    fp16 = False
    model_path = None
    precision = "fp32"

    def __init__(self, fn, cancel_after=None, token=None, multiple=1):
        self.fn, self.cancel_after, self.token, self.multiple = fn, cancel_after, token, multiple
        self.shapes = []

    def run(self, x):
        h, w = x.shape[2:]
        assert h % self.multiple == 0 and w % self.multiple == 0, (h, w)
        self.shapes.append((h, w))
        if self.cancel_after is not None and len(self.shapes) == self.cancel_after:
            self.token.cancel()
        y = self.fn(x[0].transpose(1, 2, 0).astype(np.float64))
        return y.transpose(2, 0, 1)[None].astype(np.float32)


def _model(tiny_model, pad_multiple=1):
    return dataclasses.replace(tiny_model, pad_multiple=pad_multiple)


def _look_right(x):
    """Not equivariant: each pixel moves 30% towards its right neighbour (edge replicated), then nearest x4."""
    right = np.concatenate([x[:, 1:], x[:, -1:]], axis=1)
    return _nearest(x + 0.3 * (right - x))


# ------------------------------------------------------------ transforms


def test_every_transform_is_undone_and_the_eight_are_distinct():
    x = np.arange(5 * 7 * 2).reshape(5, 7, 2)
    seen = set()
    for t in transforms(8):
        y = forward(x, t)
        assert np.array_equal(inverse(y, t), x)
        seen.add(y.tobytes() + bytes(y.shape))
    assert len(seen) == 8


@pytest.mark.parametrize("passes", PASSES)
def test_cheaper_modes_are_subgroups(passes):
    """Composing two chosen transforms gives a chosen one: the passes average a symmetric set."""
    x = np.arange(6 * 6).reshape(6, 6, 1)
    images = {forward(x, t).tobytes() for t in transforms(passes)}
    for a in transforms(passes):
        for b in transforms(passes):
            assert forward(forward(x, a), b).tobytes() in images


def test_bad_pass_count_is_an_error():
    for bad in (0, 2, 3, 16, True, "8"):
        with pytest.raises(StudioError, match="must be 1, 4 or 8"):
            Upscaler(bicubic_descriptor(4), ensemble=bad)


# ------------------------------------------------------------ averages


@pytest.mark.parametrize("passes", PASSES)
def test_equivariant_model_gives_the_single_pass(tiny_model, passes):
    """A point-wise curve plus nearest-neighbour upscaling commutes with flips and transposes."""
    color = _random(45, 70)
    fake = _Fake(lambda x: _nearest(x**0.7), multiple=8)
    one = drain(Upscaler(_model(tiny_model, 8), session=_Fake(fake.fn), tile=32, overlap=5).run(_img(color)))
    many = drain(Upscaler(_model(tiny_model, 8), session=fake, tile=32, overlap=5, ensemble=passes).run(_img(color)))
    assert np.array_equal(one.color, many.color)


def test_bicubic_runs_once_whatever_the_setting():
    color = _random(30, 41, dtype=np.uint8)
    one = drain(Upscaler(bicubic_descriptor(4), tile=32).run(_img(color)))
    eight = drain(Upscaler(bicubic_descriptor(4), tile=32, ensemble=8).run(_img(color)))
    assert np.array_equal(one.color, eight.color)


def test_eight_passes_of_a_directional_model_average_the_four_directions(tiny_model):
    """'Look right' seen from all 8 orientations is 'look right, left, up and down' (twice each), by hand."""
    color = _random(24, 37)
    x = _float(color)
    out = drain(Upscaler(tiny_model, session=_Fake(_look_right), tile=0, ensemble=8).run(_img(color)))
    neighbours = (np.roll(x, -1, 1) + np.roll(x, 1, 1) + np.roll(x, -1, 0) + np.roll(x, 1, 0)) / 4
    want = _quantize16(_nearest(x + 0.3 * (neighbours - x)))
    inner = (slice(4, -4), slice(4, -4))  # the edge pixel looks at itself; np.roll wraps
    assert np.abs(out.color[inner].astype(int) - want[inner]).max() <= 1
    single = drain(Upscaler(tiny_model, session=_Fake(_look_right), tile=0).run(_img(color)))
    assert np.abs(single.color[inner].astype(int) - want[inner]).max() > 1000  # the fake is not symmetric


def test_four_passes_average_the_mirrored_passes(tiny_model):
    """A mark the model always paints at its top-left corner lands, averaged, in each mirrored corner."""
    color = np.full((10, 12, 3), 20000, np.uint16)

    def marked(x):
        y = _nearest(x)
        y[:4, :8] += 0.4
        return y

    out = drain(Upscaler(tiny_model, session=_Fake(marked), tile=0, ensemble=4).run(_img(color)))
    want = np.full((40, 48), 20000 / 65535)
    for rows in (slice(0, 4), slice(36, 40)):
        for cols in (slice(0, 8), slice(40, 48)):
            want[rows, cols] += 0.4 / 4
    assert np.abs(out.color[..., 0].astype(int) - _quantize16(want)).max() <= 1


# ------------------------------------------------------------ tiles


@pytest.mark.parametrize("region", [None, (7, 5, 90, 33)])
def test_tiled_non_square_ensemble_with_a_size_multiple_equals_one_tile(tiny_model, region):
    """Transposed tiles are padded for their own shape, and the context stays on every side."""
    color = _random(41, 100, seed=3)
    fake = _Fake(_look_right, multiple=4)
    tiled = Upscaler(_model(tiny_model, 4), session=fake, tile=40, overlap=3, ensemble=8)
    assert any(t.px1 - t.px0 != t.py1 - t.py0 for t in tiled.plan(41, 100))  # non-square tiles
    out = drain(tiled.run(_img(color), region=region))
    whole = drain(Upscaler(tiny_model, session=_Fake(_look_right), tile=0, ensemble=8).run(_img(color), region=region))
    assert any(h != w for h, w in fake.shapes) and len(fake.shapes) % 8 == 0
    assert {(w, h) for h, w in fake.shapes} == set(fake.shapes)  # every tile also ran transposed
    inner = (slice(4, -4), slice(4, -4))  # at the image edge the padded copy is what the pixel looks at
    assert np.array_equal(out.color[inner], whole.color[inner])


# ------------------------------------------------------------ cancel


def test_cancel_between_the_passes_of_one_tile(tiny_model):
    token = CancelToken()
    fake = _Fake(lambda x: _nearest(x), cancel_after=3, token=token)
    gen = Upscaler(tiny_model, session=fake, tile=0, ensemble=8).run(_img(_random(20, 20)), token)
    with pytest.raises(Cancelled):
        drain(gen)
    assert len(fake.shapes) == 3  # the fourth pass never started
