"""The images the user opened, and which one is shown (no Qt)."""

from __future__ import annotations

from pathlib import Path


def split_dropped(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Dropped paths -> (files to open, folders to offer for batch).

    Files are kept whatever their extension: the reader sniffs the content
    and gives a clear error for a non-image.
    """
    files, folders = [], []
    for p in paths:
        (folders if p.is_dir() else files).append(p)
    return files, folders


class ImageList:
    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.index = -1

    @property
    def current(self) -> Path | None:
        return self.paths[self.index] if 0 <= self.index < len(self.paths) else None

    def replace(self, paths: list[Path]) -> None:
        self.paths = list(dict.fromkeys(Path(p) for p in paths))
        self.index = 0 if self.paths else -1

    def step(self, delta: int) -> Path | None:
        """Move to the next (1) or previous (-1) image, wrapping around."""
        if not self.paths:
            return None
        self.index = (self.index + delta) % len(self.paths)
        return self.current

    def position_text(self) -> str:
        return f"{self.index + 1}/{len(self.paths)}" if len(self.paths) > 1 else ""
