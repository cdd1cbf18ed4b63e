"""fp16 resume keeps the GradScaler's state: the loss scale and its growth tracker are in the checkpoint's
JSON (plain numbers), restored on --resume; an older checkpoint without them still resumes, with a note.
The CUDA decision is faked as in test_training_gan_amp (fp16 autocast and GradScaler("cpu") run on the CPU)."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from test_training_gan_amp import gan_recipe  # noqa: E402

from srgan_studio.training import device as dev  # noqa: E402
from srgan_studio.training import trainer as trainer_mod  # noqa: E402
from srgan_studio.training.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint  # noqa: E402

DEFAULT_SCALE = 65536.0  # torch.amp.GradScaler's init_scale


def fp16_trainer(tmp_path, monkeypatch, stage: str, steps: int, records: list | None = None):
    monkeypatch.setattr(trainer_mod, "choose_device", lambda *a, **k: dev.DeviceChoice("cpu", "fp16"))
    recipe = gan_recipe(tmp_path, steps)
    recipe.train.stage = stage
    emit = records.append if records is not None else None
    t = trainer_mod.Trainer(recipe, tmp_path / "run", progress_file=False, emit=emit)
    assert t.scaler is not None and t.scaler.get_scale() == DEFAULT_SCALE
    return t


def overflow_first_step(t: trainer_mod.Trainer) -> None:
    """inf gradients in the first step only: the scaler backs off once, then counts clean steps."""
    calls = {"n": 0}

    def hook(grad):
        calls["n"] += 1
        return torch.full_like(grad, float("inf")) if calls["n"] == 1 else grad

    next(t.generator.parameters()).register_hook(hook)


@pytest.mark.parametrize("stage", ["psnr", "gan"])
def test_resume_restores_the_loss_scale_and_growth_tracker(tmp_path, monkeypatch, stage):
    first = fp16_trainer(tmp_path, monkeypatch, stage, steps=3)
    overflow_first_step(first)
    assert first.train()["status"] == "done"
    saved = first.scaler.state_dict()
    assert saved["scale"] == DEFAULT_SCALE / 2 and saved["_growth_tracker"] == 2  # so a restart would show

    (ckpt,) = list_checkpoints(tmp_path / "run" / "checkpoints")
    in_json = json.loads(ckpt.read_text(encoding="utf-8"))["scalers"]["amp"]
    assert in_json == saved
    assert all(type(v) in (int, float) for v in in_json.values())  # plain numbers, no tensor, no pickle

    records: list = []
    second = fp16_trainer(tmp_path, monkeypatch, stage, steps=4, records=records)
    assert second.resume() and second.step == 3
    assert second.scaler.get_scale() == DEFAULT_SCALE / 2
    assert second.scaler.state_dict() == saved
    assert not [r for r in records if r.get("event") == "note"]
    assert second.train()["status"] == "done"
    assert second.scaler.get_scale() == DEFAULT_SCALE / 2  # went on from the saved scale, no overflow
    assert second.scaler.state_dict()["_growth_tracker"] == 3


def test_an_older_checkpoint_without_the_scaler_still_resumes_with_a_note(tmp_path, monkeypatch):
    first = fp16_trainer(tmp_path, monkeypatch, "psnr", steps=2)
    overflow_first_step(first)
    first.train()
    (ckpt,) = list_checkpoints(tmp_path / "run" / "checkpoints")
    info = json.loads(ckpt.read_text(encoding="utf-8"))
    del info["scalers"]  # as written before scalers were saved (the JSON is not in the checksum)
    ckpt.write_text(json.dumps(info), encoding="utf-8")

    records: list = []
    second = fp16_trainer(tmp_path, monkeypatch, "psnr", steps=3, records=records)
    assert second.resume() and second.step == 2
    assert second.scaler.get_scale() == DEFAULT_SCALE  # starts afresh
    (note,) = [r for r in records if r.get("event") == "note"]
    assert str(ckpt) in note["message"] and "loss scale" in note["message"]


def test_checkpoint_round_trip_of_a_scaler(tmp_path):
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters())
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=7)
    path = save_checkpoint(tmp_path, 5, {"g": model}, {"g": opt}, {"type": "x"}, {}, scalers={"amp": scaler})
    fresh = torch.amp.GradScaler("cpu")
    load_checkpoint(path, {"g": torch.nn.Linear(2, 2)}, {}, {"amp": fresh})
    assert fresh.get_scale() == 1024.0 and fresh.state_dict()["growth_interval"] == 7
    # A run without fp16 writes no scalers and loads such a checkpoint unchanged.
    plain = save_checkpoint(tmp_path / "b", 1, {"g": model}, {}, {"type": "x"}, {})
    assert "scalers" not in json.loads(plain.read_text(encoding="utf-8"))
    untouched = torch.amp.GradScaler("cpu", init_scale=8.0)
    load_checkpoint(plain, {"g": torch.nn.Linear(2, 2)}, {}, {"amp": untouched})
    assert untouched.get_scale() == 8.0
