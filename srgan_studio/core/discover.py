"""Find the images in a folder for a batch run.

A file is an image candidate when its extension is an image extension, or
when its first bytes are an image signature (a photo saved without an
extension). Candidates are not decoded here: a text file named ``.png`` is a
candidate and fails later with its reason, which is what the user needs to see.

Everything else that is skipped (hidden files and folders, non-images,
broken links, symlink loops, unreadable folders, special files) gets a
``Note`` so the user learns why a file was not processed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .atomic import TEMP_MARK
from .formats import SUFFIX_FORMAT

# Extensions the reader accepts (suffix -> format key); content decides the real format later.
IMAGE_SUFFIXES = SUFFIX_FORMAT

_FILE_ATTRIBUTE_HIDDEN = 0x2  # Windows: stat().st_file_attributes


@dataclass(frozen=True)
class Note:
    """Why a path was skipped or touched outside the normal flow."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Found:
    path: Path  # as reached from the root (symlinked folders kept, so the tree mirrors)
    rel: Path  # relative to the root
    format: str  # by extension, else by signature: "png", "jpeg", "webp", "tiff", "bmp"


def sniff_format(head: bytes) -> str | None:
    """Image format from a file's first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:2] == b"BM" and len(head) >= 14:
        return "bmp"
    return None


def _is_hidden(entry: os.DirEntry) -> bool:
    if entry.name.startswith("."):
        return True
    try:
        attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attrs & _FILE_ATTRIBUTE_HIDDEN)


def _dir_key(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def find_images(root: Path, *, recursive: bool = False, prune: Iterable[Path] = ()) -> tuple[list[Found], list[Note]]:
    """Image candidates under ``root`` (sorted, deterministic) and notes on what was skipped.

    ``prune`` folders are not entered (the output folder when it sits inside the
    input tree, so a run never reads its own outputs). Symlinked folders are
    followed once; a link back to a folder already walked is a loop and is noted.
    """
    root = Path(root)
    pruned = set()
    for p in prune:
        try:
            pruned.add(_dir_key(os.stat(p)))
        except OSError:
            pass
    found: list[Found] = []
    notes: list[Note] = []
    visited = {_dir_key(os.stat(root))}
    stack: list[Path] = [Path()]
    while stack:
        rel_dir = stack.pop()
        folder = root / rel_dir
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: (e.name.casefold(), e.name))
        except OSError as exc:
            notes.append(Note(folder, f"cannot list folder ({exc.strerror or exc}), skipped"))
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = folder / entry.name
            if entry.name.startswith(TEMP_MARK):
                continue  # our own temp files: the batch removes them and says so
            if _is_hidden(entry):
                notes.append(Note(path, "hidden, skipped"))
                continue
            try:
                st = entry.stat()  # follows links
            except OSError:
                notes.append(Note(path, "broken link, skipped" if entry.is_symlink() else "cannot read, skipped"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if not recursive:
                    continue
                key = _dir_key(st)
                if key in pruned:
                    continue
                if key in visited:
                    notes.append(Note(path, "symlink loop or folder already walked, skipped"))
                    continue
                visited.add(key)
                subdirs.append(rel_dir / entry.name)
                continue
            if not stat.S_ISREG(st.st_mode):
                notes.append(Note(path, "not a regular file, skipped"))
                continue
            fmt = IMAGE_SUFFIXES.get(Path(entry.name).suffix.lower())
            if fmt is None:
                fmt = _sniff_file(path)
                if fmt is None:
                    notes.append(Note(path, "not an image, skipped"))
                    continue
            found.append(Found(path=path, rel=rel_dir / entry.name, format=fmt))
        # Reverse so the stack pops subfolders in sorted order.
        stack.extend(reversed(subdirs))
    found.sort(key=lambda f: (tuple(part.casefold() for part in f.rel.parts), f.rel.as_posix()))
    return found, notes


def _sniff_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return sniff_format(fh.read(16))
    except OSError:
        return None
