"""core.progress: the one place that drives progress generators and writes an ETA."""

from __future__ import annotations

import pytest

from srgan_studio.core.progress import drive, format_eta, relay, remaining_seconds


def _work(n, result="done"):
    yield from range(n)
    return result


def test_drive_hands_on_every_item_and_returns_the_result():
    seen = []
    assert drive(_work(3), seen.append) == "done"
    assert seen == [0, 1, 2]
    assert drive(_work(2, result=42)) == 42


def test_drive_lets_errors_through():
    def failing():
        yield 1
        raise ValueError("bad file")

    with pytest.raises(ValueError, match="bad file"):
        drive(failing())


def test_relay_yields_what_each_item_becomes_and_returns_the_inner_result():
    def outer():
        result = yield from relay(_work(3), lambda i: [f"tile {i}"] * (i % 2 + 1))
        yield f"then {result}"
        return result.upper()

    events = []
    assert drive(outer(), events.append) == "DONE"
    assert events == ["tile 0", "tile 1", "tile 1", "tile 2", "then done"]


def test_relay_can_drop_items():
    assert list(relay(_work(4), lambda i: [i] if i % 2 else [])) == [1, 3]


@pytest.mark.parametrize(
    "elapsed, done, total, left", [(10.0, 1, 3, 20.0), (5.0, 2.5, 5, 5.0), (7.0, 4, 4, 0.0), (1.0, 5, 4, 0.0)]
)
def test_remaining_seconds_follows_the_pace_so_far(elapsed, done, total, left):
    assert remaining_seconds(elapsed, done, total) == pytest.approx(left)


def test_remaining_seconds_is_unknown_before_any_work():
    assert remaining_seconds(3.0, 0, 10) is None


@pytest.mark.parametrize(
    "seconds, text",
    [
        (None, "--:--"),
        (0, "0:00"),
        (44.6, "0:45"),
        (59.4, "0:59"),
        (61, "1:01"),
        (725, "12:05"),
        (3599.6, "1:00:00"),
        (3723, "1:02:03"),
    ],
)
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text
