"""The preview render: visible region first, then the rest (no Qt).

``plan_preview`` turns the panes' render targets and the visible box into an
ordered list of steps: for every pane, the not-yet-rendered blocks under the
view as one region (so the user sees full-detail results within seconds),
then the remaining blocks nearest the view first. ``preview_job`` is the
generator the worker drives: it runs the engine on each region (``region=``
gives exactly the pixels a full render would) and pastes them into the
target's canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from ..core.cancel import CancelToken
from ..core.descriptor import ModelDescriptor
from .render_slot import RenderSlot, RenderTarget

FILL_GROUP = 2            # fill steps cover FILL_GROUP x FILL_GROUP blocks
FILL_MAX_OUTPUT_PIXELS = 120_000_000  # above this, only what is viewed is rendered


@dataclass(frozen=True)
class Step:
    slot: RenderSlot
    target: RenderTarget
    box: tuple[int, int, int, int]   # input pixels
    phase: str                        # "visible" | "fill"


@dataclass(frozen=True)
class PreviewEvent:
    slot: RenderSlot
    target: RenderTarget
    phase: str
    tiles_done: int = 0
    tiles_total: int = 0
    region_done: bool = False
    box: tuple[int, int, int, int] | None = None   # input pixels, when region_done
    step: int = 0
    steps: int = 0


def _bbox(blocks: list[tuple[int, int]], target: RenderTarget) -> tuple[int, int, int, int]:
    boxes = [target.block_box(by, bx) for by, bx in blocks]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _rectangles(blocks: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Cover ``blocks`` exactly with rectangles (a bounding box would redo blocks already done)."""
    rows: dict[int, set[int]] = {}
    for by, bx in blocks:
        rows.setdefault(by, set()).add(bx)
    runs: list[tuple[int, int, int]] = []   # (row, first col, last col)
    for by in sorted(rows):
        cols = sorted(rows[by])
        start = prev = cols[0]
        for c in cols[1:] + [None]:
            if c is not None and c == prev + 1:
                prev = c
                continue
            runs.append((by, start, prev))
            if c is not None:
                start = prev = c
    rects: list[list[tuple[int, int, int]]] = []
    for run in runs:
        last = rects[-1][-1] if rects else None
        if last is not None and last[0] + 1 == run[0] and last[1:] == run[1:]:
            rects[-1].append(run)
        else:
            rects.append([run])
    return [[(by, bx) for by, c0, c1 in rect for bx in range(c0, c1 + 1)] for rect in rects]


def plan_preview(slots: list[RenderSlot], visible: tuple[int, int, int, int] | None, fill: bool = True) -> list[Step]:
    """Steps for every slot with a target; ``visible`` is in input pixels."""
    live = [(s, s.target) for s in slots if s.target is not None]
    steps: list[Step] = []
    if visible is not None:
        for slot, target in live:
            todo = [b for b in target.blocks_in(visible) if not target.done[b]]
            if todo:
                steps.append(Step(slot, target, _bbox(todo, target), "visible"))
    if not fill:
        return steps
    for slot, target in live:
        if target.canvas.shape[0] * target.canvas.shape[1] > FILL_MAX_OUTPUT_PIXELS:
            continue
        seen = {b for st in steps if st.target is target for b in target.blocks_in(st.box)}
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        rows, cols = target.done.shape
        for by in range(rows):
            for bx in range(cols):
                if not target.done[by, bx] and (by, bx) not in seen:
                    groups.setdefault((by // FILL_GROUP, bx // FILL_GROUP), []).append((by, bx))
        if visible is not None:
            vcx, vcy = (visible[0] + visible[2]) / 2, (visible[1] + visible[3]) / 2
        else:
            vcx, vcy = target.in_w / 2, target.in_h / 2
        def distance(key: tuple[int, int]) -> float:
            x0, y0, x1, y1 = _bbox(groups[key], target)
            return ((x0 + x1) / 2 - vcx) ** 2 + ((y0 + y1) / 2 - vcy) ** 2

        for key in sorted(groups, key=distance):
            for rect in _rectangles(groups[key]):
                steps.append(Step(slot, target, _bbox(rect, target), "fill"))
    return steps


UpscalerFactory = Callable[[ModelDescriptor], object]


def preview_job(
    steps: list[Step], image, get_upscaler: UpscalerFactory, cancel: CancelToken
) -> Generator[PreviewEvent, None, int]:
    """Render ``steps`` in order; return how many regions were completed."""
    done = 0
    for i, step in enumerate(steps):
        cancel.raise_if_cancelled()
        upscaler = get_upscaler(step.target.descriptor)
        gen = upscaler.run(image, cancel=cancel, region=step.box)
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                out = stop.value
                break
            yield PreviewEvent(step.slot, step.target, step.phase, p.done, p.total, step=i, steps=len(steps))
        step.target.paste(step.box, out.color, out.alpha)
        done += 1
        yield PreviewEvent(step.slot, step.target, step.phase, 1, 1, True, step.box, step=i + 1, steps=len(steps))
    return done
