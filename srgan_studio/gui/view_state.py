"""One zoom and one pan shared by every pane of the compare view (no Qt).

Coordinates are *output* pixels (the x4 image every pane shows), so the
panes stay in step whatever their model. ``zoom`` is screen pixels per
output pixel: 1.0 is 1:1. The panes only read this object and call its
methods; they repaint when it notifies them.
"""

from __future__ import annotations

from collections.abc import Callable

MIN_ZOOM = 1 / 64
MAX_ZOOM = 32.0
ZOOM_STEP = 1.25
LENS_FACTOR = 4.0


class ViewState:
    def __init__(self) -> None:
        self.image_w = 0
        self.image_h = 0
        self.viewport_w = 1
        self.viewport_h = 1
        self.zoom = 1.0
        self.cx = 0.0
        self.cy = 0.0
        self.fit_mode = True
        # The lens: the output pixel under the cursor, shown magnified in every
        # pane at once. Its own listeners, so moving it repaints the panes but
        # does not make the preview re-plan its rendering.
        self.lens: tuple[float, float] | None = None
        self.lens_factor = LENS_FACTOR
        self._listeners: list[Callable[[], None]] = []
        self._lens_listeners: list[Callable[[], None]] = []

    def subscribe(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def subscribe_lens(self, fn: Callable[[], None]) -> None:
        self._lens_listeners.append(fn)

    def set_lens(self, point: tuple[float, float] | None) -> None:
        """Centre the lens on ``point`` (output pixels), or hide it with None."""
        if point is not None:
            point = (max(0.0, min(float(self.image_w), point[0])), max(0.0, min(float(self.image_h), point[1])))
        if point != self.lens:
            self.lens = point
            for fn in list(self._lens_listeners):
                fn()

    def lens_view(self) -> ViewState | None:
        """A view magnified ``lens_factor`` times that keeps the lens point where it
        is on screen: drawn inside the lens circle, it is the loupe's content."""
        if self.lens is None:
            return None
        lx, ly = self.lens
        sx, sy = self.to_screen(lx, ly)
        v = ViewState()
        v.image_w, v.image_h = self.image_w, self.image_h
        v.viewport_w, v.viewport_h = self.viewport_w, self.viewport_h
        v.zoom = self.zoom * self.lens_factor
        v.fit_mode = False
        v.cx = lx - (sx - self.viewport_w / 2) / v.zoom
        v.cy = ly - (sy - self.viewport_h / 2) / v.zoom
        return v

    def _changed(self) -> None:
        for fn in list(self._listeners):
            fn()

    # -- setup -------------------------------------------------------------
    def set_image_size(self, w: int, h: int) -> None:
        self.image_w, self.image_h = int(w), int(h)
        self.fit()

    def set_viewport(self, w: int, h: int) -> None:
        w, h = max(1, int(w)), max(1, int(h))
        if (w, h) == (self.viewport_w, self.viewport_h):
            return
        self.viewport_w, self.viewport_h = w, h
        if self.fit_mode:
            self.fit()
        else:
            self._clamp()
            self._changed()

    # -- commands ----------------------------------------------------------
    def fit_zoom(self) -> float:
        if not self.image_w or not self.image_h:
            return 1.0
        return min(self.viewport_w / self.image_w, self.viewport_h / self.image_h)

    def fit(self) -> None:
        self.fit_mode = True
        self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, self.fit_zoom()))
        self.cx, self.cy = self.image_w / 2, self.image_h / 2
        self._changed()

    def one_to_one(self) -> None:
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def set_zoom(self, zoom: float, anchor: tuple[float, float] | None = None) -> None:
        """Zoom keeping the screen point ``anchor`` (viewport pixels) fixed."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is None:
            anchor = (self.viewport_w / 2, self.viewport_h / 2)
        ux, uy = self.to_image(*anchor)
        self.zoom = zoom
        self.fit_mode = False
        self.cx = ux - (anchor[0] - self.viewport_w / 2) / zoom
        self.cy = uy - (anchor[1] - self.viewport_h / 2) / zoom
        self._clamp()
        self._changed()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels, as a drag does."""
        self.cx -= dx / self.zoom
        self.cy -= dy / self.zoom
        self.fit_mode = False
        self._clamp()
        self._changed()

    # -- queries -----------------------------------------------------------
    def to_image(self, sx: float, sy: float) -> tuple[float, float]:
        return (
            self.cx + (sx - self.viewport_w / 2) / self.zoom,
            self.cy + (sy - self.viewport_h / 2) / self.zoom,
        )

    def to_screen(self, ix: float, iy: float) -> tuple[float, float]:
        return (
            (ix - self.cx) * self.zoom + self.viewport_w / 2,
            (iy - self.cy) * self.zoom + self.viewport_h / 2,
        )

    def visible_rect(self) -> tuple[int, int, int, int]:
        """The visible part of the image, (x0, y0, x1, y1) in output pixels, clipped."""
        x0, y0 = self.to_image(0, 0)
        x1, y1 = self.to_image(self.viewport_w, self.viewport_h)
        x0, y0 = max(0, int(x0)), max(0, int(y0))
        x1, y1 = min(self.image_w, int(x1 + 1)), min(self.image_h, int(y1 + 1))
        return x0, y0, max(x0, x1), max(y0, y1)

    def _clamp(self) -> None:
        # Keep the image centre inside the viewport's reach: the picture can be
        # dragged up to its edge, never lost off screen.
        self.cx = max(0.0, min(float(self.image_w), self.cx))
        self.cy = max(0.0, min(float(self.image_h), self.cy))
