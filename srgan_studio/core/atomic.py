"""Atomic file writes: a temp file in the target folder, fsync, then os.replace.

A crash, kill -9 or full disk never leaves a truncated file under a final name.
Temp files carry TEMP_MARK so a later run can clean them up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TEMP_MARK = ".srgan-partial-"


def _new_file_mode() -> int:
    # mkstemp creates 0600 files; a finished output should get the same mode as
    # any file the user creates (0666 minus the umask), not be private.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _new_file_mode()  # once, at import, while no writer threads run


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it replaces ``target``."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_MARK, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # After the write: some writers (safetensors) recreate the file with mkstemp's 0600.
        with contextlib.suppress(OSError):
            os.chmod(tmp_path, _FILE_MODE)
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def clean_partials(folder: Path, recursive: bool = False, min_age: float = 0.0) -> list[Path]:
    """Remove temp files left by an interrupted run (only those older than ``min_age`` s); return them."""
    pattern = f"**/{TEMP_MARK}*" if recursive else f"{TEMP_MARK}*"
    removed = []
    now = time.time()
    for p in Path(folder).glob(pattern):
        with contextlib.suppress(OSError):
            if min_age and now - p.stat().st_mtime < min_age:
                continue
            p.unlink()
            removed.append(p)
    return removed


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256 in hex, read in 1 MiB chunks (model files are large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
