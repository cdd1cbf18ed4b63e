"""The upscale progress bar's ETA: "--:--" until the pace is known, then the time the remaining tiles take.

The first tile event arrives when a tile is already done, so counting that tile with no time showed
"ETA 0:00" on a 12 MP photo's first tile and about half the real time left on the next ones.
"""

from __future__ import annotations

import re

import pytest

from srgan_studio.cli import upscale_cmd
from srgan_studio.core.upscale import Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(upscale_cmd.time, "monotonic", c)
    return c


def _etas(capsys) -> list[str]:
    return re.findall(r"ETA (\S+)", capsys.readouterr().err)


def test_eta_is_unknown_after_the_first_tile_then_counts_each_tile_s_time(clock, capsys):
    bar = upscale_cmd.ProgressBar(enabled=True)
    bar.start("phone.jpg")
    clock.now += 0.5  # reading
    bar.update(Progress(0, 1, "read"))
    for done in range(1, 4):
        clock.now += 2.0  # every tile takes 2 s
        bar.update(Progress(done, 10, "tiles"))
    # Tile 1: nothing measured yet. Tile 2: 2 s a tile, 8 left = 16 s. Tile 3: 7 left = 14 s.
    assert _etas(capsys) == ["--:--", "0:16", "0:14"]


def test_a_fallback_notice_before_the_first_tile_starts_the_clock(clock, capsys):
    bar = upscale_cmd.ProgressBar(enabled=True)
    bar.start("a.png")
    bar.update(Progress(0, 4, "tiles", message="bf16 is not available; fp32"))
    clock.now += 3.0
    bar.update(Progress(1, 4, "tiles"))
    assert _etas(capsys) == ["--:--", "0:09"]


def test_no_eta_on_the_last_tile(clock, capsys):
    bar = upscale_cmd.ProgressBar(enabled=True)
    bar.start("a.png")
    for done in (1, 2):
        clock.now += 1.0
        bar.update(Progress(done, 2, "tiles"))
    assert _etas(capsys) == ["--:--"]
