"""The run folder: where runs live, the links to the user's photos, the held-out crops.

The training data is never copied: ``train/`` and ``heldout/`` hold links to the
photos, so the trainer cannot see a held-out photo and the user's files stay put.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .photos import Photo
from .state import STATE_FILE

PREVIEW_SIDE = 128  # the held-out crops the previews show


def finetune_root() -> Path:
    from ..settings import data_dir

    return data_dir() / "finetune"


def list_runs() -> list[dict[str, Any]]:
    """Runs in the fine-tune folder with their status, newest first (for "resume a run")."""
    root = finetune_root()
    runs = []
    if root.is_dir():
        for d in root.iterdir():
            st = d / STATE_FILE
            if not st.is_file():
                continue
            try:
                data = json.loads(st.read_text(encoding="utf-8"))
                options = data.get("options", {})
                runs.append(
                    {
                        "name": d.name,
                        "status": data.get("status", "?"),
                        "dir": d,
                        "updated": data.get("updated", 0),
                        "goal": options.get("goal"),
                        "base": options.get("base"),
                    }
                )
            except (OSError, ValueError, AttributeError):
                continue
    return sorted(runs, key=lambda r: r["updated"], reverse=True)


def link(src: Path, dest: Path) -> None:
    """Point ``dest`` at ``src`` without copying when the OS allows it."""
    try:
        os.symlink(src, dest)
        return
    except (OSError, NotImplementedError):
        pass
    try:
        os.link(src, dest)
        return
    except OSError:
        pass
    shutil.copyfile(src, dest)  # last resort (Windows without symlink rights, another drive)


def link_name(photo: Photo) -> str:
    # Flattened but unique: subfolders become part of the name. The suffix (or its
    # absence) is kept: the trainer finds photos the way the scan does.
    return photo.rel.replace("/", "__")


def link_photos(run_dir: Path, sub: str, photos: list[Photo]) -> Path:
    folder = run_dir / sub
    folder.mkdir(parents=True, exist_ok=True)
    for p in photos:
        link(p.path.resolve(), folder / link_name(p))
    return folder


def load_rgb8(path: Path) -> np.ndarray:
    """A photo as 8-bit RGB, EXIF orientation applied (what the trainer and the scorer see)."""
    from ..imageio import read_image, to_8bit

    color = to_8bit(read_image(path).color)
    return color.repeat(3, axis=2) if color.shape[2] == 1 else color


def centre_box(height: int, width: int, side: int, scale: int) -> tuple[int, int, int]:
    """(top, left, side) of the centred square crop, its side a multiple of ``scale``."""
    c = min(side, height, width)
    c -= c % scale
    return (height - c) // 2, (width - c) // 2, c


def make_preview_crops(out: Path, heldout: list[Photo], scale: int, side: int = PREVIEW_SIDE) -> None:
    """Centre crops of the held-out photos: the preview shows the first."""
    from PIL import Image as PILImage

    out.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(heldout):
        color = load_rgb8(p.path)
        top, left, c = centre_box(color.shape[0], color.shape[1], side, scale)
        PILImage.fromarray(np.ascontiguousarray(color[top : top + c, left : left + c])).save(out / f"{i:02d}.png")
