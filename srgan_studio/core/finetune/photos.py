"""The user's photo folder: which photos can teach, which are held out, what to warn about.

The scan lists photos with ``core.discover.find_images``, the same list the trainer
reads (``training/data.py`` calls it too), so a ``.jfif`` or an extension-less JPEG
counted here is one the trainer trains on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ..cancel import NEVER, CancelToken
from ..discover import find_images
from ..errors import ImageReadError, SettingsError, StudioError
from ..progress import drive
from .options import MIN_HELDOUT, MIN_TRAIN

MIN_SIDE = 32  # smaller photos cannot be cropped or scored; they are skipped
MIN_PATCH = 32  # a patch never shrinks below this for small photos
FEW_PHOTOS = 10  # below this many training photos, warn that the model may overfit
CACHE_WARN_BYTES = 3_000_000_000  # the trainer keeps decoded photos in memory; warn past this


@dataclass(frozen=True)
class Photo:
    path: Path
    rel: str  # POSIX path relative to the scanned folder
    width: int
    height: int

    @property
    def side(self) -> int:
        return min(self.width, self.height)


@dataclass(frozen=True)
class ScanProgress:
    done: int
    total: int
    path: Path


@dataclass
class FolderScan:
    folder: Path
    usable: list[Photo] = field(default_factory=list)
    bad: list[tuple[Path, str]] = field(default_factory=list)  # skipped, with the reason
    warnings: list[str] = field(default_factory=list)
    patch_size: int = 96  # the patch asked for; small photos may shrink the run's patch

    @property
    def ok(self) -> bool:
        return len(self.usable) >= MIN_HELDOUT + MIN_TRAIN

    def check(self) -> None:
        """Raise a one-line StudioError when the folder cannot be used."""
        if not self.ok:
            raise SettingsError(self.problem(), self.folder)

    def problem(self) -> str:
        if self.ok:
            return ""
        need = MIN_HELDOUT + MIN_TRAIN
        if not self.usable and not self.bad:
            return "no images found in this folder"
        if not self.usable:
            return f"none of the {len(self.bad)} images can be used ({self.bad[0][1]})"
        return (
            f"only {len(self.usable)} usable image(s); fine-tuning needs at least {need} "
            f"({MIN_HELDOUT} are held out to measure the result)"
        )


def _probe_photo(path: Path) -> tuple[int, int]:
    """Fully decode (reduced for JPEG) so truncated files are caught now, not mid-training."""
    from PIL import Image as PILImage

    from ..imageio import DEFAULT_MAX_PIXELS, _open

    try:
        if path.stat().st_size == 0:
            raise ImageReadError("file is empty (0 bytes)", path)
    except OSError as exc:
        raise ImageReadError(f"cannot read ({exc.strerror or exc})", path) from None
    im = _open(path, DEFAULT_MAX_PIXELS)  # keeps Pillow's decompression-bomb limit on
    try:
        size = im.size
        if im.format == "JPEG":
            im.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
        try:
            im.load()
        except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ImageReadError(f"corrupt or truncated image ({first})", path) from None
        return size
    finally:
        im.close()


def scan_photos(
    folder: str | Path, patch_size: int = 96, cancel: CancelToken = NEVER
) -> Generator[ScanProgress, None, FolderScan]:
    """Yield once per file; return the FolderScan. ``patch_size`` is the training patch asked for."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SettingsError("photo folder does not exist" if not folder.exists() else "is not a folder", folder)
    found, _notes = find_images(folder, recursive=True)
    scan = FolderScan(folder=folder, patch_size=patch_size)
    for i, f in enumerate(found):
        cancel.raise_if_cancelled()
        try:
            w, h = _probe_photo(f.path)
        except StudioError as exc:
            scan.bad.append((f.path, str(exc).removeprefix(f"{f.path}: ")))
        else:
            if min(w, h) < MIN_SIDE:
                scan.bad.append((f.path, f"too small ({w}x{h}; needs at least {MIN_SIDE} px on each side)"))
            else:
                scan.usable.append(Photo(f.path, f.rel.as_posix(), w, h))
        yield ScanProgress(i + 1, len(found), f.path)
    scan.warnings.extend(_warnings(scan))
    return scan


def _warnings(scan: FolderScan) -> list[str]:
    out = []
    small = [p for p in scan.usable if p.side < scan.patch_size]
    if small:
        out.append(
            f"{len(small)} photo(s) are smaller than the {scan.patch_size} px training patch, so this run "
            f"trains on patches of about {run_patch_size(scan.usable, scan.patch_size, 1)} px: they can teach fine "
            "detail and noise, less of larger shapes. Fine-tuning learns most from your own best, "
            "largest photos."
        )
    n_train = len(scan.usable) - len(choose_heldout(scan.usable))
    if scan.ok and n_train < FEW_PHOTOS:
        out.append(
            f"only {n_train} training photo(s): the model may learn them by heart; {FEW_PHOTOS} or more work better"
        )
    cache = sum(p.width * p.height * 3 for p in scan.usable)
    if cache > CACHE_WARN_BYTES:
        out.append(
            f"training keeps every photo decoded in memory (about {cache / 1e9:.1f} GB here); "
            "use fewer or smaller photos if this machine has less free memory"
        )
    return out


def run_patch_size(photos: list[Photo], wanted: int, scale: int) -> int:
    """The patch this run trains on: the one asked for, shrunk to fit the smallest photo."""
    side = min([wanted, *(p.side for p in photos)])
    side = max(MIN_PATCH, side)
    return side - side % max(1, scale)


def scan_folder(folder: str | Path, patch_size: int = 96) -> FolderScan:
    return drive(scan_photos(folder, patch_size))


def choose_heldout(usable: list[Photo], count: int = 0) -> list[Photo]:
    """Deterministic held-out choice: the photos whose path hashes lowest.

    Hashing (rather than "the first k") spreads the choice over subfolders, and
    adding photos to the folder later rarely changes it. About 10%, at least 2,
    at most 8.
    """
    if not count:
        count = min(8, max(MIN_HELDOUT, round(len(usable) * 0.1)))
    count = min(count, max(0, len(usable) - MIN_TRAIN))
    ranked = sorted(usable, key=lambda p: hashlib.sha256(p.rel.encode("utf-8")).hexdigest())
    return sorted(ranked[:count], key=lambda p: p.rel)
