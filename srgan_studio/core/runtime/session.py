"""The one Session interface every engine implements: NCHW float32 in, NCHW float32 out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .devices import ENGINE_TITLES, Target


class Session:
    """A compiled model on one device at one precision.

    ``notice`` is a fallback the user should hear about once (OpenVINO missing,
    a precision the CPU lacks); ``take_notice()`` hands it out a single time.
    Sessions are safe to share between threads (preview, save and batch do).
    """

    engine = ""

    def __init__(self, target: Target, model_path: Path, precision: str, in_channels: int, version: str):
        self.target = target
        self.model_path = Path(model_path)
        self.precision = precision
        self.in_channels = in_channels
        self.version = version
        self.notice = ""

    @property
    def device(self) -> str:
        return self.target.device

    @property
    def fp16(self) -> bool:
        return self.precision == "fp16"

    def describe(self) -> str:
        """For people: ``OpenVINO 2026.4.1 on the CPU, bf16``."""
        return f"{ENGINE_TITLES[self.engine]} {self.version} on {self.target.where}, {self.precision}".replace(
            "  ", " "
        )

    def take_notice(self) -> str:
        note, self.notice = self.notice, ""
        return note

    def run(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def channels_from_shape(shape) -> int:
    """Input channels from an NCHW shape whose dimensions may be symbolic (3 when unknown)."""
    return shape[1] if len(shape) == 4 and isinstance(shape[1], int) else 3
