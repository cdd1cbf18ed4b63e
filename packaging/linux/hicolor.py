"""Lay out the app icon in the freedesktop hicolor theme: ``share/icons/hicolor/NxN/apps/<app id>.png``.

Sizes that ``resources/icons`` already has as ``srgan-studio-N.png`` are
copied; any other standard size is rendered from ``srgan-studio.svg`` with
QtSvg, so a small icon is drawn at its size rather than blurred down. The SVG
also goes in ``scalable/apps``.

    python packaging/linux/hicolor.py OUT_SHARE_DIR
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.srgan_studio.SRGANStudio"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"


def make_hicolor(share: Path, icons: Path = ICONS, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Write the hicolor icons under ``share/icons/hicolor`` and return the files written."""
    svg = icons / "srgan-studio.svg"
    root = Path(share) / "icons" / "hicolor"
    written = []
    for size in sizes:
        target = root / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        png = icons / f"srgan-studio-{size}.png"
        if png.is_file():
            shutil.copyfile(png, target)
        elif svg.is_file():
            _render_svg(svg, size, target)
        else:
            raise SystemExit(f"{icons}: no srgan-studio-{size}.png and no srgan-studio.svg to draw it from")
        written.append(target)
    if svg.is_file():
        target = root / "scalable" / "apps" / f"{APP_ID}.svg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(svg, target)
        written.append(target)
    return written


def _render_svg(svg: Path, size: int, target: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (QPainter needs one)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    if not img.save(str(target), "PNG"):
        raise SystemExit(f"{target}: cannot write the icon")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: hicolor.py OUT_SHARE_DIR")
    for path in make_hicolor(Path(sys.argv[1])):
        print(path)
