"""keep_best and the final figure agree: the trainer validates on the very held-out pairs (centre crop,
per-photo degradation seed) that the final evaluation scores, so the step it keeps is never worse than
the base on the figure the user is shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finetune_fixtures import isolated_registry, make_base, make_photos, tiny_options  # noqa: E402
from gen_helpers import collect  # noqa: E402

from srgan_studio.core import finetune as ft  # noqa: E402
from srgan_studio.core.degradation import CLEAN  # noqa: E402
from srgan_studio.core.finetune.evaluate import EVAL_SIDE, degraded_pair  # noqa: E402
from srgan_studio.core.settings import data_dir  # noqa: E402
from srgan_studio.training.recipe import degradation_config, load_recipe  # noqa: E402
from srgan_studio.training.validation import ValidationDataError, load_val_set  # noqa: E402


@pytest.mark.slow
def test_keep_best_scores_the_pairs_the_final_figure_scores(tmp_path):
    make_base(data_dir() / "models")
    # Bigger than the scored crop, so the crop matters; phone_jpeg, so the seed matters.
    photos = make_photos(tmp_path / "photos", n=5, size=EVAL_SIDE + 44)
    opts = tiny_options(photos, preset="phone_jpeg", steps=6, val_every=1)
    run = ft.FinetuneRun.create(opts, registry=isolated_registry())
    collect(run.train())

    recipe = load_recipe(run.stage_dir("psnr") / "recipe.toml")
    pairs = load_val_set(Path(recipe.data.val[0]), run.scale, degradation_config(recipe))
    scored = [degraded_pair(p, run.scale, opts.preset, EVAL_SIDE) for p in sorted(run.heldout_dir.iterdir())]
    assert len(pairs) == len(scored) >= 2
    for (_, lr, hr), (want_hr, want_lr) in zip(pairs, scored, strict=True):
        assert hr.shape == (EVAL_SIDE, EVAL_SIDE, 3)
        assert np.array_equal(hr, want_hr) and np.array_equal(lr, want_lr)

    _, result = collect(ft.evaluate(run))
    st = run.stages[0]
    assert st.base_psnr == pytest.approx(result.mean["base"]["psnr_y"], abs=1e-3)
    assert st.best_psnr == pytest.approx(result.mean["finetuned"]["psnr_y"], abs=1e-3)
    assert result.mean["finetuned"]["psnr_y"] >= result.mean["base"]["psnr_y"]


def test_a_paired_validation_folder_is_read_as_given_and_checked(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for sub, side in (("hr", 32), ("lr", 8)):
        (tmp_path / sub).mkdir()
        Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(tmp_path / sub / "a.png")
    [(name, lr, hr)] = load_val_set(tmp_path, 4, CLEAN)
    assert name == "a.png" and np.array_equal(lr, np.asarray(Image.open(tmp_path / "lr" / "a.png")))
    with pytest.raises(ValidationDataError, match="is not"):
        load_val_set(tmp_path, 2, CLEAN)
