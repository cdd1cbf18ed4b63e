"""The base is upscaled on the held-out pairs once a run: ``--base auto``'s scoring of the chosen base
is kept (outputs and scores, keyed by the base's ONNX, the pair's pixels and the metric) and the final
figure's base column and crops reuse it; a key that does not match is scored afresh."""

from __future__ import annotations

import importlib
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from finetune_fixtures import isolated_registry, make_photos  # noqa: E402
from gen_helpers import collect  # noqa: E402
from test_finetune_base_choice import _export_base  # noqa: E402

from srgan_studio.core import finetune as ft  # noqa: E402
from srgan_studio.core.finetune import base_scores  # noqa: E402
from srgan_studio.core.finetune.evaluate import EVAL_SIDE  # noqa: E402
from srgan_studio.core.settings import data_dir  # noqa: E402

evaluate = importlib.import_module("srgan_studio.core.finetune.evaluate")  # the package's name is the function


@pytest.fixture(scope="module")
def two_bases(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bases")
    _export_base(folder, "srresnet_x4", 0.0)
    _export_base(folder, "restore_x4", 0.08)
    return folder


def trained_run(tmp_path, two_bases) -> ft.FinetuneRun:
    """An auto run whose 'training' result is the base's own weights (evaluate only needs weights)."""
    shutil.copytree(two_bases, data_dir() / "models", dirs_exist_ok=True)
    photos = make_photos(tmp_path / "photos", n=8, size=EVAL_SIDE + 40)
    opts = ft.FinetuneOptions(photos=str(photos), base="auto", name="mine", steps=4, patch_size=32, preset="phone_jpeg")
    run = ft.FinetuneRun.create(opts, registry=isolated_registry())
    out = run.stage_dir("psnr")
    out.mkdir()
    shutil.copy(run.state.base.weights, out / "generator.safetensors")
    run.stages[0].done = True
    run.state.status = ft.RunStatus.TRAINED
    run.save()
    return run


def count_upscales(monkeypatch) -> dict[str, int]:
    calls: dict[str, int] = {}
    real = evaluate.upscale_checked

    def counted(up, lr, hr, path, cancel=evaluate.NEVER):
        calls[up.descriptor.name] = calls.get(up.descriptor.name, 0) + 1
        return real(up, lr, hr, path, cancel)

    monkeypatch.setattr(evaluate, "upscale_checked", counted)
    return calls


def timed_evaluate(run):
    t0 = time.perf_counter()
    _, result = collect(ft.evaluate(run))
    return result, time.perf_counter() - t0


def test_the_final_figure_reuses_the_choices_base_outputs(tmp_path, two_bases, monkeypatch, capsys):
    run = trained_run(tmp_path, two_bases)
    cached = run.state.base_scores
    held = sorted(p.name for p in run.heldout_dir.iterdir())
    assert run.state.base.name == "srresnet_x4" and [p.photo for p in cached.photos] == held
    assert cached.model == base_scores.file_sha256(Path(run.state.base.onnx))
    assert len(list((run.dir / base_scores.SR_DIR).glob("*.png"))) == len(held)
    assert ft.FinetuneRun.open("mine").state.base_scores == cached  # kept in finetune.json

    collect(ft.evaluate(run))  # the ONNX export, out of the times below
    calls = count_upscales(monkeypatch)
    with_cache, t_cached = timed_evaluate(run)
    assert "srresnet_x4" not in calls and calls["mine"] == len(held)  # the base was not run again

    # The same figure and the same crops as scoring the base afresh.
    crops = {p.name: p.read_bytes() for p in (run.dir / "eval").glob("crop*-base.png")}
    run.state.base_scores = None
    calls.clear()
    afresh, t_afresh = timed_evaluate(run)
    assert calls["srresnet_x4"] == len(held)
    assert afresh.rows == with_cache.rows and afresh.mean == with_cache.mean
    assert crops and {p.name: p.read_bytes() for p in (run.dir / "eval").glob("crop*-base.png")} == crops
    with capsys.disabled():
        print(
            f"\n[base cache] {len(held)} held-out photos at {EVAL_SIDE} px, tiny base: evaluate "
            f"{t_afresh:.3f} s scoring the base, {t_cached:.3f} s from the cache (saved {t_afresh - t_cached:.3f} s)"
        )


def test_a_cache_that_does_not_fit_is_scored_afresh(tmp_path, two_bases, monkeypatch):
    run = trained_run(tmp_path, two_bases)
    calls = count_upscales(monkeypatch)
    n = len(run.state.photos.heldout)

    run.state.base_scores.model = "0" * 64  # another base file
    collect(ft.evaluate(run))
    assert calls.get("srresnet_x4") == n
    assert run.state.base_scores.model == base_scores.file_sha256(Path(run.state.base.onnx))  # mended

    calls.clear()
    run.state.base_scores.metric = "y-psnr;border=0"  # another metric
    collect(ft.evaluate(run))
    assert calls.get("srresnet_x4") == n

    calls.clear()
    first, second = run.state.base_scores.photos[:2]
    first.pair = "f" * 64  # other pixels (another crop, preset or photo)
    (run.dir / base_scores.SR_DIR / f"{second.pair[:24]}.png").write_bytes(b"damaged")  # an output gone bad
    collect(ft.evaluate(run))
    assert calls.get("srresnet_x4") == 2

    calls.clear()
    collect(ft.evaluate(run))
    assert "srresnet_x4" not in calls  # all mended and reused
    assert len(list((run.dir / base_scores.SR_DIR).glob("*.png"))) == n  # stale outputs removed


def test_rescoring_an_old_runs_best_reuses_the_base_scores(tmp_path, two_bases, monkeypatch):
    run = trained_run(tmp_path, two_bases)
    calls = count_upscales(monkeypatch)
    scores = base_scores.base_psnr_on_pairs(run)
    assert "srresnet_x4" not in calls
    assert scores == [p.psnr_y for p in run.state.base_scores.photos]
