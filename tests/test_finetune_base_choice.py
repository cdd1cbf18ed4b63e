"""Base ``auto``: the PSNR-trained base that scores best on the held-out photos, else the rule, said plainly."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from finetune_fixtures import TINY_ARCH, isolated_registry, make_fake_base, make_photos

from srgan_studio.core import finetune as ft
from srgan_studio.core.descriptor import ModelDescriptor
from srgan_studio.core.settings import data_dir


def _export_base(folder: Path, name: str, bias: float) -> None:
    """A near-bicubic tiny SRResNet whose ONNX adds ``bias`` to every pixel: clearly worse when bias > 0."""
    import torch
    from model_fixtures import export_onnx

    from srgan_studio.training.archs import build_model
    from srgan_studio.training.checkpoint import save_weights

    class Biased(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x) + bias

    torch.manual_seed(0)
    model = build_model(TINY_ARCH["type"], **TINY_ARCH["options"]).eval()
    torch.nn.init.normal_(model.tail.weight, std=1e-3)
    save_weights(folder / f"{name}.safetensors", model.state_dict(), TINY_ARCH)
    export_onnx(Biased(model).eval(), folder / f"{name}.onnx")
    ModelDescriptor(
        name=name,
        title=name,
        kind="onnx",
        architecture="srresnet",
        scale=4,
        receptive_field=8,
        file=f"{name}.onnx",
        provenance={"stage": "psnr"},
    ).save(folder / f"{name}.json")


@pytest.fixture(scope="module")
def two_bases(tmp_path_factory) -> Path:
    """restore_x4 is the biased (worse) one, so on a damaged preset the rule and the measurement disagree."""
    pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("bases")
    _export_base(folder, "srresnet_x4", 0.0)
    _export_base(folder, "restore_x4", 0.08)
    return folder


def _install(folder: Path) -> Path:
    models = data_dir() / "models"
    shutil.copytree(folder, models, dirs_exist_ok=True)
    return models


def _create(tmp_path: Path, named: str = "auto", preset: str = "phone_jpeg", **kw) -> ft.FinetuneRun:
    photos = make_photos(tmp_path / "photos", n=6, size=96)
    opts = ft.FinetuneOptions(photos=str(photos), base=named, name="mine", steps=4, patch_size=32, preset=preset)
    return ft.FinetuneRun.create(opts, registry=isolated_registry(), **kw)


def _set_stage(models: Path, name: str, stage: str) -> None:
    p = models / f"{name}.json"
    data = json.loads(p.read_text())
    data["provenance"] = {"stage": stage}
    p.write_text(json.dumps(data))


def test_auto_takes_the_base_that_scores_best_on_the_heldout_photos(tmp_path, two_bases):
    _install(two_bases)
    t0 = time.monotonic()
    run = _create(tmp_path)
    seconds = time.monotonic() - t0
    assert ft.default_base(ft.fine_tunable_models(isolated_registry()), "phone_jpeg").name == "restore_x4"
    choice = run.state.base_choice
    assert run.state.base.name == run.options.base == "srresnet_x4"  # the measurement beat the rule
    assert set(choice.scores) == {"srresnet_x4", "restore_x4"} and choice.reason == ""
    assert choice.scores["srresnet_x4"] > choice.scores["restore_x4"] + 3
    assert choice.photos == len(run.state.photos.heldout) == 2
    text = ft.describe_base(run.state)
    assert text.startswith("base: srresnet_x4, best on your 2 held-out photos (")
    assert "; restore_x4 " in text and "\n" not in text
    assert ft.FinetuneRun.open("mine").state.base_choice == choice  # kept in finetune.json
    assert seconds < 20


def test_the_choice_scores_what_evaluate_scores(tmp_path, two_bases):
    from srgan_studio.core.finetune.base_choice import CHOICE_SIDE
    from srgan_studio.core.finetune.evaluate import heldout_psnr

    models = _install(two_bases)
    run = _create(tmp_path)
    photos = sorted(run.heldout_dir.iterdir())
    desc = ModelDescriptor.load(models / "restore_x4.json")
    mean = sum(heldout_psnr(desc, photos, 4, "phone_jpeg", CHOICE_SIDE)) / len(photos)
    assert run.state.base_choice.scores["restore_x4"] == pytest.approx(mean, abs=1e-3)


def test_an_explicit_base_is_never_overridden(tmp_path, two_bases):
    _install(two_bases)
    run = _create(tmp_path, named="restore_x4")
    assert run.state.base.name == "restore_x4" and run.state.base_choice is None
    assert ft.describe_base(run.state) == "base: restore_x4"
    given = ft.resolve_base("restore_x4", isolated_registry())
    run = _create(tmp_path, base=given, replace=True)  # a base object, with options still saying auto
    assert run.state.base.name == "restore_x4" and run.state.base_choice is None


def test_a_base_that_cannot_be_scored_leaves_the_choice_to_the_rule(tmp_path, two_bases):
    models = _install(two_bases)
    (models / "srresnet_x4.onnx").write_bytes(b"not an onnx model")
    run = _create(tmp_path)
    choice = run.state.base_choice
    assert run.state.base.name == "restore_x4" and not choice.scores  # the rule for phone_jpeg
    assert "could not be scored" in choice.reason and choice.reason.endswith("chosen by the rule for phone_jpeg photos")
    assert "\n" not in ft.describe_base(run.state)


def test_gan_and_unknown_bases_are_not_candidates(tmp_path):
    models = data_dir() / "models"
    for name in ("srresnet_x4", "restore_x4", "srgan_x4"):
        make_fake_base(models, name)  # fake ONNX: scoring it would fail, so no scores means none was tried
    _set_stage(models, "srresnet_x4", "psnr")
    _set_stage(models, "srgan_x4", "gan")
    run = _create(tmp_path, preset="old_print")
    assert run.state.base.name == "srresnet_x4"  # the one PSNR-trained base, though the rule says restore_x4
    assert ft.describe_base(run.state) == "base: srresnet_x4 (the only PSNR-trained x4 base installed)"


def test_no_known_psnr_base_uses_the_rule_and_says_so(tmp_path):
    make_fake_base(data_dir() / "models", "restore_x4")
    run = _create(tmp_path, preset="photo")
    assert run.state.base.name == "restore_x4"
    assert "chosen by the rule for photo photos" in ft.describe_base(run.state)


def test_a_state_file_from_before_the_choice_opens(tmp_path):
    make_fake_base(data_dir() / "models")
    run = _create(tmp_path, named="fake_x4")
    data = json.loads((run.dir / ft.STATE_FILE).read_text())
    del data["base_choice"]
    (run.dir / ft.STATE_FILE).write_text(json.dumps(data))
    old = ft.FinetuneRun.open("mine")
    assert old.state.base_choice is None and ft.describe_base(old.state) == "base: fake_x4"
    old.save()
    assert ft.FinetuneRun.open("mine").state.base_choice is None
