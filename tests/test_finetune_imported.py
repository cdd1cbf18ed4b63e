"""Fine-tuning from an imported community model: a tiny spandrel Compact (SRVGGNetCompact) made here,
imported, fine-tuned a few steps through the CLI and the run API (cancel, resume), and the result
upscales through the engine. Models that cannot be bases say why."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("spandrel")

from finetune_fixtures import cancel_after_step, isolated_registry, make_photos, tiny_options  # noqa: E402
from gen_helpers import collect  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from spandrel.architectures.Compact import Compact  # noqa: E402

from srgan_studio.cli import main  # noqa: E402
from srgan_studio.core import finetune as ft  # noqa: E402
from srgan_studio.core.registry import user_models_dir  # noqa: E402

SCALE = 2


def _import_compact(tmp_path, capsys, name: str = "community", channels: int = 3) -> None:
    torch.manual_seed(0)
    net = Compact(num_in_ch=channels, num_out_ch=channels, num_feat=8, num_conv=2, upscale=SCALE)
    src = tmp_path / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(src))
    assert main(["models", "import", str(src), "--name", name]) == 0, capsys.readouterr().err
    capsys.readouterr()


def _finetune_args(photos, steps: int = 3) -> list[str]:
    return [
        "finetune",
        str(photos),
        "--base",
        "community",
        "--name",
        "mine",
        "--steps",
        str(steps),
        "--patch",
        "16",
        "--batch",
        "2",
        "--threads",
        "1",
        "--progress",
        "none",
        "--register-anyway",
    ]


def test_an_imported_compact_is_a_base_with_its_weights_beside_it(tmp_path, capsys):
    _import_compact(tmp_path, capsys)
    reg = isolated_registry()
    d = reg.get("community")
    weights = user_models_dir() / d.provenance["weights"]
    assert weights == d.model_path.with_suffix(".safetensors") and weights.is_file()
    bases, unusable = ft.survey_bases(reg)
    base = next(b for b in bases if b.name == "community")
    assert base.arch == {"type": "spandrel", "options": {"weights": str(weights.resolve()), "scale": SCALE}}
    assert base.scale == SCALE and not unusable

    # The trainer's generator is spandrel's network with the imported weights: same output.
    from srgan_studio.training.trainer import build_generator

    gen = build_generator(base.arch).eval()
    x = torch.rand(1, 3, 11, 13)
    with torch.no_grad():
        torch.manual_seed(0)
        ref = Compact(num_feat=8, num_conv=2, upscale=SCALE).eval()
        assert torch.allclose(gen(x), ref(x), atol=1e-6)

    reg.remove("community")  # the training weights go with the model
    assert not weights.exists()


def test_a_grey_import_is_not_offered_and_says_why(tmp_path, capsys):
    _import_compact(tmp_path, capsys, name="grey", channels=1)
    assert not (user_models_dir() / "grey.safetensors").exists()
    bases, unusable = ft.survey_bases(isolated_registry())
    assert "grey" not in {b.name for b in bases}
    assert [u.name for u in unusable] == ["grey"] and "only RGB models" in unusable[0].reason
    args = _finetune_args(make_photos(tmp_path / "photos", n=4, size=32))
    assert main([*args[:2], "--base", "grey", *args[4:]]) == 1
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and err.splitlines()[-1].startswith("srgan-studio: error: only RGB models")


@pytest.mark.slow
def test_cli_finetunes_an_imported_compact_into_a_model_that_upscales(tmp_path, capsys):
    _import_compact(tmp_path, capsys)
    photos = make_photos(tmp_path / "photos", n=4, size=32)
    rc = main(_finetune_args(photos, steps=3))
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "registered mine" in out.out

    reg = isolated_registry()
    d = reg.get("mine")
    assert d.provenance["fine_tuned_from"] == "community" and d.provenance["steps"] == {"psnr": 3}
    assert d.architecture == "spandrel" and d.scale == SCALE
    base, tuned = ft.resolve_base("community", reg), ft.resolve_base("mine", reg)
    assert tuned.arch == base.arch  # fine-tuned with the same architecture, so it can be fine-tuned again
    before, after = load_file(str(base.weights)), load_file(str(tuned.weights))
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the steps changed the weights

    src = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(src)
    rc = main(["upscale", str(src), "--model", "mine", "-o", str(tmp_path / "x2.png"), "-q"])
    assert rc == 0, capsys.readouterr().err
    with Image.open(tmp_path / "x2.png") as im:
        assert im.size == (24 * SCALE, 20 * SCALE)


@pytest.mark.slow
def test_a_cancelled_fine_tune_of_an_import_resumes_from_its_checkpoint(tmp_path, capsys):
    _import_compact(tmp_path, capsys)
    opts = tiny_options(make_photos(tmp_path / "photos", n=4, size=32), base="community", patch_size=16)
    run = ft.FinetuneRun.create(opts, registry=isolated_registry())
    checkpoint = cancel_after_step(run, 2)
    kept = checkpoint["step"]
    assert checkpoint["arch"]["type"] == "spandrel" and 2 <= kept < 400

    again = ft.FinetuneRun.open("mine")
    again.stages[0].steps = kept + 2
    again.save()
    events, outcome = collect(again.train())
    assert next(e for e in events if isinstance(e, ft.StageStarted)).resumed_from == kept
    assert [e.step for e in events if isinstance(e, ft.StepProgress)] == [kept + 1, kept + 2]
    assert outcome.steps == kept + 2 and outcome.weights.is_file()
