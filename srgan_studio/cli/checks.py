"""Checks of flags several commands share, on the values in force, before any work."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import SettingsError, StudioError


def check_threads(threads: int) -> None:
    if threads < 0:
        raise SettingsError(f"--threads must be 0 (all cores) or more, not {threads}")


def check_limits(threads: int, max_megapixels: float) -> None:
    """A negative thread count or a pixel limit of zero would otherwise be taken silently."""
    check_threads(threads)
    if max_megapixels <= 0:
        raise SettingsError(f"--max-megapixels must be positive, not {max_megapixels:g}")


def check_budget(steps: int | None, minutes: float | None) -> None:
    """``train`` and ``finetune``: 0 would fall back to the default budget and a negative one means nothing."""
    if steps is not None and steps < 1:
        raise SettingsError(f"--steps must be 1 or more, not {steps}")
    if minutes is not None and not minutes > 0:
        raise SettingsError(f"--minutes must be more than 0, not {minutes:g}")


def check_new_file(path: Path, overwrite: bool, *, folder_must_exist: bool = True) -> None:
    """Before any work: an output FILE (eval -o, export -o) that can be written and replaces nobody's file."""
    if path.is_dir():
        raise StudioError("is a folder; give a file name", path)
    if folder_must_exist and not path.absolute().parent.is_dir():
        raise StudioError("the folder for this output does not exist", path)
    if path.exists() and not overwrite:
        raise StudioError("already exists; refusing to overwrite it (use --overwrite)", path)
