"""The images the user opened, and which one is shown (no Qt)."""

from __future__ import annotations

import re
from pathlib import Path

from ..core.formats import SUFFIX_FORMAT


def split_dropped(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Dropped paths -> (files to open, folders to offer for batch).

    Files are kept whatever their extension: the reader sniffs the content
    and gives a clear error for a non-image.
    """
    files, folders = [], []
    for p in paths:
        (folders if p.is_dir() else files).append(p)
    return files, folders


def natural_key(path: Path) -> tuple:
    """``img2`` before ``img10``, case-insensitively, as file managers sort."""
    parts = re.split(r"(\d+)", path.name.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts), path.name


def folder_images(folder: Path) -> list[Path]:
    """The images in ``folder`` (by suffix, hidden files left out) in natural order."""
    try:
        entries = [p for p in folder.iterdir() if p.suffix.lower() in SUFFIX_FORMAT and not p.name.startswith(".")]
    except OSError:
        return []
    return sorted((p for p in entries if p.is_file()), key=natural_key)


class ImageList:
    """Next and previous walk the files opened together, or, for one file, its folder (as image viewers do)."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.index = -1

    @property
    def current(self) -> Path | None:
        return self.paths[self.index] if 0 <= self.index < len(self.paths) else None

    def replace(self, paths: list[Path]) -> None:
        self.paths = list(dict.fromkeys(Path(p) for p in paths))
        self.index = 0 if self.paths else -1
        if len(self.paths) == 1:
            self._walk_folder_of(self.paths[0])

    def _walk_folder_of(self, path: Path) -> None:
        siblings = folder_images(path.parent)
        same = [i for i, p in enumerate(siblings) if p.name == path.name]
        if same:  # else the file is not a listed image (no suffix, say): it stays alone
            self.paths, self.index = [path.parent / p.name for p in siblings], same[0]

    def step(self, delta: int) -> Path | None:
        """Move to the next (1) or previous (-1) image, wrapping around."""
        if not self.paths:
            return None
        self.index = (self.index + delta) % len(self.paths)
        return self.current

    def position_text(self) -> str:
        return f"{self.index + 1}/{len(self.paths)}" if len(self.paths) > 1 else ""
