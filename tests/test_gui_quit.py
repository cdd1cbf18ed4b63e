"""Bug (issue 18): quitting after the reported sequence aborted with exit code 134 ("bool_dealloc")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gui_fixtures import make_photo
from PIL import Image as PILImage

HERE = Path(__file__).resolve().parent


def test_the_reported_quit_sequence_exits_cleanly(tmp_path):
    png = make_photo(tmp_path / "start.png", 768, 512)
    jpeg = tmp_path / "photo.jpg"
    make_photo(tmp_path / "photo.png", 320, 240, seed=1)
    PILImage.open(tmp_path / "photo.png").save(jpeg, quality=60)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SRGAN_STUDIO_CONFIG_DIR": str(tmp_path / "config"),
        "SRGAN_STUDIO_DATA_DIR": str(tmp_path / "data"),
    }
    out = subprocess.run(
        [sys.executable, str(HERE / "quit_sequence.py"), str(png), str(jpeg)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert "Fatal Python error" not in out.stderr
