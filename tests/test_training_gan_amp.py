"""fp16 GAN training (CUDA without bf16): G's and D's losses go through the GradScaler, and a step whose
gradients overflow is skipped for both. The CUDA decision is faked (fp16 autocast runs on the CPU);
a real-GPU run where one exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from PIL import Image  # noqa: E402

from srgan_studio.training import device as dev  # noqa: E402
from srgan_studio.training import trainer as trainer_mod  # noqa: E402
from srgan_studio.training.recipe import recipe_from_dict  # noqa: E402

TINY = {"type": "srresnet", "scale": 4, "channels": 8, "blocks": 1, "batch_norm": False, "bicubic_skip": True}


def gan_recipe(tmp_path: Path, steps: int, device: str = "cpu"):
    folder = tmp_path / "train"
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(5)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return recipe_from_dict(
        {
            "experiment": {"name": "amp", "seed": 2},
            "model": dict(TINY),
            "data": {"train": str(folder), "patch_size": 32, "batch_size": 2},
            "train": {
                "stage": "gan",
                "steps": steps,
                "lr": 1e-3,
                "log_every": 1,
                "checkpoint_minutes": 60,
                "threads": 1,
                "device": device,
                "grad_clip": 1.0,  # the G step unscales before clipping
            },
            "gan": {"discriminator_options": {"base_channels": 4, "dense": 8}, "pixel_weight": 0.1},
        }
    )


def fp16_trainer(tmp_path, monkeypatch, steps: int, device: str = "cpu") -> trainer_mod.Trainer:
    monkeypatch.setattr(trainer_mod, "choose_device", lambda *a, **k: dev.DeviceChoice(device, "fp16"))
    t = trainer_mod.Trainer(gan_recipe(tmp_path, steps), tmp_path / "run", progress_file=False)
    assert t.scaler is not None and t.gan is not None
    return t


def test_both_gan_losses_go_through_the_scaler_with_one_update_per_step(tmp_path, monkeypatch):
    t = fp16_trainer(tmp_path, monkeypatch, steps=2)
    calls: list[str] = []
    names = {id(t.opt_g): "g", id(t.gan.opt_d): "d"}

    def spy(method: str):
        real = getattr(t.scaler, method)

        def wrapped(*args, **kwargs):
            arg = args[0] if args else None
            calls.append(f"{method}({names[id(arg)]})" if id(arg) in names else method)
            return real(*args, **kwargs)

        return wrapped

    for method in ("scale", "step", "update"):
        monkeypatch.setattr(t.scaler, method, spy(method))
    d_before = {k: v.clone() for k, v in t.gan.d.named_parameters()}
    assert t.train()["status"] == "done"
    assert calls == ["scale", "step(g)", "scale", "step(d)", "update"] * 2
    params = [*t.generator.parameters(), *t.gan.d.parameters()]
    assert all(torch.isfinite(p).all() for p in params)
    assert any(not torch.equal(d_before[k], v) for k, v in t.gan.d.named_parameters())


def test_a_step_whose_gradients_overflow_is_skipped_for_g_and_d(tmp_path, monkeypatch):
    t = fp16_trainer(tmp_path, monkeypatch, steps=1)
    inf = float("inf")
    next(t.generator.parameters()).register_hook(lambda g: torch.full_like(g, inf))
    next(t.gan.d.parameters()).register_hook(lambda g: torch.full_like(g, inf))
    # Weights only: D's batch-norm statistics move with every forward pass.
    g_before = {k: v.clone() for k, v in t.generator.named_parameters()}
    d_before = {k: v.clone() for k, v in t.gan.d.named_parameters()}
    scale = t.scaler.get_scale()
    assert t.train()["status"] == "done"
    assert all(torch.equal(g_before[k], v) for k, v in t.generator.named_parameters())
    assert all(torch.equal(d_before[k], v) for k, v in t.gan.d.named_parameters())
    assert not t.opt_g.state and not t.gan.opt_d.state  # neither Adam took the step
    assert t.scaler.get_scale() == scale * 0.5  # the one update backed the scale off


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fp16_gan_training_on_a_real_gpu(tmp_path, monkeypatch):
    t = fp16_trainer(tmp_path, monkeypatch, steps=3, device="cuda:0")
    assert next(t.gan.d.parameters()).is_cuda
    assert t.train()["status"] == "done"
    assert all(torch.isfinite(p).all() for p in [*t.generator.parameters(), *t.gan.d.parameters()])
