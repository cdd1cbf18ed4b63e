"""Write the app's icons into resources/icons/.

Toolbar icons are small hand-written SVGs (24x24 grid, strokes in the
placeholder colour #FGCOLOR, which gui/icons.py swaps for the theme's text
colour). The app icon is an SVG too, rendered to PNGs at the standard sizes
16..512 for packaging (and an .ico for Windows).

Run: python scripts/make_icons.py   (needs PySide6; offscreen is fine)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

_HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#FGCOLOR" '
    'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">'
)

TOOL_ICONS = {
    "open": '<path d="M3 7.5V18a1.5 1.5 0 0 0 1.5 1.5h15A1.5 1.5 0 0 0 21 18V9.5A1.5 1.5 0 0 0 19.5 8H12l-2-2.5H4.5A1.5 1.5 0 0 0 3 7z"/>',
    "save": '<path d="M12 3.5v11"/><path d="M7.5 10l4.5 4.5 4.5-4.5"/><path d="M4 16.5V19a1.5 1.5 0 0 0 1.5 1.5h13A1.5 1.5 0 0 0 20 19v-2.5"/>',
    "paste": '<rect x="5" y="4.5" width="14" height="16" rx="1.8"/><path d="M9 4.5V3.8A.8.8 0 0 1 9.8 3h4.4a.8.8 0 0 1 .8.8v.7"/><path d="M8.5 10h7M8.5 13.5h7M8.5 17h4"/>',
    "zoom-in": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21"/><path d="M10.5 7.5v6M7.5 10.5h6"/>',
    "zoom-out": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21"/><path d="M7.5 10.5h6"/>',
    "zoom-fit": '<path d="M4 9V5.5A1.5 1.5 0 0 1 5.5 4H9M15 4h3.5A1.5 1.5 0 0 1 20 5.5V9M20 15v3.5a1.5 1.5 0 0 1-1.5 1.5H15M9 20H5.5A1.5 1.5 0 0 1 4 18.5V15"/><rect x="8" y="8" width="8" height="8" rx="1"/>',
    "zoom-100": '<path d="M5 8l2-1.5V17"/><path d="M17 8l2-1.5V17"/><circle cx="12" cy="10" r=".6" fill="#FGCOLOR"/><circle cx="12" cy="14" r=".6" fill="#FGCOLOR"/>',
    "side-by-side": '<rect x="2.5" y="5" width="5.6" height="14" rx="1"/><rect x="9.2" y="5" width="5.6" height="14" rx="1"/><rect x="15.9" y="5" width="5.6" height="14" rx="1"/>',
    "split": '<rect x="3" y="5" width="18" height="14" rx="1.5"/><path d="M12 3v18"/><path d="M9.5 10.5L8 12l1.5 1.5M14.5 10.5L16 12l-1.5 1.5"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5"/><circle cx="12" cy="7.8" r=".7" fill="#FGCOLOR"/>',
    "cancel": '<circle cx="12" cy="12" r="9"/><path d="M9 9l6 6M15 9l-6 6"/>',
    "batch": '<rect x="7" y="3" width="13" height="13" rx="1.5"/><path d="M4 7v11.5A1.5 1.5 0 0 0 5.5 20H17"/><path d="M10.5 11.5l2 2 4-4.5"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2.8v2.4M12 18.8v2.4M2.8 12h2.4M18.8 12h2.4M5.5 5.5l1.7 1.7M16.8 16.8l1.7 1.7M5.5 18.5l1.7-1.7M16.8 7.2l1.7-1.7"/>',
    "models": '<path d="M12 3l8 4.5v9L12 21l-8-4.5v-9z"/><path d="M4 7.5l8 4.5 8-4.5M12 12v9"/>',
    "next": '<path d="M9 5l7 7-7 7"/>',
    "previous": '<path d="M15 5l-7 7 7 7"/>',
    "folder-batch": '<path d="M3 7.5V18a1.5 1.5 0 0 0 1.5 1.5h15A1.5 1.5 0 0 0 21 18V9.5A1.5 1.5 0 0 0 19.5 8H12l-2-2.5H4.5A1.5 1.5 0 0 0 3 7z"/><path d="M9 13.5l2 2 4-4"/>',
    "report": '<path d="M6 3h8l4 4v13.5a.5.5 0 0 1-.5.5h-11a.5.5 0 0 1-.5-.5V3.5a.5.5 0 0 1 .5-.5z"/><path d="M14 3v4h4M9 12h6M9 15.5h6M9 19h3"/>',
    "realism": '<path d="M3 17c3-6 5-6 7-2s4 4 7-3"/><circle cx="18.5" cy="7" r="2"/><path d="M3 21h18"/>',
}

# The app icon: a photo whose left half is blocky pixels and whose right half
# is the smooth upscale, split by the compare slider.
APP_ICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#2b5cd9"/><stop offset="1" stop-color="#7a3fd1"/>
    </linearGradient>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#ffd27a"/><stop offset="1" stop-color="#ff7b54"/>
    </linearGradient>
    <clipPath id="card"><rect x="72" y="96" width="368" height="320" rx="28"/></clipPath>
    <clipPath id="left"><rect x="72" y="96" width="184" height="320"/></clipPath>
    <clipPath id="right"><rect x="256" y="96" width="184" height="320"/></clipPath>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="108" fill="url(#bg)"/>
  <g clip-path="url(#card)">
    <rect x="72" y="96" width="368" height="320" fill="url(#sky)"/>
    <g clip-path="url(#right)">
      <circle cx="330" cy="190" r="44" fill="#fff4c9"/>
      <path d="M72 416 L190 270 L262 350 L330 280 L440 400 L440 416 Z" fill="#1d3557"/>
      <path d="M72 416 L190 300 L262 372 L330 320 L440 416 Z" fill="#2f6f8f"/>
    </g>
    <g clip-path="url(#left)" shape-rendering="crispEdges">
      <rect x="72" y="96" width="184" height="320" fill="#ffb066"/>
      <rect x="72" y="96" width="184" height="46" fill="#ffd07a"/>
      <rect x="72" y="142" width="184" height="46" fill="#ffc070"/>
      <rect x="72" y="326" width="46" height="90" fill="#1d3557"/>
      <rect x="118" y="280" width="46" height="136" fill="#1d3557"/>
      <rect x="164" y="234" width="46" height="182" fill="#1d3557"/>
      <rect x="210" y="280" width="46" height="136" fill="#1d3557"/>
      <rect x="72" y="372" width="92" height="44" fill="#2f6f8f"/>
      <rect x="164" y="326" width="92" height="90" fill="#2f6f8f"/>
    </g>
  </g>
  <rect x="72" y="96" width="368" height="320" rx="28" fill="none" stroke="#ffffff" stroke-opacity=".9" stroke-width="10"/>
  <rect x="250" y="70" width="12" height="372" rx="6" fill="#ffffff"/>
  <circle cx="256" cy="256" r="34" fill="#ffffff"/>
  <path d="M244 242 L230 256 L244 270 M268 242 L282 256 L268 270" fill="none" stroke="#4a4ad6" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage painting needs it
    OUT.mkdir(parents=True, exist_ok=True)
    for name, body in TOOL_ICONS.items():
        (OUT / f"{name}.svg").write_text(f"{_HEAD}{body}</svg>\n", encoding="utf-8")
    (OUT / "srgan-studio.svg").write_text(APP_ICON, encoding="utf-8")

    renderer = QSvgRenderer(QByteArray(APP_ICON.encode()))
    images = []
    for size in SIZES:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p)
        p.end()
        img.save(str(OUT / f"srgan-studio-{size}.png"))
        images.append(img)
    _write_ico(OUT / "srgan-studio.ico", [OUT / f"srgan-studio-{s}.png" for s in (16, 24, 32, 48, 64, 128, 256)])
    print(f"wrote {len(TOOL_ICONS) + 1} SVGs and {len(SIZES)} PNGs to {OUT}")
    return 0


def _write_ico(path: Path, pngs: list[Path]) -> None:
    from PIL import Image

    base = Image.open(pngs[-1])
    base.save(path, format="ICO", sizes=[Image.open(p).size for p in pngs])


if __name__ == "__main__":
    sys.exit(main())
