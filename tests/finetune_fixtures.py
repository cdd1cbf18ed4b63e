"""Fixtures for the fine-tuning tests: tiny photo folders, a tiny fine-tunable base model, a fake trainer."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
from model_fixtures import export_onnx
from PIL import Image, ImageDraw

TINY_ARCH = {
    "type": "srresnet",
    "options": {"scale": 4, "channels": 8, "blocks": 1, "batch_norm": False, "bicubic_skip": True},
}


def make_photos(folder: Path, n: int = 6, size: int = 64, seed: int = 0) -> Path:
    """Line drawings on flat colour: edges the model can learn, different per photo."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        im = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 255, 3)))
        d = ImageDraw.Draw(im)
        for _ in range(8):
            a, b = rng.integers(0, size, 2), rng.integers(0, size, 2)
            d.line(
                [(int(a[0]), int(a[1])), (int(b[0]), int(b[1]))],
                fill=tuple(int(v) for v in rng.integers(0, 255, 3)),
                width=int(rng.integers(1, 4)),
            )
        im.save(folder / f"photo_{i:02d}.png")
    return folder


def make_base(models_dir: Path, name: str = "tiny_x4", seed: int = 0) -> Path:
    """A random tiny SRResNet as a registry model with its training weights beside it."""
    import torch

    from srgan_studio.core.descriptor import ModelDescriptor
    from srgan_studio.training.archs import build_model
    from srgan_studio.training.checkpoint import save_weights

    models_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = build_model(TINY_ARCH["type"], **TINY_ARCH["options"]).eval()
    torch.nn.init.normal_(model.tail.weight, std=1e-3)  # a little off bicubic, so fine-tuning has work to do
    save_weights(models_dir / f"{name}.safetensors", model.state_dict(), TINY_ARCH)
    onnx_path = export_onnx(model, models_dir / f"{name}.onnx")
    ModelDescriptor(
        name=name,
        title="Tiny SRResNet x4",
        kind="onnx",
        architecture="srresnet",
        scale=4,
        receptive_field=8,
        file=onnx_path.name,
    ).save(models_dir / f"{name}.json")
    return onnx_path


# A stand-in for `srgan-studio train` that speaks the same JSON lines and
# honours SIGTERM, --minutes, checkpoints and --resume, without torch: fast tests of the
# orchestration. FAKE_TRAINER_MODE picks a failure to act out.
FAKE_TRAINER = textwrap.dedent(r"""
    import json, os, signal, sys, time, tomllib
    from pathlib import Path
    args = sys.argv[1:]
    if args[0] != "train":
        sys.exit(2)
    recipe = tomllib.loads(Path(args[1]).read_text())
    out = Path(args[args.index("--out") + 1])
    steps = recipe["train"]["steps"]
    for i, a in enumerate(args):
        if a == "--set" and args[i + 1].startswith("train.steps="):
            steps = int(args[i + 1].split("=")[1])
    mode = os.environ.get("FAKE_TRAINER_MODE", "ok")
    minutes = float(args[args.index("--minutes") + 1]) if "--minutes" in args else 0.0
    deadline = time.monotonic() + minutes * 60 if minutes else float("inf")  # wall clock, as the trainer's
    stop = False
    def on_term(*a):
        global stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    ck = out / "checkpoints"
    ck.mkdir(parents=True, exist_ok=True)
    start = 0
    if "--resume" in args:
        done = sorted(ck.glob("ckpt_*.json"))
        start = json.loads(done[-1].read_text())["step"] if done else 0
    def emit(**rec):
        print(json.dumps({"time": time.time(), **rec}), flush=True)
    emit(event="start", step=start, steps=steps, images=4)
    step = start
    while step < steps:
        time.sleep(0.05)
        step += 1
        emit(event="step", step=step, steps=steps, lr=1e-4, losses={"pixel": 0.1 / step}, it_per_s=20.0, eta_s=1.0)
        if mode == "traceback" and step == 2:
            sys.stderr.write("Traceback (most recent call last):\n  File x\n"
                             "RuntimeError: DefaultCPUAllocator: not enough memory: you tried to allocate 123 bytes\n")
            sys.exit(1)
        if mode == "kill" and step == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        if stop or time.monotonic() >= deadline:
            break
    (ck / f"ckpt_{step:08d}.json").write_text(json.dumps({"step": step}))
    emit(event="checkpoint", step=step, path=str(ck / f"ckpt_{step:08d}.json"))
    (out / "generator.safetensors").write_bytes(b"fake")
    status = "stopped" if stop else "time budget reached" if time.monotonic() >= deadline else "done"
    emit(event="end", status=status, step=step)
""")


def install_fake_trainer(monkeypatch, tmp_path: Path, mode: str = "ok") -> None:
    from srgan_studio.core.finetune import process

    script = tmp_path / "fake_trainer.py"
    script.write_text(FAKE_TRAINER, encoding="utf-8")
    monkeypatch.setattr(process, "train_command", lambda: [sys.executable, str(script)])
    monkeypatch.setenv("FAKE_TRAINER_MODE", mode)


def make_fake_base(models_dir: Path, name: str = "fake_x4") -> None:
    """A registry model whose weights file holds only the architecture (for the fake trainer; no torch)."""
    import json
    import struct

    from srgan_studio.core.descriptor import ModelDescriptor

    models_dir.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"__metadata__": {"arch": json.dumps(TINY_ARCH), "format": "srgan-studio-weights-1"}}).encode()
    (models_dir / f"{name}.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    (models_dir / f"{name}.onnx").write_bytes(b"not used by the fake trainer")
    ModelDescriptor(
        name=name, title="Fake x4", kind="onnx", architecture="srresnet", scale=4, file=f"{name}.onnx"
    ).save(models_dir / f"{name}.json")


def isolated_registry():
    """A registry of the test's user models only: the bundled models in
    resources/models (present once trained) must not change what these tests see."""
    from srgan_studio.core.registry import Registry
    from srgan_studio.core.settings import data_dir

    return Registry(bundled_dir=data_dir() / "no-bundled-models")


def cancel_after_step(run, step: int) -> dict:
    """Drive ``run.train()`` and cancel it once it reports ``step``; the last checkpoint's JSON (one must exist)."""
    import json

    import pytest

    from srgan_studio.core import finetune as ft
    from srgan_studio.core.errors import Cancelled

    gen = run.train()
    with pytest.raises(Cancelled):
        while True:
            ev = next(gen)
            if isinstance(ev, ft.StepProgress) and ev.step >= step:
                run.cancel()
    checkpoints = sorted((run.stage_dir("psnr") / "checkpoints").glob("ckpt_*.json"))
    assert checkpoints, "the cancelled run kept no checkpoint"
    return json.loads(checkpoints[-1].read_text())


def tiny_options(photos: Path, **overrides):
    """Options for a real but tiny fine-tune of the ``tiny`` base: 400 steps at batch 2, one thread, no previews.

    Long enough that a test cancels it, short per step; tests override what they are about.
    """
    from srgan_studio.core import finetune as ft

    values = dict(
        photos=str(photos),
        base="tiny",
        name="mine",
        steps=400,
        patch_size=32,
        batch_size=2,
        previews=False,
        val_every=1000,
        threads=1,
    )
    return ft.FinetuneOptions(**{**values, **overrides})
