"""Checks of flags several commands share (upscale, batch, train, finetune), on the values in force."""

from __future__ import annotations

from ..core.errors import SettingsError


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
