"""Drive the real app and save screenshots (run by scripts/screenshots.sh under Xvfb).

Opens the app the way ``srgan-studio photo.png`` does, waits for the preview
to render, and captures the screen (QScreen.grabWindow(0): the X server's
framebuffer, as a user would see it) for: the side-by-side compare view, a
1:1 detail with the info overlay, the split slider, the dark theme, the
batch window after a small folder, the settings dialog and the model manager.

Usage: python scripts/screenshot_driver.py OUT_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def sample_photo(path: Path, w: int = 360, h: int = 240) -> Path:
    """A synthetic low-resolution 'photo': sky, sun, hills, a house, text and fine texture."""
    big_w, big_h = w * 4, h * 4
    y = np.linspace(0, 1, big_h)[:, None]
    sky = np.stack([120 + 100 * y, 170 + 60 * y, 235 - 30 * y], axis=2) * np.ones((1, big_w, 1))
    im = Image.fromarray(sky.astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.ellipse((big_w * 0.72, big_h * 0.10, big_w * 0.84, big_h * 0.28), fill=(255, 236, 170))
    d.polygon(
        [
            (0, big_h * 0.70),
            (big_w * 0.25, big_h * 0.42),
            (big_w * 0.55, big_h * 0.68),
            (big_w * 0.80, big_h * 0.46),
            (big_w, big_h * 0.62),
            (big_w, big_h),
            (0, big_h),
        ],
        fill=(58, 98, 72),
    )
    rng = np.random.default_rng(3)
    for _ in range(900):  # grass blades: fine texture the models must reconstruct
        x0, y0 = rng.uniform(0, big_w), rng.uniform(big_h * 0.72, big_h)
        d.line(
            (x0, y0, x0 + rng.uniform(-6, 6), y0 - rng.uniform(10, 28)),
            fill=(int(rng.uniform(40, 110)), int(rng.uniform(120, 190)), 60),
            width=2,
        )
    hx, hy = big_w * 0.18, big_h * 0.52
    d.rectangle((hx, hy, hx + 260, hy + 200), fill=(196, 90, 70))
    d.polygon([(hx - 20, hy), (hx + 130, hy - 110), (hx + 280, hy)], fill=(90, 50, 45))
    for i in range(3):
        d.rectangle(
            (hx + 25 + i * 80, hy + 50, hx + 75 + i * 80, hy + 110), fill=(240, 230, 190), outline=(60, 40, 30), width=5
        )
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 64)
    except OSError:
        font = ImageFont.load_default()
    d.text((big_w * 0.50, big_h * 0.80), "SRGAN Studio", fill=(255, 255, 255), font=font)
    for i in range(0, big_w, 12):  # a fence: high-frequency stripes
        d.line((i, big_h * 0.90, i, big_h * 0.97), fill=(235, 225, 200), width=4)
    im = im.filter(ImageFilter.GaussianBlur(1.2)).resize((w, h), Image.BICUBIC)
    im.save(path)
    return path


def transparent_photo(path: Path, source: Path) -> Path:
    """The sample with a disc cut out and a faded border: transparency the panes must show."""
    im = Image.open(source).convert("RGBA")
    w, h = im.size
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.clip(np.minimum.reduce([x, y, w - 1 - x, h - 1 - y]) * 12, 0, 255).astype(np.float32)
    alpha[(x - 0.3 * w) ** 2 + (y - 0.35 * h) ** 2 < (0.15 * h) ** 2] = 0
    im.putalpha(Image.fromarray(alpha.astype(np.uint8)))
    im.save(path)
    return path


def sample_folder(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sample_photo(folder / f"holiday_{i + 1:02d}.png", 96 + 16 * i, 64 + 8 * i)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "readme.txt").write_text("not an image")
    return folder


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_work"
    work.mkdir(exist_ok=True)
    work = work.resolve()
    photo = sample_photo(work / "photo.png")
    album = sample_folder(work / "album")

    from PySide6.QtWidgets import QApplication

    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.app import build_main_window, create_app

    app = create_app([])

    def pump(seconds: float, until=None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.01)
        return until is None

    def shot(name: str, widget=None) -> None:
        pump(0.4)
        screen = app.primaryScreen()
        pix = screen.grabWindow(0) if widget is None else widget.grab()
        path = out / f"{name}.png"
        pix.save(str(path))
        print(f"saved {path}")

    t0 = time.perf_counter()
    win = build_main_window([photo], settings=Settings(theme="light"), persist=False)
    win.resize(1400, 860)
    win.move(0, 0)
    win.show()
    pump(0.05)
    print(f"window shown in {time.perf_counter() - t0:.2f} s")

    def rendered() -> bool:
        slots = [s for s in win.compare.slots if s.descriptor is not None]
        return win.image is not None and not win.preview.busy and all(s.fraction >= 1 for s in slots)

    pump(120, rendered)
    shot("01_compare_side_by_side")

    view = win.compare.view
    win.actions.info.setChecked(True)
    view.set_zoom(1.0)
    view.cx, view.cy = 0.28 * view.image_w, 0.62 * view.image_h
    view.set_zoom(2.0)
    pump(120, rendered)
    shot("02_detail_zoom_info")
    win.actions.info.setChecked(False)

    view.fit()
    pump(120, rendered)
    win.actions.lens.setChecked(True)
    view.set_lens((0.55 * view.image_w, 0.86 * view.image_h))
    pump(0.3)
    shot("02b_lens")
    win.actions.lens.setChecked(False)

    win.actions.split.trigger()
    view.fit()
    win.compare.split_left.setCurrentIndex(0)
    win.compare.split_right.setCurrentIndex(2)
    win.compare._on_split_choice()
    win.compare.split_pane.set_split(0.45)
    view.set_zoom(view.zoom * 1.6)
    pump(120, rendered)
    shot("03_split_slider")
    win.actions.side.trigger()

    win.open_paths([transparent_photo(work / "cutout.png", photo)])
    pump(120, lambda: win.images.current == work / "cutout.png" and rendered())
    shot("03b_transparent")

    jpeg = work / "photo_q40.jpg"
    Image.open(photo).save(jpeg, quality=40)
    win.open_paths([jpeg])
    pump(180, lambda: win.images.current == jpeg and rendered())
    shot("03c_input_photo_jpeg")

    from srgan_studio.gui.icons import retint_all
    from srgan_studio.gui.theme import apply_theme

    win.actions.side.trigger()
    apply_theme(QApplication.instance(), "dark")
    retint_all()
    view.fit()
    pump(120, rendered)
    shot("04_dark_theme")
    apply_theme(QApplication.instance(), "light")
    retint_all()

    from PySide6.QtTest import QTest

    batch = win.show_batch()
    batch.resize(1000, 640)
    batch.move(60, 40)
    QTest.keyClicks(batch.input_dir, str(album))  # typed, as a user does (bug: output became /_upscaled)
    shot("05a_batch_after_typing")
    batch.set_models(["bicubic_x4", *[n for n in ("srresnet_x4", "srgan_x4") if n in win.registry]])
    batch.start()
    pump(300, lambda: batch.summary is not None and batch.worker is None)
    shot("05_batch_window")
    batch.close()

    dialog = win.show_settings()
    pump(0.3)
    dialog.move(200, 120)
    shot("06_settings")
    dialog.reject()

    mm = win.show_models()
    mm.move(160, 60)
    mm.reload(select="srresnet_x4")
    shot("07_model_manager")
    mm.close()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
