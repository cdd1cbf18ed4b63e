"""DDP: two gloo processes on this machine keep gradients and weights in sync."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402

WORLD = 2
TINY = {"type": "srresnet", "scale": 4, "blocks": 1, "channels": 8, "batch_norm": False, "bicubic_skip": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gather(t: torch.Tensor) -> list[torch.Tensor]:
    out = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(out, t)
    return out


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1).float() for t in tensors])


def _worker(rank: int, port: int, folder: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank)
    )
    torch.set_num_threads(1)
    from srgan_studio.training import distributed
    from srgan_studio.training.archs import build_model
    from srgan_studio.training.archs.discriminator_arch import SRGANDiscriminator
    from srgan_studio.training.data import PatchDataset
    from srgan_studio.training.recipe import recipe_from_dict
    from srgan_studio.training.trainer import Trainer

    info = distributed.init_from_env()
    assert info.enabled and info.backend == "gloo" and info.rank == rank
    try:
        # 1. DDP generator gradients: equal on both ranks, and the mean of the local ones.
        torch.manual_seed(0)
        local = build_model(**{"type": TINY["type"]}, **{k: v for k, v in TINY.items() if k != "type"})
        torch.manual_seed(0)
        model = build_model(**{"type": TINY["type"]}, **{k: v for k, v in TINY.items() if k != "type"})
        ddp = distributed.wrap(model, info)
        g = torch.Generator().manual_seed(100 + rank)  # each rank its own batch
        x, y = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, 3, 32, 32, generator=g)
        torch.nn.functional.l1_loss(ddp(x), y).backward()
        torch.nn.functional.l1_loss(local(x), y).backward()
        synced = _flat(p.grad for p in model.parameters())
        own = _flat(p.grad for p in local.parameters())
        a, b = _gather(synced)
        assert torch.equal(a, b), "DDP gradients differ between ranks"
        mean = torch.stack(_gather(own)).mean(0)
        assert torch.allclose(synced, mean, atol=1e-6), "DDP gradients are not the mean of the ranks' gradients"
        assert not torch.allclose(*_gather(own)), "the ranks saw the same batch; the test would prove nothing"

        # 2. Explicit averaging for the discriminator.
        torch.manual_seed(0)
        d = SRGANDiscriminator(patch_size=32, base_channels=4, dense=8)
        d(torch.rand(2, 3, 32, 32, generator=g)).mean().backward()
        before = _flat(p.grad for p in d.parameters())
        distributed.average_gradients(d, info)
        after = _flat(p.grad for p in d.parameters())
        assert torch.allclose(after, torch.stack(_gather(before)).mean(0), atol=1e-6)

        # 3. A real GAN-stage run: weights stay identical on both ranks; rank 0 writes the files.
        recipe = recipe_from_dict(
            {
                "experiment": {"seed": 5},
                "model": dict(TINY),
                "data": {"train": folder + "/photos", "patch_size": 32, "batch_size": 2},
                "train": {"stage": "gan", "steps": 3, "lr": 1e-3, "log_every": 1, "threads": 1, "ema": 0.9},
                "gan": {"discriminator_options": {"base_channels": 4, "dense": 8}, "pixel_weight": 0.1},
            }
        )
        trainer = Trainer(recipe, Path(folder) / "run", progress_file=False)
        result = trainer.train(PatchDataset(folder + "/photos", 32, 4), val_sets={})
        assert trainer.step == 3
        for name in ("g", "d", "ema"):
            w = _flat(trainer.modules()[name].parameters())
            a, b = _gather(w)
            assert torch.equal(a, b), f"{name} weights diverged between ranks"
        if rank == 0:
            assert Path(result["weights"]).exists() and result["checkpoint"].endswith(".json")
        distributed.barrier(info)
    finally:
        distributed.shutdown(info)


def test_two_gloo_processes_stay_in_sync(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(photos / f"{i}.png")
    import torch.multiprocessing as mp

    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ckpts = list((tmp_path / "run" / "checkpoints").glob("ckpt_*.json"))
    assert [p.name for p in ckpts] == ["ckpt_00000003.json"]
