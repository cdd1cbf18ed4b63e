"""Compare panes: one model each, or two models split by a slider.

Panes hold no state of their own beyond what they draw: the zoom and pan
come from the shared ViewState, the pictures from RenderSlots. A wheel or
drag on any pane changes the ViewState, and every pane repaints from it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .qimage import DisplayImage, qimage_view
from .render_slot import RenderSlot, RenderTarget
from .view_state import ViewState

BG = QColor(24, 25, 28)  # darker than either theme's window colour, so panes stand apart
LABEL_BG = QColor(0, 0, 0, 150)
ACCENT = QColor(90, 170, 255)
LENS_RADIUS = 110  # screen pixels


class _CanvasCache:
    """One QImage per render target, sharing the target's canvas memory."""

    def __init__(self) -> None:
        self._target: RenderTarget | None = None
        self._qimage = None

    def get(self, target: RenderTarget):
        if target is not self._target:
            self._target, self._qimage = target, qimage_view(target.canvas)
        return self._qimage


class ViewWidget(QWidget):
    """Wheel zooms about the cursor, drag pans; both through the ViewState."""

    def __init__(self, view: ViewState, parent=None):
        super().__init__(parent)
        self.view = view
        self.original: DisplayImage | None = None
        self.show_info = False
        self._drag_from: QPointF | None = None
        self.lens_enabled = False
        self.setMouseTracking(True)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        view.subscribe(self.update)
        view.subscribe_lens(self.update)

    def set_lens_enabled(self, on: bool) -> None:
        self.lens_enabled = on
        if not on:
            self.view.set_lens(None)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self.lens_enabled:
            self.view.set_lens(None)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.isVisible():
            self.view.set_viewport(self.width(), self.height())
        super().resizeEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802
        self.view.set_viewport(self.width(), self.height())
        super().showEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            pos = event.position()
            self.view.set_zoom(self.view.zoom * (1.25**steps), anchor=(pos.x(), pos.y()))
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self._drag_from is not None:
            delta = pos - self._drag_from
            self._drag_from = pos
            self.view.pan_by(delta.x(), delta.y())
        if self.lens_enabled and self.original is not None:
            self.view.set_lens(self.view.to_image(pos.x(), pos.y()))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag_from = None
        self.unsetCursor()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.view.fit_mode:
            pos = event.position()
            self.view.set_zoom(1.0, anchor=(pos.x(), pos.y()))
        else:
            self.view.fit()

    # -- painting helpers ----------------------------------------------------
    @staticmethod
    def _screen_rect(view: ViewState, x0: float, y0: float, x1: float, y1: float) -> QRectF:
        sx0, sy0 = view.to_screen(x0, y0)
        sx1, sy1 = view.to_screen(x1, y1)
        return QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0)

    def _paint_lens(self, p: QPainter, slot: RenderSlot, cache: _CanvasCache) -> None:
        """The loupe: ``slot`` magnified in a circle around the lens point. Every pane
        draws it at the same output pixel, so the models compare detail for detail."""
        lens = self.view.lens_view()
        if lens is None or self.original is None:
            return
        cx, cy = self.view.to_screen(*self.view.lens)
        circle = QPainterPath()
        circle.addEllipse(QPointF(cx, cy), LENS_RADIUS, LENS_RADIUS)
        p.save()
        p.setClipPath(circle, Qt.ClipOperation.IntersectClip)
        p.fillRect(circle.boundingRect(), BG)
        self._paint_slot(p, slot, cache, lens)
        p.restore()
        p.save()
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(circle)
        p.restore()

    def _paint_lens_label(self, p: QPainter) -> None:
        if self.view.lens is None or self.original is None:
            return
        cx, cy = self.view.to_screen(*self.view.lens)
        zoom = self.view.zoom * self.view.lens_factor
        self._paint_label(p, f"{zoom * 100:.0f}%", cx - 24, cy + LENS_RADIUS - 30)

    def _paint_slot(self, p: QPainter, slot: RenderSlot, cache: _CanvasCache, view: ViewState | None = None) -> None:
        """Draw ``slot``'s picture: the original under blocks not rendered yet."""
        view = view or self.view
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, view.zoom < 1.0)
        x0, y0, x1, y1 = view.visible_rect()
        if x1 <= x0 or y1 <= y0:
            return
        target = slot.target
        scale = target.scale if target is not None else max(1, round(view.image_w / max(1, self._orig_w())))
        if self.original is not None:
            sx0, sy0 = x0 / scale, y0 / scale
            sx1, sy1 = x1 / scale, y1 / scale
            p.drawImage(
                self._screen_rect(view, x0, y0, x1, y1), self.original.qimage, QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0)
            )
        if target is None:
            return
        qimg = cache.get(target)
        done = target.done
        cols = target.block_range(x0 / scale, x1 / scale, "x")
        xs = [e * scale for e in target.xs]
        ys = [e * scale for e in target.ys]
        for r in target.block_range(y0 / scale, y1 / scale, "y"):
            row = done[r]
            c = cols.start
            while c < cols.stop:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < cols.stop and row[c]:
                    c += 1
                # One draw per run of finished blocks in a row, clipped to the view.
                bx0, by0 = max(x0, xs[start]), max(y0, ys[r])
                bx1, by1 = min(x1, xs[c]), min(y1, ys[r + 1])
                if bx1 > bx0 and by1 > by0:
                    p.drawImage(
                        self._screen_rect(view, bx0, by0, bx1, by1), qimg, QRectF(bx0, by0, bx1 - bx0, by1 - by0)
                    )

    def _orig_w(self) -> int:
        return self.original.width if self.original is not None else 1

    def _paint_label(
        self, p: QPainter, text: str, x: float, y: float, align_right: bool = False, mono: bool = False
    ) -> QRectF:
        p.save()
        if mono:
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            font.setPointSizeF(self.font().pointSizeF() * 0.9)
            p.setFont(font)
        fm = p.fontMetrics()
        lines = text.split("\n")
        w = max(fm.horizontalAdvance(line) for line in lines) + 16
        h = fm.height() * len(lines) + 10
        rect = QRectF(x - w if align_right else x, y, w, h)
        path = QPainterPath()
        path.addRoundedRect(rect, 6, 6)
        p.fillPath(path, LABEL_BG)
        p.setPen(QColor(240, 240, 240))
        p.drawText(rect.adjusted(8, 5, -8, -5), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        p.restore()
        return rect

    def _paint_progress(self, p: QPainter, slot: RenderSlot, x: float, width: float) -> None:
        if slot.target is None or (slot.fraction >= 1.0 and not slot.busy):
            return
        h = 4
        y = self.height() - h
        p.fillRect(QRectF(x, y, width, h), QColor(0, 0, 0, 120))
        p.fillRect(QRectF(x, y, width * slot.fraction, h), ACCENT)
        if slot.busy and slot.tile_fraction:
            p.fillRect(QRectF(x, y - 2, width * slot.tile_fraction, 2), QColor(255, 255, 255, 140))

    def _paint_missing(self, p: QPainter, slot: RenderSlot, rect: QRectF) -> None:
        p.save()
        p.fillRect(rect, QColor(0, 0, 0, 140))
        p.setPen(QColor(230, 230, 230))
        font = QFont(p.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        p.setFont(font)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{slot.title}\n{slot.missing}")
        p.restore()

    def _slot_caption(self, slot: RenderSlot) -> str:
        if slot.target is None:
            return slot.title
        pct = int(slot.fraction * 100)
        if slot.fraction >= 1.0:
            return slot.title
        return f"{slot.title}  ·  {pct}%  {slot.status}".rstrip()

    def info_text(self, *slots: RenderSlot) -> str:
        """Input and output size, zoom, and for each slot its model and realism."""
        v = self.view
        lines = []
        if self.original is not None:
            lines.append(f"input  {self.original.width} × {self.original.height}")
        lines.append(f"output {v.image_w} × {v.image_h}")
        lines.append(f"zoom   {v.zoom * 100:.0f}%")
        for slot in slots:
            if slot.descriptor is not None:
                lines.append(f"model  {model_line(slot.descriptor)}")
        return "\n".join(lines)


def model_line(d) -> str:
    """``SRGAN x4 (srresnet, x4), realism 50%``: the model a pane shows, as the overlay names it."""
    blend = d.provenance.get("interpolated") if isinstance(d.provenance, dict) else None
    title = d.title.split(" · ")[0]
    text = f"{title} ({d.architecture}, x{d.scale})"
    if blend:
        text += f", realism {round(100 * float(blend.get('alpha', 0)))}%"
    return text


class ImagePane(ViewWidget):
    """One model's output."""

    def __init__(self, view: ViewState, slot: RenderSlot, parent=None):
        super().__init__(view, parent)
        self.slot = slot
        self._cache = _CanvasCache()
        slot.subscribe(self.update)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), BG)
        if self.original is not None:
            self._paint_slot(p, self.slot, self._cache)
            self._paint_lens(p, self.slot, self._cache)
            self._paint_lens_label(p)
        if self.slot.descriptor is None:
            self._paint_missing(p, self.slot, QRectF(self.rect()))
        caption = self._paint_label(p, self._slot_caption(self.slot), 8, 8)
        if self.show_info and self.original is not None:  # under the caption: a narrow pane has no room beside it
            self._paint_label(p, self.info_text(self.slot), 8, caption.bottom() + 6, mono=True)
        self._paint_progress(p, self.slot, 0, self.width())
        p.end()


