"""Fine-tuning for real (tiny model, tiny photos, a few steps): cancel and resume across
processes, and the CLI end to end, ending in a registered model that upscales."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

from finetune_fixtures import cancel_after_step, isolated_registry, make_base, make_photos, tiny_options
from gen_helpers import collect

from srgan_studio.core import finetune as ft
from srgan_studio.core.settings import data_dir


@pytest.mark.slow
def test_cancel_keeps_a_real_checkpoint_and_resume_continues_after_restart(tmp_path):
    make_base(data_dir() / "models")
    photos = make_photos(tmp_path / "photos", n=5)
    opts = tiny_options(photos)
    run = ft.FinetuneRun.create(opts, registry=isolated_registry())
    kept = cancel_after_step(run, 2)["step"]
    assert 2 <= kept < 400

    again = ft.FinetuneRun.open("mine")  # a new process would do exactly this
    assert again.status is ft.RunStatus.CANCELLED
    again.stages[0].steps = kept + 3  # keep the test short: three more steps
    again.save()
    events, outcome = collect(again.train())
    start = next(e for e in events if isinstance(e, ft.StageStarted))
    assert start.resumed_from == kept
    assert [e.step for e in events if isinstance(e, ft.StepProgress)] == [kept + 1, kept + 2, kept + 3]
    assert outcome.steps == kept + 3 and outcome.weights.is_file()


@pytest.mark.slow
def test_cli_finetune_registers_a_usable_model(tmp_path, capsys):
    from srgan_studio.cli import main

    make_base(data_dir() / "models")
    photos = make_photos(tmp_path / "photos", n=6)
    rc = main(
        [
            "finetune",
            str(photos),
            "--base",
            "tiny",
            "--name",
            "mine",
            "--steps",
            "4",
            "--patch",
            "32",
            "--batch",
            "2",
            "--threads",
            "1",
            "--progress",
            "none",
            "--register-anyway",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "dB over the base" in out.out and "dB over bicubic" in out.out and "registered mine" in out.out

    reg = isolated_registry()
    d = reg.get("mine")
    assert d.user and d.scale == 4
    assert d.provenance["fine_tuned_from"] == "tiny_x4" and d.provenance["data"] == str(photos.resolve())
    assert d.provenance["steps"] == {"psnr": 4} and "psnr" in d.provenance["recipe"]
    held = d.metrics["heldout"]
    assert set(held) >= {"bicubic", "base", "finetuned"} and held["photos"] >= 2
    # The training weights travel with the model, so it can be fine-tuned again.
    assert ft.resolve_base("mine", reg).arch == ft.read_weights_arch(data_dir() / "models" / "tiny_x4.safetensors")

    src = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(src)
    rc = main(["upscale", str(src), "--model", "mine", "-o", str(tmp_path / "x4.png"), "-q"])
    assert rc == 0, capsys.readouterr().err
    with Image.open(tmp_path / "x4.png") as im:
        assert im.size == (96, 80)
