"""The tile plan is a pure function: cores partition the image, padding is real context."""

from __future__ import annotations

import numpy as np
import pytest

from srgan_studio.core.tiling import plan_box, plan_tiles, tiles_for_region


@pytest.mark.parametrize(
    "h,w,tile,overlap",
    [(1, 1, 64, 8), (64, 64, 64, 16), (65, 200, 64, 24), (333, 97, 50, 7), (512, 512, 128, 0), (17, 1000, 256, 40)],
)
def test_cores_cover_every_pixel_once(h, w, tile, overlap):
    tiles = plan_tiles(h, w, tile, overlap)
    count = np.zeros((h, w), int)
    for t in tiles:
        count[t.y0 : t.y1, t.x0 : t.x1] += 1
        assert t.x1 - t.x0 <= tile and t.y1 - t.y0 <= tile
        assert (t.px0, t.py0) == (max(0, t.x0 - overlap), max(0, t.y0 - overlap))
        assert (t.px1, t.py1) == (min(w, t.x1 + overlap), min(h, t.y1 + overlap))
    assert (count == 1).all()


def test_cores_are_even_no_sliver():
    tiles = plan_tiles(100, 1030, 256, 16)
    widths = {t.x1 - t.x0 for t in tiles}
    assert max(widths) - min(widths) <= 1
    assert len(tiles) == 5


def test_row_major_order():
    tiles = plan_tiles(300, 300, 100, 10)
    assert [(t.y0, t.x0) for t in tiles] == sorted((t.y0, t.x0) for t in tiles)


def test_zero_tile_is_one_pass():
    (t,) = plan_tiles(40, 70, 0, 16)
    assert t.core == t.padded == (0, 0, 70, 40)


def test_inner_locates_the_core_in_the_padded_box():
    for t in plan_tiles(90, 130, 40, 12):
        ix0, iy0, ix1, iy1 = t.inner
        assert (t.px0 + ix0, t.py0 + iy0, t.px0 + ix1, t.py0 + iy1) == t.core


def test_region_keeps_only_meeting_tiles():
    tiles = plan_tiles(200, 200, 50, 8)
    picked = tiles_for_region(tiles, (60, 10, 110, 40))
    assert {(t.x0, t.y0) for t in picked} == {(50, 0), (100, 0)}


def test_plan_box_resplits_a_core_with_full_image_context():
    tiles = plan_box((100, 100, 200, 200), 300, 300, 50, 20)
    assert len(tiles) == 4
    assert min(t.px0 for t in tiles) == 80 and max(t.px1 for t in tiles) == 220


def test_bad_arguments():
    with pytest.raises(ValueError):
        plan_tiles(0, 10, 64, 8)
    with pytest.raises(ValueError):
        plan_tiles(10, 10, 64, -1)
