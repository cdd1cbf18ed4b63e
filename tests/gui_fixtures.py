"""Shared pieces of the GUI tests: tiny photos, a registry with the three methods, waiting helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage


def make_photo(path: Path, w: int = 48, h: int = 40, seed: int = 0) -> Path:
    """A small photo-like image: smooth gradients plus a little texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w * 255, y / h * 255, 128 + 100 * np.sin(x / 5) * np.cos(y / 7)], axis=2)
    img += rng.normal(0, 6, img.shape)
    PILImage.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="session")
def studio_models(tmp_path_factory):
    """A bundled-models folder with tiny srresnet_x4 and srgan_x4 (same architecture, other weights)."""
    from model_fixtures import export_srresnet

    folder = tmp_path_factory.mktemp("bundled")
    export_srresnet(folder, "srresnet_x4", seed=1)
    export_srresnet(folder, "srgan_x4", seed=2, residual_std=0.2)
    return folder


@pytest.fixture
def registry(studio_models):
    from srgan_studio.core.registry import Registry

    return Registry(bundled_dir=studio_models)


@pytest.fixture
def window(qtbot, registry):
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.main_window import MainWindow

    # Realism at 100%: the third pane shows srgan_x4 itself, not a blend built a moment later.
    win = MainWindow(Settings(realism=100), registry=registry, persist=False)
    qtbot.addWidget(win)
    win.resize(1000, 640)
    win.show()
    win.refresh_models()
    yield win
    win.preview.shutdown()
    if win.save_worker is not None:
        win.save_worker.cancel()
        win.save_worker.wait(10000)


def wait_loaded(qtbot, win, timeout=10000):
    qtbot.waitUntil(lambda: win.image is not None and win.load_worker is None, timeout=timeout)


def wait_rendered(qtbot, win, timeout=30000):
    def complete():
        slots = [s for s in win.compare.slots if s.descriptor is not None]
        return bool(slots) and all(s.target is not None and s.fraction >= 1.0 for s in slots) and not win.preview.busy

    qtbot.waitUntil(complete, timeout=timeout)


def full_render(descriptor, image):
    from srgan_studio.core.upscale import Upscaler, drain

    return drain(Upscaler(descriptor, device="cpu").run(image))


def wait_worker(qtbot, worker, timeout=60000):
    """Wait for a Worker that may already have finished.

    ``done`` is emitted from the worker's thread, so a ``waitSignal`` set up
    after ``start()`` can miss it when the job fails fast (a refused save).
    ``is_running`` turns False only after finished/errored were emitted; the
    final processEvents delivers those queued signals to the window's slots.
    """
    from PySide6.QtWidgets import QApplication

    qtbot.waitUntil(lambda: worker.outcome != "" and not worker.is_running, timeout=timeout)
    QApplication.processEvents()


def batch_window(qtbot, tmp_path: Path):
    """A shown BatchWindow over a registry with no bundled models (the tests pick their own)."""
    from srgan_studio.core.registry import Registry
    from srgan_studio.core.settings import Settings
    from srgan_studio.gui.batch_window import BatchWindow

    empty = tmp_path / "no-bundled"
    empty.mkdir(exist_ok=True)
    win = BatchWindow(Settings(), Registry(bundled_dir=empty))
    qtbot.addWidget(win)
    win.show()
    return win
