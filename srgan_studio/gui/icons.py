"""Icons from resources/icons, tinted for the current theme, sharp on high-DPI screens."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "icons"
_SIZES = (16, 20, 24, 32, 48)


def icon_dir() -> Path:
    try:
        from ..resources import __file__ as res_init  # installed layout: srgan_studio/resources
    except ImportError:
        return ICON_DIR
    return Path(res_init).parent / "icons"


def app_icon() -> QIcon:
    icon = QIcon()
    for png in sorted(icon_dir().glob("srgan-studio-*.png")):
        icon.addFile(str(png))
    return icon


@lru_cache(maxsize=256)
def _icon(name: str, color: str, dpr: float) -> QIcon:
    path = icon_dir() / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    svg = path.read_text(encoding="utf-8").replace("#FGCOLOR", color)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    icon = QIcon()
    for size in _SIZES:
        px = max(1, round(size * dpr))
        img = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p, QRectF(0, 0, px, px))
        p.end()
        pm = QPixmap.fromImage(img)
        pm.setDevicePixelRatio(dpr)
        icon.addPixmap(pm)
        icon.addPixmap(_faded(img, dpr), QIcon.Mode.Disabled)
    return icon


DISABLED_OPACITY = 0.35


def _faded(img: QImage, dpr: float) -> QPixmap:
    """The disabled look: the same glyph at a third of its opacity. Qt's own disabled
    pixmap greys the colour, which leaves a light glyph on a dark theme looking enabled."""
    out = QImage(img.size(), QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    p = QPainter(out)
    p.setOpacity(DISABLED_OPACITY)
    p.drawImage(0, 0, img)
    p.end()
    pm = QPixmap.fromImage(out)
    pm.setDevicePixelRatio(dpr)
    return pm


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """Toolbar icon ``name`` in ``color`` (default: the palette's text colour)."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if color is None:
        color = app.palette().windowText().color() if app is not None else QColor("#303030")
    if isinstance(color, QColor):
        color = color.name()
    dpr = app.devicePixelRatio() if app is not None else 1.0
    return _icon(name, color, float(dpr))


def set_icon(obj, name: str) -> None:
    """Give a QAction or button the themed icon ``name``; retint_all() redraws it later."""
    obj.setProperty("icon_name", name)
    obj.setIcon(icon(name))


def retint_all() -> None:
    """After a theme change: redraw every themed icon in the new text colour."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication

    seen = set()
    for w in QApplication.allWidgets():
        for obj in [w, *w.findChildren(QAction)]:
            name = obj.property("icon_name")
            if name and id(obj) not in seen:
                seen.add(id(obj))
                obj.setIcon(icon(name))
