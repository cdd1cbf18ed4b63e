"""Checks of the flags ``upscale`` and ``batch`` share, on the values in force (flag or setting)."""

from __future__ import annotations

from ..core.errors import SettingsError


def check_limits(threads: int, max_megapixels: float) -> None:
    """A negative thread count or a pixel limit of zero would otherwise be taken silently."""
    if threads < 0:
        raise SettingsError(f"--threads must be 0 (all cores) or more, not {threads}")
    if max_megapixels <= 0:
        raise SettingsError(f"--max-megapixels must be positive, not {max_megapixels:g}")
