"""Small widgets for the fine-tuning wizard: the loss curve, the image strip, labels."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

SERIES_COLOURS = ("#2f80ed", "#eb5757", "#27ae60", "#f2994a", "#9b51e0")
RAW_ALPHA = 60  # the raw losses stay visible, faint, under the smoothed curve
SMOOTH_SPAN = 20  # steps: the exponential moving average's span


def smoothed(points: list[tuple[float, float]], span: int = SMOOTH_SPAN) -> list[tuple[float, float]]:
    """Exponential moving average of the log loss, bias-corrected so it starts at the first value."""
    alpha = 2.0 / (span + 1)
    out, avg, weight = [], 0.0, 0.0
    for x, y in points:
        avg = (1 - alpha) * avg + alpha * math.log(y)
        weight = (1 - alpha) * weight + alpha
        out.append((x, math.exp(avg / weight)))
    return out


class NoteLabel(QLabel):
    """A word-wrapped line shown only while it has text: an empty error or warning line still took its
    row and the spacing around it, a hole between the fields of the wizard's pages."""

    def __init__(self, text: str = ""):
        super().__init__()
        self.setWordWrap(True)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setVisible(bool(text))


def error_label() -> QLabel:
    lb = NoteLabel()
    lb.setStyleSheet("color: #c0392b;")
    lb.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lb


def warning_label() -> QLabel:
    lb = NoteLabel()
    lb.setStyleSheet("color: #b7791f;")
    return lb


class LossCurve(QWidget):
    """Loss against step, log scale, painted with QPainter (no plotting library): the smoothed
    curve over the raw values drawn faint."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.marks: list[tuple[float, str]] = []  # vertical lines, e.g. where the GAN stage starts
        self.setMinimumSize(320, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(480, 200)

    def add(self, name: str, x: float, y: float) -> None:
        if not (math.isfinite(y) and y > 0):
            return
        self.series.setdefault(name, []).append((float(x), float(y)))
        self.update()

    def mark(self, x: float, label: str) -> None:
        self.marks.append((float(x), label))
        self.update()

    def clear(self) -> None:
        self.series.clear()
        self.marks.clear()
        self.update()

    def point_count(self) -> int:
        return sum(len(v) for v in self.series.values())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        m_left, m_right, m_top, m_bottom = 48, 10, 10, 22
        plot = QRectF(m_left, m_top, max(1, self.width() - m_left - m_right), max(1, self.height() - m_top - m_bottom))
        p.setPen(QPen(pal.mid().color(), 1))
        p.drawRect(plot)
        points = [pt for s in self.series.values() for pt in s]
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        if not points:
            p.setPen(pal.text().color())
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "loss curve: waiting for the first steps")
            return
        x0 = min(x for x, _ in points)
        x1 = max(max(x for x, _ in points), x0 + 1)
        ly = [math.log10(y) for _, y in points]
        y0, y1 = math.floor(min(ly) * 4) / 4, math.ceil(max(ly) * 4) / 4
        if y1 - y0 < 0.25:
            y1 = y0 + 0.25

        def to_px(x: float, y: float) -> QPointF:
            fx = (x - x0) / (x1 - x0)
            fy = (math.log10(y) - y0) / (y1 - y0)
            return QPointF(plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height())

        p.setPen(pal.text().color())
        for v in (y0, (y0 + y1) / 2, y1):
            pos = to_px(x0, 10**v)
            p.drawText(
                QRectF(0, pos.y() - 8, m_left - 4, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{10**v:.3g}",
            )
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 2, plot.width(), 18), Qt.AlignmentFlag.AlignLeft, f"step {int(x0)}"
        )
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 18), Qt.AlignmentFlag.AlignRight, f"{int(x1)}")
        for x, label in self.marks:
            pos = to_px(x, 10**y0)
            p.setPen(QPen(pal.mid().color(), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(pos.x(), plot.top()), QPointF(pos.x(), plot.bottom()))
            p.drawText(QPointF(pos.x() + 3, plot.bottom() - 4), label)
        legend_y = plot.top() + 12
        for i, (name, pts) in enumerate(self.series.items()):
            colour = QColor(SERIES_COLOURS[i % len(SERIES_COLOURS)])
            faint = QColor(colour)
            faint.setAlpha(RAW_ALPHA)
            # One polyline call each: PySide6 6.12 leaks a reference to None on each
            # QPainterPath.lineTo, which crashed the interpreter after a few hundred points.
            p.setPen(QPen(faint, 1.0))
            p.drawPolyline(QPolygonF([to_px(*pt) for pt in pts]))
            p.setPen(QPen(colour, 2.0))
            p.drawPolyline(QPolygonF([to_px(*pt) for pt in smoothed(pts)]))
            p.drawText(QPointF(plot.right() - 90, legend_y + 14 * i), name)


class ImageStrip(QWidget):
    """A row of labelled images (before/after previews, side-by-side crops), scaled up with nearest pixels."""

    def __init__(self, titles: list[str], side: int = 160, parent: QWidget | None = None):
        super().__init__(parent)
        self.side = side
        self.titles = list(titles)
        self.images: list[QLabel] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, title in enumerate(titles):
            cap = QLabel(title)
            cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
            img = QLabel()
            img.setFixedSize(side, side)
            img.setAlignment(Qt.AlignmentFlag.AlignCenter)
            img.setFrameShape(QLabel.Shape.StyledPanel)
            grid.addWidget(img, 0, i)
            grid.addWidget(cap, 1, i)
            self.images.append(img)

    def set_images(self, paths: list[Path | str | None]) -> None:
        for label, path in zip(self.images, paths, strict=False):
            if path is None:
                label.clear()
                continue
            qimg = QImage(str(path))
            if qimg.isNull():
                label.setText("-")
                continue
            label.setPixmap(
                QPixmap.fromImage(qimg).scaled(
                    self.side, self.side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
                )
            )

    def shown(self) -> int:
        return sum(1 for lb in self.images if lb.pixmap() is not None and not lb.pixmap().isNull())


def titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    head = QLabel(f"<b>{title}</b>")
    lay.addWidget(head)
    lay.addWidget(widget)
    return box
