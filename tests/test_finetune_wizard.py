"""The fine-tuning wizard, driven like a user: every page on a tiny folder with a tiny model."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from finetune_fixtures import (
    install_fake_trainer,
    isolated_registry,
    make_fake_base,
    make_photos,
)
from PySide6.QtWidgets import QWizard

from srgan_studio.core import finetune as ft
from srgan_studio.core.settings import data_dir
from srgan_studio.gui.finetune_wizard import (
    PAGE_BASE,
    PAGE_BUDGET,
    PAGE_EVAL,
    PAGE_PRESET,
    PAGE_SAVE,
    PAGE_TRAIN,
    FinetuneWizard,
)


def open_wizard(qtbot, folder, **kw) -> FinetuneWizard:
    wiz = FinetuneWizard(None, registry=isolated_registry(), **kw)
    qtbot.addWidget(wiz)
    wiz.threads = 1
    wiz.patch_spin.setValue(32)
    wiz.batch_spin.setValue(2)
    wiz.show()
    wiz.folder_page.set_folder(str(folder))
    qtbot.waitUntil(lambda: wiz.scan is not None or bool(wiz.folder_page.error.text()), timeout=10_000)
    return wiz


def to_budget(qtbot, wiz, steps: int) -> None:
    wiz.next()
    assert wiz.currentId() == PAGE_BASE
    assert wiz.base_page.base_combo.count() == 2  # automatic, then the one base
    wiz.base_page.name_edit.setText("mine")
    assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    wiz.next()
    assert wiz.currentId() == PAGE_PRESET
    wiz.preset_page.buttons["phone_jpeg"].setChecked(True)
    wiz.next()
    assert wiz.currentId() == PAGE_BUDGET
    wiz.budget_page.by_steps.setChecked(True)
    wiz.budget_page.steps.setValue(steps)


@pytest.mark.parametrize("kind", ["empty", "corrupt", "few"])
def test_bad_folders_block_the_first_page(qtbot, tmp_path, kind):
    folder = tmp_path / kind
    if kind == "empty":
        folder.mkdir()
    elif kind == "corrupt":
        make_photos(folder, n=3)
        for p in folder.iterdir():
            p.write_bytes(b"garbage")
    else:
        make_photos(folder, n=2)
    wiz = open_wizard(qtbot, folder)
    page = wiz.folder_page
    assert not page.isComplete()
    assert not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    expected = {"empty": "no images found", "corrupt": "none of the 3 images", "few": "only 2 usable"}[kind]
    assert expected in page.error.text()
    if kind == "corrupt":
        assert page.bad_list.count() == 3


@pytest.mark.slow
def test_wizard_walks_every_page_trains_evaluates_and_saves(qtbot, tmp_path):
    pytest.importorskip("torch")
    from finetune_fixtures import make_base

    make_base(data_dir() / "models")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=6))
    assert wiz.folder_page.isComplete() and wiz.folder_page.heldout_list.count() >= 2
    assert wiz.folder_page.warnings.text()  # 4 training photos: the "too few" warning
    to_budget(qtbot, wiz, steps=6)

    wiz.budget_page.measure.click()
    qtbot.waitUntil(
        lambda: bool(wiz.budget_page.seconds_per_step) or bool(wiz.budget_page.error.text()), timeout=90_000
    )
    assert not wiz.budget_page.error.text()
    assert "s/step" in wiz.budget_page.estimate_label.text()

    wiz.next()  # the commit button: "Train"
    assert wiz.currentId() == PAGE_TRAIN
    page = wiz.train_page
    qtbot.waitUntil(lambda: page.trained or bool(page.error.text()), timeout=120_000)
    assert not page.error.text()
    assert page.curve.point_count() >= 1
    assert "it/s" in page.stats.text() and "ETA" in page.stats.text()
    assert "dB" in page.val_label.text()
    qtbot.waitUntil(lambda: page.preview.shown() == 4, timeout=30_000)

    wiz.next()
    assert wiz.currentId() == PAGE_EVAL
    ev = wiz.eval_page
    qtbot.waitUntil(lambda: ev.result is not None or bool(ev.error.text()), timeout=120_000)
    assert not ev.error.text()
    assert ev.table.rowCount() == 3 and ev.per_photo.rowCount() >= 2
    assert float(ev.table.item(0, 1).text()) > 10  # bicubic PSNR, a real number
    assert ev.crops_layout.count() >= 1

    wiz.next()
    assert wiz.currentId() == PAGE_SAVE
    with qtbot.waitSignal(wiz.model_saved, timeout=60_000) as saved:
        wiz.button(QWizard.WizardButton.FinishButton).click()
    assert saved.args == ["mine"]
    d = isolated_registry().get("mine")
    assert d.user and d.provenance["degradation"] == "phone_jpeg"
    assert d.metrics["heldout"]["finetuned"]["psnr_y"] > 0


def test_a_dying_trainer_is_shown_and_the_wizard_survives(qtbot, tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, "traceback")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=5))
    wiz.previews = False
    to_budget(qtbot, wiz, steps=10)
    wiz.next()
    page = wiz.train_page
    qtbot.waitUntil(lambda: bool(page.error.text()), timeout=30_000)
    assert "DefaultCPUAllocator" in page.error.text()
    assert page.resume_button.isVisible() and not page.isComplete()


def test_cancel_then_resume_from_the_first_page(qtbot, tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, "ok")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=5))
    wiz.previews = False
    to_budget(qtbot, wiz, steps=200)
    wiz.next()
    page = wiz.train_page
    qtbot.waitUntil(lambda: page.last_step >= 2, timeout=30_000)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.worker is not None and not page.worker.is_running, timeout=30_000)
    assert "Cancelled" in page.stage_label.text() and page.resume_button.isVisible()
    stopped_at = page.last_step
    wiz.close()

    # A new wizard (as after a restart) offers the run on its first page.
    wiz2 = FinetuneWizard(None, registry=isolated_registry())
    qtbot.addWidget(wiz2)
    wiz2.show()
    combo = wiz2.folder_page.resume_combo
    assert combo.count() == 1 and combo.currentData() == "mine"
    wiz2.folder_page.resume_button.click()
    assert wiz2.currentId() == PAGE_TRAIN
    p2 = wiz2.train_page
    qtbot.waitUntil(lambda: p2.trained or bool(p2.error.text()), timeout=60_000)
    assert p2.trained and p2.last_step == 200 and 2 <= stopped_at < 200
    assert ft.FinetuneRun.open("mine").status == "trained"


def test_closing_the_wizard_stops_training_at_a_checkpoint(qtbot, tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, "ok")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=5))
    wiz.previews = False
    wiz.ask_before_stopping = False
    to_budget(qtbot, wiz, steps=500)
    wiz.next()
    page = wiz.train_page
    qtbot.waitUntil(lambda: page.last_step >= 2, timeout=30_000)
    worker = page.worker
    wiz.close()
    qtbot.waitUntil(lambda: not worker.is_running, timeout=30_000)
    run = ft.FinetuneRun.open("mine")
    assert run.status == "cancelled" and run.can_resume()
    assert list((run.stage_dir("psnr") / "checkpoints").glob("ckpt_*.json"))


# ---------------------------------------------------------------- readability (issue 18)


def test_a_typed_folder_is_scanned_without_enter(qtbot, tmp_path):
    folder = make_photos(tmp_path / "typed", n=4)
    wiz = FinetuneWizard(None, registry=isolated_registry())
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.keyClicks(wiz.folder_page.path_edit, str(folder))  # no Enter, no focus change
    qtbot.waitUntil(lambda: wiz.scan is not None, timeout=10_000)
    assert wiz.scan.folder == folder and len(wiz.scan.usable) == 4


def test_small_photos_are_accepted_with_a_warning(qtbot, tmp_path):
    wiz = open_wizard(qtbot, make_photos(tmp_path / "small", n=5, size=40))
    wiz.patch_spin.setValue(96)
    wiz.folder_page.set_folder(str(tmp_path / "small"))
    qtbot.waitUntil(lambda: wiz.scan is not None, timeout=10_000)
    assert wiz.folder_page.isComplete()
    assert "smaller than the 96 px training patch" in wiz.folder_page.warnings.text()


def test_the_default_base_is_measured_and_the_choice_is_shown(qtbot, tmp_path):
    models = data_dir() / "models"
    make_fake_base(models, "aaa_gan_x4")  # listed first, but not the faithful default
    make_fake_base(models, "srresnet_x4")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=4))
    wiz.next()
    combo = wiz.base_page.base_combo
    assert wiz.base_page.goal == "faithful" and combo.currentData() == "auto"
    assert combo.currentText() == "Automatic (best on your photos)" and combo.count() == 3
    assert wiz.base_page.name_edit.text() == "photos_x4"
    wiz.base_page.name_edit.setText("mine")
    wiz.next()
    wiz.next()
    run = wiz.prepare_run()
    # Fake bases name no training stage, so nothing is measured and the rule picks SRResNet.
    assert run.options.base == "srresnet_x4" and run.state.base_choice is not None
    assert wiz.budget_page.base_note.text().startswith("Base: srresnet_x4 (")
    assert "Base: srresnet_x4" in wiz.train_page.subTitle()
    assert wiz.prepare_run() is run  # the measured choice stands while nothing changed


def test_progress_shows_the_minutes_budget_with_steps_as_an_estimate(qtbot, tmp_path):
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=4))
    page = wiz.train_page
    ev = ft.StepProgress(
        "psnr", 12, 300, {"pixel": 0.1}, 1e-4, 1.1, 81.0, 0.133, run_step=12, expected_steps=99, budget_minutes=1.5
    )
    page._on_event(ev)
    assert "step 12 of about 99 (1.5 min budget)" in page.stats.text()
    assert "300" not in page.stats.text() and page.progress.value() == 133
    page._on_event(ft.StageStarted("psnr", 0, 1, 300, 0, "cpu", "bf16", 2))
    assert "300" not in page.stage_label.text() and page.device_label.text() == "Training on cpu, bf16, 2 thread(s)"


def test_results_show_every_row_and_the_gain_against_base_and_bicubic(qtbot, tmp_path, monkeypatch):
    make_fake_base(data_dir() / "models")
    install_fake_trainer(monkeypatch, tmp_path, "ok")
    wiz = open_wizard(qtbot, make_photos(tmp_path / "photos", n=24))
    to_budget(qtbot, wiz, steps=4)
    wiz.prepare_run()
    scores = {"bicubic": 20.0, "base": 21.0, "finetuned": 21.5}
    rows = [
        {"photo": f"p{i}.png", **{m: {"psnr_y": v + i / 10, "ssim_y": 0.7} for m, v in scores.items()}}
        for i in range(8)
    ]
    mean = {m: {"psnr_y": v + 0.35, "ssim_y": 0.7} for m, v in scores.items()}
    page = wiz.eval_page
    page._on_result(ft.EvalResult(rows, mean, [], 768))
    for table in (page.table, page.per_photo):
        shown = table.viewport().height()
        assert sum(table.rowHeight(i) for i in range(table.rowCount())) <= shown
    assert "+0.50 dB against Fake x4 and +1.50 dB against bicubic" in page.status.text()
