"""Several GPUs or nodes: ``torchrun`` + DistributedDataParallel.

    torchrun --nproc-per-node 2 -m srgan_studio.cli train RECIPE --out runs/NAME
    torchrun --nnodes 2 --node-rank R --master-addr HOST --nproc-per-node 4 -m srgan_studio.cli train ...

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT; the
trainer then joins a process group (NCCL when CUDA is available, gloo on CPUs).

- Every rank draws its own batches: rank r's batch at step k is a pure function
  of (seed, k, r), so ``data.batch_size`` is per rank and resuming stays exact.
- The generator is wrapped in DDP (one forward and one backward per step).
  The discriminator is not: the GAN step runs it several times per backward
  with its parameters frozen in between, which DDP's reducer does not allow,
  so its gradients are averaged explicitly (``average_gradients``) before its
  optimiser step. Both give every rank the same update.
- Only rank 0 logs, validates and writes checkpoints and weights; stop
  requests and non-finite losses are agreed across ranks so all stop together.

Without torchrun (WORLD_SIZE unset or 1) nothing here does anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_from_env() -> DistInfo:
    """Join the process group torchrun describes in the environment (idempotent)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if not dist.is_initialized():
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(
        rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank, backend=dist.get_backend()
    )


def wrap(model: nn.Module, info: DistInfo) -> nn.Module:
    """DDP around ``model`` when distributed; the model itself otherwise."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    device_ids = [info.local_rank] if info.backend == "nccl" else None
    # broadcast_buffers=False: the models here have no running statistics that
    # matter in training, and rank 0's buffers would otherwise overwrite the others'
    # at every forward (the discriminator's BN runs in training mode anyway).
    return DDP(model, device_ids=device_ids, broadcast_buffers=False)


def average_gradients(module: nn.Module, info: DistInfo) -> None:
    """All-reduce (mean) the gradients of ``module`` across ranks, in one flat buffer."""
    if not info.enabled:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= info.world_size
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset : offset + n].view_as(g))
        offset += n


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every rank if ``flag`` is true on any rank."""
    if not info.enabled:
        return flag
    device = f"cuda:{info.local_rank}" if info.backend == "nccl" else "cpu"
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
