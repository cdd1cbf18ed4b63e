"""What the window shows before any image is open."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .icons import app_icon


class DropHint(QWidget):
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        faint = QColor(text)
        faint.setAlpha(90)
        r = QRectF(self.rect()).adjusted(40, 40, -40, -40)
        p.setPen(QPen(faint, 2, Qt.PenStyle.DashLine))
        p.drawRoundedRect(r, 18, 18)
        size = 96
        pm = app_icon().pixmap(size, size)
        p.drawPixmap(int(r.center().x() - size / 2), int(r.center().y() - size - 30), pm)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        p.setFont(font)
        p.setPen(text)
        p.drawText(
            QRectF(r.left(), r.center().y() - 20, r.width(), 40), Qt.AlignmentFlag.AlignCenter, "Drop photos here"
        )
        font.setPointSizeF(font.pointSizeF() / 1.6)
        font.setBold(False)
        p.setFont(font)
        p.drawText(
            QRectF(r.left(), r.center().y() + 24, r.width(), 60),
            Qt.AlignmentFlag.AlignCenter,
            "or press Ctrl+O to open, Ctrl+V to paste.\nDrop a folder to restore all of it in a batch.",
        )
        p.end()
