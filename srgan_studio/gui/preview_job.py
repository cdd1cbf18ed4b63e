"""The preview render: visible region first, then the rest (no Qt).

``plan_preview`` turns the panes' render targets and the visible box into an
ordered list of steps, one per block (each block is exactly one engine tile):
the not-yet-rendered blocks under the view first, so the user sees
full-detail results within seconds, then the rest, nearest the view first. ``preview_job`` is the
generator the worker drives: it runs the engine on each region (``region=``
gives exactly the pixels a full render would) and pastes them into the
target's canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from ..core.cancel import CancelToken
from ..core.descriptor import ModelDescriptor
from ..core.progress import relay
from .render_slot import RenderSlot, RenderTarget

FILL_MAX_OUTPUT_PIXELS = 120_000_000  # above this, only what is viewed is rendered


@dataclass(frozen=True)
class Step:
    slot: RenderSlot
    target: RenderTarget
    box: tuple[int, int, int, int]  # input pixels
    phase: str  # "visible" | "fill"


@dataclass(frozen=True)
class PreviewEvent:
    slot: RenderSlot
    target: RenderTarget
    phase: str
    tiles_done: int = 0
    tiles_total: int = 0
    region_done: bool = False
    box: tuple[int, int, int, int] | None = None  # input pixels, when region_done
    step: int = 0
    steps: int = 0


def plan_preview(slots: list[RenderSlot], visible: tuple[int, int, int, int] | None, fill: bool = True) -> list[Step]:
    """Steps for every slot with a target; ``visible`` is in input pixels.

    One step per block (= one engine tile), so each tile shows as soon as it
    is done. Blocks under the view come first, nearest the view's centre
    first, with the panes taking turns so they fill in together.
    """
    live = [(s, s.target) for s in slots if s.target is not None]
    # Bicubic costs nothing next to a network: one step for the whole image, first.
    whole = [(s, t) for s, t in live if t.descriptor.kind == "bicubic" and _fits(t)]
    live = [(s, t) for s, t in live if (s, t) not in whole]
    first = [Step(s, t, (0, 0, t.in_w, t.in_h), "visible") for s, t in whole if not t.done.all()]
    if visible is not None:
        cx, cy = (visible[0] + visible[2]) / 2, (visible[1] + visible[3]) / 2
    else:
        cx = cy = 0.0

    def order(target: RenderTarget, blocks):
        def distance(b: tuple[int, int]) -> float:
            x0, y0, x1, y1 = target.block_box(*b)
            return ((x0 + x1) / 2 - cx) ** 2 + ((y0 + y1) / 2 - cy) ** 2

        return sorted(blocks, key=distance)

    def interleave(per_slot: list[list[Step]]) -> list[Step]:
        out = []
        for i in range(max((len(x) for x in per_slot), default=0)):
            out += [x[i] for x in per_slot if i < len(x)]
        return out

    seen: dict[int, set[tuple[int, int]]] = {id(t): set() for _, t in live}
    visible_steps = []
    if visible is not None:
        for slot, target in live:
            todo = order(target, [b for b in target.blocks_in(visible) if not target.done[b]])
            seen[id(target)].update(todo)
            visible_steps.append([Step(slot, target, target.block_box(*b), "visible") for b in todo])
    steps = first + interleave(visible_steps)
    if not fill:
        return steps
    fill_steps = []
    for slot, target in live:
        if not _fits(target):
            continue
        rows, cols = target.done.shape
        todo = [
            (r, c) for r in range(rows) for c in range(cols) if not target.done[r, c] and (r, c) not in seen[id(target)]
        ]
        fill_steps.append([Step(slot, target, target.block_box(*b), "fill") for b in order(target, todo)])
    return steps + interleave(fill_steps)


def _fits(target: RenderTarget) -> bool:
    return target.canvas.shape[0] * target.canvas.shape[1] <= FILL_MAX_OUTPUT_PIXELS


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
        out = yield from relay(
            gen,
            lambda p, step=step, i=i: [
                PreviewEvent(step.slot, step.target, step.phase, p.done, p.total, step=i, steps=len(steps))
            ],
        )
        step.target.paste(step.box, out.color, out.alpha)
        done += 1
        yield PreviewEvent(step.slot, step.target, step.phase, 1, 1, True, step.box, step=i + 1, steps=len(steps))
    return done