class SplitPane(ViewWidget):
    """Two models in one pane: left of the divider one, right the other."""

    split_moved = Signal(float)
    HANDLE = 8  # pixels either side of the divider that grab it

    def __init__(self, view: ViewState, left: RenderSlot, right: RenderSlot, parent=None):
        super().__init__(view, parent)
        self.left = left
        self.right = right
        self.split = 0.5
        self._caches = (_CanvasCache(), _CanvasCache())
        self._dragging_split = False
        left.subscribe(self.update)
        right.subscribe(self.update)

    def set_slots(self, left: RenderSlot, right: RenderSlot) -> None:
        for s in (left, right):
            if self.update not in s._listeners:
                s.subscribe(self.update)
        self.left, self.right = left, right
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = max(0.0, min(1.0, fraction))
        self.split_moved.emit(self.split)
        self.update()

    def _divider_x(self) -> float:
        return self.width() * self.split

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and abs(event.position().x() - self._divider_x()) <= self.HANDLE:
            self._dragging_split = True
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        x = event.position().x()
        if self._dragging_split:
            self.set_split(x / max(1, self.width()))
            return
        if self._drag_from is None:
            near = abs(x - self._divider_x()) <= self.HANDLE
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._dragging_split = False
        super().mouseReleaseEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), BG)
        dx = self._divider_x()
        w, h = self.width(), self.height()
        halves = ((self.left, QRectF(0, 0, dx, h)), (self.right, QRectF(dx, 0, w - dx, h)))
        for (slot, rect), cache in zip(halves, self._caches):
            p.save()
            p.setClipRect(rect)
            if self.original is not None:
                self._paint_slot(p, slot, cache)
                self._paint_lens(p, slot, cache)
            if slot.descriptor is None:
                self._paint_missing(p, slot, rect)
            p.restore()
        self._paint_lens_label(p)
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.drawLine(QPointF(dx, 0), QPointF(dx, h))
        knob = QRectF(dx - 9, h / 2 - 18, 18, 36)
        p.setBrush(QColor(255, 255, 255, 230))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawRoundedRect(knob, 9, 9)
        self._paint_label(p, "◀ " + self._slot_caption(self.left), 8, 8)
        self._paint_label(p, self._slot_caption(self.right) + " ▶", w - 8, 8, align_right=True)
        if self.show_info and self.original is not None:
            self._paint_label(p, self.info_text(self.left, self.right), 8, 44, mono=True)
        self._paint_progress(p, self.left, 0, dx)
        self._paint_progress(p, self.right, dx, w - dx)
        p.end()
