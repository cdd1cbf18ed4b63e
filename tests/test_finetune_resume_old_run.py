"""A run made before the trainer validated on the final figure's pairs (commit b54be9b) resumes onto them.

Such a run folder has no val/hr and val/lr, its trainer's saved recipe validates on preview/crops
(128 px crops it degraded itself, seed 0), and its best.safetensors holds a score on those crops.
On resume the run writes the paired folder, points the trainer at it and rescores the kept weights
and the base on it, so keep_best and the final figure score the very same pairs again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finetune_fixtures import cancel_after_step, isolated_registry, make_base, make_photos, tiny_options  # noqa: E402
from gen_helpers import collect  # noqa: E402

from srgan_studio.core import finetune as ft  # noqa: E402
from srgan_studio.core.finetune import old_val, training  # noqa: E402
from srgan_studio.core.finetune.evaluate import EVAL_SIDE, VAL_DIR, degraded_pair  # noqa: E402
from srgan_studio.core.settings import data_dir  # noqa: E402
from srgan_studio.training.best import BEST_FILE  # noqa: E402
from srgan_studio.training.checkpoint import load_weights, save_weights  # noqa: E402
from srgan_studio.training.recipe import load_recipe  # noqa: E402


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def old_run(tmp_path, monkeypatch) -> tuple[ft.FinetuneRun, int]:
    """A run trained and cancelled as the code before b54be9b did: validation on preview/crops, no val/."""
    make_base(data_dir() / "models")
    # Bigger than the scored crop, so the crop matters; phone_jpeg, so the seed matters.
    photos = make_photos(tmp_path / "photos", n=5, size=EVAL_SIDE + 44)
    opts = tiny_options(photos, preset="phone_jpeg", val_every=1)
    run = ft.FinetuneRun.create(opts, registry=isolated_registry())
    with monkeypatch.context() as m:
        m.setattr(training, "write_val_pairs", lambda r: r.preview_dir / "crops")  # the old recipe's val
        kept = cancel_after_step(run, 2)["step"]
    saved = load_recipe(run.stage_dir("psnr") / "recipe.toml")
    assert [Path(v).name for v in saved.data.val] == ["crops"] and not (run.dir / VAL_DIR).exists()
    return run, kept


@pytest.mark.slow
def test_an_old_run_resumes_validating_on_the_final_figures_pairs(tmp_path, monkeypatch):
    run, kept = old_run(tmp_path, monkeypatch)
    photos_before = tree_digest(tmp_path / "photos")
    models_before = tree_digest(data_dir() / "models")
    old_best = load_weights(run.stage_dir("psnr") / BEST_FILE)[2]

    again = ft.FinetuneRun.open("mine")  # as after an app update and restart
    again.stages[0].steps = kept + 3  # keep the test short
    again.save()
    events, _ = collect(again.train())
    assert any(isinstance(e, ft.Notice) and "held-out pairs" in e.message for e in events)

    # The paired folder is written, pixel for pixel what the final figure scores; the trainer uses it.
    val = again.dir / VAL_DIR
    scored = [degraded_pair(p, again.scale, "phone_jpeg", EVAL_SIDE) for p in sorted(again.heldout_dir.iterdir())]
    for i, (hr, lr) in enumerate(scored):
        assert np.array_equal(np.asarray(__import__("PIL.Image").Image.open(val / "hr" / f"{i:02d}.png")), hr)
        assert np.array_equal(np.asarray(__import__("PIL.Image").Image.open(val / "lr" / f"{i:02d}.png")), lr)
    saved = load_recipe(again.stage_dir("psnr") / "recipe.toml")
    assert [Path(v).resolve() for v in saved.data.val] == [val.resolve()]
    val_steps = [e.step for e in events if isinstance(e, ft.Validation)]
    assert val_steps and min(val_steps) > kept  # no re-scoring of step 0 by the trainer: the best file was rescored

    # keep_best's scores are on those pairs now: they match the final figure, not the old crops.
    _, result = collect(ft.evaluate(again))
    st = again.stages[0]
    assert st.base_psnr == pytest.approx(result.mean["base"]["psnr_y"], abs=1e-3)
    assert st.base_psnr != pytest.approx(old_best["base_psnr"], abs=1e-2)  # the old crops scored otherwise
    assert st.best_psnr == pytest.approx(result.mean["finetuned"]["psnr_y"], abs=1e-3)
    assert result.mean["finetuned"]["psnr_y"] >= result.mean["base"]["psnr_y"]

    # Only the run folder was written: the user's photos and the installed models are untouched.
    assert tree_digest(tmp_path / "photos") == photos_before
    assert tree_digest(data_dir() / "models") == models_before
    assert not list(again.dir.rglob(".srgan-partial-*"))


def test_rewriting_a_weights_files_scores_keeps_its_tensors(tmp_path):
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(5)}
    src = tmp_path / "best.safetensors"
    save_weights(src, state, {"type": "srresnet"}, {"step": 7, "psnr_y": 30.0, "base_psnr": 29.0})
    dst = tmp_path / "out.safetensors"
    for extra in ({"step": 7, "psnr_y": 27.5, "base_psnr": 27.25}, {"step": 0, "psnr_y": 1.0, "note": "x" * 13}):
        old_val.write_with_extra(src, dst, extra)
        got, arch, got_extra = load_weights(dst)
        assert got_extra == extra and arch == {"type": "srresnet"}
        assert all(torch.equal(got[k], v) for k, v in state.items())
        assert json.loads(dst.read_bytes()[8 : 8 + int.from_bytes(dst.read_bytes()[:8], "little")])["w"]
    old_val.write_with_extra(dst, dst, {"step": 1})  # in place, through a temp file
    assert load_weights(dst)[2] == {"step": 1}
