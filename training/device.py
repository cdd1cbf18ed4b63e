"""Where training runs and in what precision: ``train.device`` and ``train.precision``.

- ``auto`` takes CUDA when torch sees a GPU, else the CPU; ``cuda`` is GPU 0, or under
  torchrun each rank's own GPU (LOCAL_RANK), so NCCL gets one GPU per rank.
- On CUDA, mixed precision: bf16 autocast where the GPU supports it, else fp16 autocast
  with a GradScaler (fp16's range needs the loss scaled). ``fp32`` stays fp32.
- On the CPU, bf16 autocast only where the CPU has native bf16 (``core.cpu``), fp32 elsewhere.

``choose_device`` takes the CUDA API as an argument, so its GPU decisions are tested
on machines without one.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

import torch

from ..core.cpu import cpu_has_bf16
from .distributed import DistInfo


class DeviceError(RuntimeError):
    """The recipe asks for a device this machine does not have; one line."""


@dataclass(frozen=True)
class DeviceChoice:
    device: str  # "cpu" or "cuda:N"
    precision: str  # "fp32", "bf16" or "fp16"

    @property
    def kind(self) -> str:
        return self.device.split(":")[0]

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed-precision forward passes (master weights and optimiser state stay fp32)."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.kind, dtype=dtype)

    def tensor(self, batch: Any, memory_format: torch.memory_format) -> torch.Tensor:
        """A numpy batch on this device (pinned and copied asynchronously to a GPU)."""
        t = torch.from_numpy(batch)
        if self.kind == "cuda":
            t = t.pin_memory().to(self.torch_device, non_blocking=True)
        return t.contiguous(memory_format=memory_format)

    def grad_scaler(self) -> Any:
        """A GradScaler for fp16 (its small range loses gradients without one); None otherwise."""
        if self.precision != "fp16":
            return None
        return torch.amp.GradScaler(self.kind)


def choose_device(device: str, precision: str, dist: DistInfo, cuda: Any = None) -> DeviceChoice:
    """The device and precision for ``train.device`` / ``train.precision`` on this machine."""
    cuda = cuda if cuda is not None else torch.cuda
    has_cuda = bool(cuda.is_available())
    if device == "auto":
        device = "cuda" if has_cuda else "cpu"
    if device == "cpu":
        return DeviceChoice(
            "cpu", "bf16" if precision == "auto" and cpu_has_bf16() else ("fp32" if precision == "auto" else precision)
        )
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match is None:
        raise DeviceError(f"train.device must be auto, cpu, cuda or cuda:N, not {device!r}")
    if not has_cuda:
        raise DeviceError(f"train.device is {device!r}, but PyTorch sees no CUDA GPU here; use cpu or auto")
    # Under torchrun every rank takes its own GPU (NCCL wants one per rank).
    index = dist.local_rank if dist.enabled else int(match.group(1) or 0)
    if index >= cuda.device_count():
        raise DeviceError(f"train.device asks for GPU {index}, but only {cuda.device_count()} are present")
    if precision == "fp32":
        return DeviceChoice(f"cuda:{index}", "fp32")
    return DeviceChoice(f"cuda:{index}", "bf16" if cuda.is_bf16_supported() else "fp16")
