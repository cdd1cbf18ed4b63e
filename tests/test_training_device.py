"""train.device and precision (CUDA decisions with the GPU faked; a real GPU test where one exists),
train.keep_best, detail-weighted patches and the thread tuner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from PIL import Image  # noqa: E402

from srgan_studio.training import device as dev  # noqa: E402
from srgan_studio.training import trainer as trainer_mod  # noqa: E402
from srgan_studio.training.checkpoint import load_weights  # noqa: E402
from srgan_studio.training.distributed import DistInfo  # noqa: E402
from srgan_studio.training.recipe import recipe_from_dict  # noqa: E402

TINY = {"type": "srresnet", "scale": 4, "channels": 8, "blocks": 1, "batch_norm": False, "bicubic_skip": True}


class FakeCuda:
    def __init__(self, count: int = 2, bf16: bool = True):
        self.count, self.bf16 = count, bf16

    def is_available(self) -> bool:
        return self.count > 0

    def device_count(self) -> int:
        return self.count

    def is_bf16_supported(self) -> bool:
        return self.bf16


def photos(folder: Path, n: int = 3, size: int = 48) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def recipe(tmp_path: Path, steps: int = 3, val: bool = False, **train):
    data = {"train": str(photos(tmp_path / "train")), "patch_size": 32, "batch_size": 2}
    if val:
        data["val"] = [str(photos(tmp_path / "val", n=2, size=32))]
    return recipe_from_dict(
        {
            "experiment": {"name": "t", "seed": 1},
            "model": dict(TINY),
            "data": data,
            "train": {
                "steps": steps,
                "lr": 1e-3,
                "log_every": 1,
                "checkpoint_minutes": 60,
                "threads": 1,
                "device": "cpu",
                **train,
            },
        }
    )


# ---------------------------------------------------------------- device choice, GPU faked


def test_auto_takes_the_gpu_with_bf16_where_supported_else_fp16():
    one = DistInfo()
    assert dev.choose_device("auto", "auto", one, FakeCuda(bf16=True)) == dev.DeviceChoice("cuda:0", "bf16")
    assert dev.choose_device("auto", "auto", one, FakeCuda(bf16=False)) == dev.DeviceChoice("cuda:0", "fp16")
    assert dev.choose_device("cuda:1", "fp32", one, FakeCuda()) == dev.DeviceChoice("cuda:1", "fp32")
    assert dev.choose_device("auto", "fp32", one, FakeCuda(count=0)).device == "cpu"


def test_each_rank_takes_its_own_gpu_under_torchrun():
    rank1 = DistInfo(rank=1, world_size=2, local_rank=1, backend="nccl")
    assert dev.choose_device("cuda", "auto", rank1, FakeCuda()).device == "cuda:1"


def test_a_missing_gpu_is_one_line():
    with pytest.raises(dev.DeviceError, match="sees no CUDA GPU"):
        dev.choose_device("cuda", "auto", DistInfo(), FakeCuda(count=0))
    with pytest.raises(dev.DeviceError, match="only 2 are present"):
        dev.choose_device("cuda:5", "auto", DistInfo(), FakeCuda())


def test_cpu_auto_precision_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(dev, "cpu_has_bf16", lambda: False)
    assert dev.choose_device("cpu", "auto", DistInfo()).precision == "fp32"
    monkeypatch.setattr(dev, "cpu_has_bf16", lambda: True)
    assert dev.choose_device("cpu", "auto", DistInfo()).precision == "bf16"


def test_the_fp16_path_with_its_grad_scaler_trains(tmp_path, monkeypatch):
    """The CUDA-without-bf16 code path (fp16 autocast + GradScaler), run on the CPU."""
    monkeypatch.setattr(trainer_mod, "choose_device", lambda *a, **k: dev.DeviceChoice("cpu", "fp16"))
    t = trainer_mod.Trainer(recipe(tmp_path), tmp_path / "run", progress_file=False)
    assert t.scaler is not None
    before = {k: v.clone() for k, v in t.generator.state_dict().items()}
    result = t.train()
    assert result["status"] == "done"
    changed = any(not torch.equal(before[k], v) for k, v in t.generator.state_dict().items())
    assert changed and all(torch.isfinite(v).all() for v in t.generator.state_dict().values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_a_real_gpu(tmp_path):
    t = trainer_mod.Trainer(recipe(tmp_path, device="cuda", precision="auto"), tmp_path / "run", progress_file=False)
    assert next(t.generator.parameters()).is_cuda
    assert t.train()["status"] == "done"
    state, _, _ = load_weights(tmp_path / "run" / "generator.safetensors")
    assert all(v.device.type == "cpu" for v in state.values())


# ---------------------------------------------------------------- keep_best


def test_keep_best_never_hands_back_weights_worse_than_the_start(tmp_path):
    records = []
    # A learning rate this large wrecks the weights: the initial ones must win.
    r = recipe(tmp_path, steps=4, val=True, lr=5.0, keep_best=True, val_every=2, ema=0.0)
    t = trainer_mod.Trainer(r, tmp_path / "run", emit=records.append, progress_file=False)
    initial = {k: v.clone() for k, v in t.generator.state_dict().items()}
    result = t.train()
    assert result["best_step"] == 0 and result["best_psnr"] == result["base_psnr"]
    vals = [x for x in records if x["event"] == "val"]
    assert vals[0]["step"] == 0 and vals[0]["best"] and not any(v["best"] for v in vals[1:])
    exported, _, _ = load_weights(tmp_path / "run" / "generator.safetensors")
    assert all(torch.equal(exported[k], initial[k]) for k in initial)


def test_keep_best_needs_validation_photos(tmp_path):
    from srgan_studio.training.recipe import RecipeError

    with pytest.raises(RecipeError, match="keep_best needs validation photos"):
        recipe(tmp_path, keep_best=True)


# ---------------------------------------------------------------- detail-weighted patches


def test_detail_sampling_draws_detailed_patches_and_is_opt_in(tmp_path):
    from srgan_studio.training.data import PatchDataset

    folder = tmp_path / "half"
    folder.mkdir()
    img = np.full((128, 256, 3), 120, dtype=np.uint8)
    img[:, 128:] = np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)  # right half: detail
    Image.fromarray(img).save(folder / "half.png")
    uniform, detail = PatchDataset(folder, 32, 4), PatchDataset(folder, 32, 4, detail=True)
    rng_u, rng_d = np.random.default_rng(1), np.random.default_rng(1)

    def busy(hr: np.ndarray) -> float:
        return float(np.mean(np.abs(np.diff(hr.astype(np.float32), axis=1))))

    u = np.mean([busy(uniform.sample(rng_u)[0]) for _ in range(200)])
    d = np.mean([busy(detail.sample(rng_d)[0]) for _ in range(200)])
    assert d > 1.4 * u
    # Off (the default), batches are those of the uniform draw, a pure function of (seed, step).
    a, b = PatchDataset(folder, 32, 4).batch(3, 5, 4), uniform.batch(3, 5, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- threads


def test_the_thread_tuner_keeps_the_fastest_count(monkeypatch):
    from srgan_studio.training import threads as th

    tuner = th.ThreadTuner(4, probe_steps=2, every=50)
    clock = [0.0]
    monkeypatch.setattr(th.time, "perf_counter", lambda: clock[0])
    used = []

    def run(steps: range, cost: dict[int, float]) -> None:
        for step in steps:
            n = tuner.threads_for(step)
            used.append(n)
            clock[0] += cost[n]
            tuner.step_done(step)

    run(range(0, 20), {4: 3.0, 2: 2.0, 1: 1.5})  # a busy machine: fewer threads run faster
    assert tuner.best == 1 and used[-1] == 1
    assert used.count(4) == 2  # warm-up + one timed step: far slower, dropped
    run(range(20, 80), {4: 0.5, 2: 0.8, 1: 1.5})  # the load went away: measured again, all cores win
    assert tuner.best == 4 and used[-1] == 4
