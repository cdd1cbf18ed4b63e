"""GUI responsiveness: time to first window, and event-loop gaps during renders.

1. Startup: a fresh interpreter builds and shows the main window; we print
   the time from process start to the first event-loop turn after show(),
   and whether torch / onnxruntime got imported (neither should be).
2. Latency: the real main window (offscreen) renders a photo at full
   resolution in the background (the Save path) while a 10 ms QTimer
   measures the largest gap between its ticks: the UI thread's worst stall.
   The same during the preview (visible region first, then fill).

Model: the bundled srresnet_x4 when installed, else a full-size random
SRResNet (64 channels, 16 blocks) exported in a subprocess (needs torch).

Usage: python benchmarks/bench_gui_latency.py [--size 640x480] [--skip-startup]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent

STARTUP_CODE = r"""
import time
t0 = time.perf_counter()
import sys
from srgan_studio.gui.app import build_main_window, create_app
app = create_app([])
win = build_main_window(persist=False)
win.show()
from PySide6.QtCore import QTimer
def first_turn():
    t = time.perf_counter() - t0
    print(f"{t * 1000:.0f} {int('torch' in sys.modules)} {int('onnxruntime' in sys.modules)}", flush=True)
    app.quit()
QTimer.singleShot(0, first_turn)
app.exec()
"""


def measure_startup(runs: int = 5) -> None:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        env["SRGAN_STUDIO_CONFIG_DIR"] = f"{tmp}/c"
        env["SRGAN_STUDIO_DATA_DIR"] = f"{tmp}/d"
        in_process, wall = [], []
        flags = None
        for _ in range(runs):
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", STARTUP_CODE], capture_output=True, text=True, env=env, check=True
            )
            wall.append((time.perf_counter() - start) * 1000)
            ms, torch_flag, ort_flag = out.stdout.split()
            in_process.append(float(ms))
            flags = (torch_flag, ort_flag)
    in_process.sort()
    wall.sort()
    print(
        f"startup: first window in {in_process[len(in_process) // 2]:.0f} ms after imports began "
        f"(median of {runs}; min {in_process[0]:.0f}), {wall[len(wall) // 2]:.0f} ms including interpreter start"
    )
    print(
        f"startup: torch imported: {'yes' if flags[0] == '1' else 'no'}; onnxruntime imported: "
        f"{'yes' if flags[1] == '1' else 'no'}"
    )


def _model(tmp: Path):
    from srgan_studio.core.registry import default_registry

    reg = default_registry()
    if "srresnet_x4" in reg:
        return reg.get("srresnet_x4"), "bundled srresnet_x4"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "from model_fixtures import export_srresnet\n"
        "from pathlib import Path\n"
        f"export_srresnet(Path({str(tmp)!r}), 'bench_srresnet_x4', channels=64, blocks=16, seed=0)\n"
    )
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)
    from srgan_studio.core.descriptor import ModelDescriptor

    return ModelDescriptor.load(tmp / "bench_srresnet_x4.json"), "random SRResNet 64ch/16 blocks"


class GapMeter:
    def __init__(self, app, interval_ms: int = 10):
        from PySide6.QtCore import QTimer

        self.app = app
        self.gaps: list[float] = []
        self.times: list[float] = []
        self._last = self._start = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self.times.append(now - self._start)
        self._last = now

    def run_until(self, done, timeout: float) -> None:
        self.gaps.clear()
        self.times.clear()
        self._last = self._start = time.perf_counter()
        self.timer.start()
        end = time.monotonic() + timeout
        while not done() and time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.001)
        self.timer.stop()

    def summary(self) -> str:
        g = sorted(self.gaps)
        if not g:
            return "no ticks"
        p99 = g[min(len(g) - 1, int(len(g) * 0.99))]
        worst = self.gaps.index(g[-1])
        return (
            f"max gap {g[-1]:.0f} ms (at {self.times[worst]:.1f} s), p99 {p99:.0f} ms, "
            f"median {g[len(g) // 2]:.1f} ms over {len(g)} ticks"
        )


def measure_latency(size: tuple[int, int]) -> None:
    import numpy as np

    from srgan_studio.core.imageio import Image, ImageMeta
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.app import create_app
    from srgan_studio.gui.main_window import MainWindow
    from srgan_studio.gui.save_job import SaveOptions

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["SRGAN_STUDIO_CONFIG_DIR"] = str(tmp / "c")
        os.environ["SRGAN_STUDIO_DATA_DIR"] = str(tmp / "d")
        desc, what = _model(tmp)
        app = create_app([])
        win = MainWindow(Settings(), persist=False)
        win.resize(1280, 800)
        win.show()
        win.refresh_models()
        w, h = size
        rng = np.random.default_rng(0)
        y, x = np.mgrid[0:h, 0:w]
        color = np.stack([x * 255 // w, y * 255 // h, (x ^ y) & 255], axis=2).astype(np.uint8)
        color = np.clip(color + rng.normal(0, 8, color.shape), 0, 255).astype(np.uint8)
        meter = GapMeter(app)

        # Preview: the window's own panes (bicubic + whatever is installed) plus our model in pane 2.
        win.show_image(Image(color, None, ImageMeta(format="PNG")), "bench")
        win.preview.set_slot_model(win.compare.slots[1], desc)
        start = time.perf_counter()
        meter.run_until(lambda: not win.preview.busy and win.compare.slots[1].fraction >= 1, timeout=900)
        print(f"preview ({w}x{h}, {what}): {time.perf_counter() - start:.1f} s; {meter.summary()}")

        # Save right after that preview finished: reusing its full-detail blocks vs rendering again.
        seconds = {}
        for label in ("rendering again", "reusing the preview"):
            if label == "rendering again":
                win._finished_preview = lambda *a: None  # the path before the save reused the preview
            else:
                del win._finished_preview
            worker = win.save_to(SaveOptions(tmp / f"after_{len(seconds)}.png", "png"), desc)
            start = time.perf_counter()
            meter.run_until(lambda: win.save_worker is None, timeout=900)
            seconds[label] = time.perf_counter() - start
            print(
                f"save after the preview finished, {label}: {seconds[label]:.2f} s "
                f"(outcome {worker.outcome if worker else '?'})"
            )
        print(f"  reuse speed-up: {seconds['rendering again'] / max(seconds['reusing the preview'], 1e-6):.1f}x")

        # A large photo viewed at 1:1: how soon does the model pane show its first full-detail pixels?
        big = np.tile(color, (4, 4, 1))[: 4 * h, : 4 * w]
        win.preview.cancel()
        win.compare.view.one_to_one()
        first = {}
        win.preview.slot_progress.connect(
            lambda slot: (
                first.setdefault("t", time.perf_counter())
                if slot is win.compare.slots[1] and slot.target is not None and slot.target.done.any()
                else None
            )
        )
        win.show_image(Image(big, None, ImageMeta(format="PNG")), "big")
        win.compare.view.one_to_one()
        start = time.perf_counter()
        meter.run_until(lambda: "t" in first, timeout=600)
        vis = win.compare.view.visible_rect()
        print(
            f"large photo {big.shape[1]}x{big.shape[0]} at 1:1: first full-detail region of the model pane after "
            f"{first.get('t', float('nan')) - start:.1f} s (visible {vis[2] - vis[0]}x{vis[3] - vis[1]} output px); "
            f"{meter.summary()}"
        )
        win.preview.cancel()
        meter.run_until(lambda: not win.preview.busy, timeout=120)
        win.show_image(Image(color, None, ImageMeta(format="PNG")), "bench")
        win.preview.cancel()

        worker = win.save_to(SaveOptions(tmp / "out.png", "png"), desc)
        start = time.perf_counter()
        meter.run_until(lambda: win.save_worker is None, timeout=900)
        print(
            f"full-resolution save ({w}x{h} -> {4 * w}x{4 * h}, {what}): {time.perf_counter() - start:.1f} s, "
            f"outcome {worker.outcome if worker else '?'}; {meter.summary()}"
        )
        win.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--skip-startup", action="store_true")
    args = ap.parse_args()
    if not args.skip_startup:
        measure_startup()
    w, h = (int(v) for v in args.size.lower().split("x"))
    measure_latency((w, h))
    return 0


if __name__ == "__main__":
    sys.exit(main())
