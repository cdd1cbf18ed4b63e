"""The batch window runs a small folder with the bicubic model, keeps going past a bad file, resumes."""

from __future__ import annotations

import json

from gui_fixtures import batch_window as _window
from gui_fixtures import make_photo

from srgan_studio.core.imageio import read_image


def _run(qtbot, win):
    worker = win.start()
    assert worker is not None, win.last_error
    with qtbot.waitSignal(win.finished, timeout=60000) as got:
        pass
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    return got.args[0]


def test_batch_window_processes_a_folder(qtbot, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    sizes = {}
    for i, (w, h) in enumerate([(32, 24), (40, 30), (28, 36)]):
        make_photo(src / f"img{i}.png", w, h, seed=i)
        sizes[f"img{i}"] = (w, h)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    win = _window(qtbot, tmp_path)
    win.set_input(src)
    assert win.output_dir.text() == str(tmp_path / "in_upscaled")
    win.set_models(["bicubic_x4"])
    summary = _run(qtbot, win)
    assert (summary.done, summary.failed) == (3, 1)
    out = tmp_path / "in_upscaled"
    for stem, (w, h) in sizes.items():
        im = read_image(out / f"{stem}_bicubic_x4.png")
        assert (im.width, im.height) == (4 * w, 4 * h)
    statuses = {
        win.files.topLevelItem(i).text(0): win.files.topLevelItem(i).text(1)
        for i in range(win.files.topLevelItemCount())
    }
    assert statuses["broken.png"].endswith("failed")
    assert sum(s.endswith("done") for s in statuses.values()) == 3
    assert "3 done" in win.summary_label.text() and "1 failed" in win.summary_label.text()
    report = json.loads((out / "srgan-batch-report.json").read_text())
    assert report  # written, and the button to open it is live
    assert win.report_button.isEnabled() and win.folder_button.isEnabled()

    # Running again resumes: finished outputs are skipped, not redone.
    again = _run(qtbot, win)
    assert (again.done, again.skipped, again.failed) == (0, 3, 1)


def test_batch_window_reports_a_job_that_cannot_start(qtbot, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    win = _window(qtbot, tmp_path)
    win.set_input(empty)
    win.set_models(["bicubic_x4"])
    worker = win.start()
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    assert worker.outcome == "errored"
    assert "no images" in win.last_error.lower()
    assert win.start_button.isEnabled()


def test_batch_window_stop(qtbot, tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(12):
        make_photo(src / f"p{i:02d}.png", 200, 160, seed=i)
    win = _window(qtbot, tmp_path)
    win.set_input(src)
    win.set_models(["bicubic_x4"])
    win.start()
    qtbot.waitUntil(lambda: win.files.topLevelItemCount() == 12, timeout=20000)
    win.cancel()
    with qtbot.waitSignal(win.finished, timeout=60000) as got:
        pass
    summary = got.args[0]
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    if summary.cancelled:  # on a fast machine the batch can finish before the stop lands
        assert summary.done + summary.not_finished == 12
        assert win.start_button.text() == "Resume"


def test_output_folder_follows_the_typed_input_until_edited(qtbot, tmp_path):
    # Bug (issue 18): typing the input character by character left "/_upscaled" as the output.
    win = _window(qtbot, tmp_path)
    src = tmp_path / "x" / "batchin"
    qtbot.keyClicks(win.input_dir, str(src))
    assert win.output_dir.text() == str(tmp_path / "x" / "batchin_upscaled")
    qtbot.keyClicks(win.input_dir, "2")
    assert win.output_dir.text() == str(tmp_path / "x" / "batchin2_upscaled")
    win.input_dir.clear()
    qtbot.keyClicks(win.input_dir, "/")
    assert win.output_dir.text() == ""  # a root has no folder name to derive an output from

    mine = tmp_path / "my_results"
    win.output_dir.clear()
    qtbot.keyClicks(win.output_dir, str(mine))
    qtbot.keyClicks(win.input_dir, "tmp/other")
    assert win.output_dir.text() == str(mine)  # the user's own choice is kept


def test_start_asks_before_writing_to_a_new_folder_outside_the_inputs_parent(qtbot, tmp_path):
    src = tmp_path / "album" / "in"
    src.mkdir(parents=True)
    make_photo(src / "a.png", 24, 20)
    elsewhere = tmp_path / "elsewhere" / "out"
    win = _window(qtbot, tmp_path)
    win.set_input(src)
    win.set_models(["bicubic_x4"])
    asked = []
    win.confirm = lambda question: asked.append(question) or False
    win.output_dir.setText(str(elsewhere))
    assert win.start() is None
    assert asked and str(elsewhere) in asked[0]
    assert not elsewhere.exists()

    asked.clear()
    win.set_input(tmp_path / "album" / "in")
    win.output_dir.setText(str(tmp_path / "album" / "in_upscaled"))  # new, but beside the input: no question
    summary = _run(qtbot, win)
    assert not asked and summary.done == 1


def test_progress_labels_are_never_stale(qtbot, tmp_path):
    win = _window(qtbot, tmp_path)
    assert "100" not in win.progress.text()  # bug: "0 / 100 files" before a folder was chosen
    src = tmp_path / "six"
    src.mkdir()
    for i in range(6):
        make_photo(src / f"p{i}.png", 160, 120, seed=i)
    win.set_input(src)
    win.set_models(["bicubic_x4"])
    win.start()
    qtbot.waitUntil(lambda: win.files.topLevelItemCount() == 6, timeout=20000)
    win.cancel()
    with qtbot.waitSignal(win.finished, timeout=60000) as got:
        pass
    qtbot.waitUntil(lambda: win.worker is None, timeout=10000)
    summary = got.args[0]
    finished = summary.done + summary.skipped + summary.failed
    assert win.progress.text() == f"{finished} / 6 files"
    assert f"{summary.done} done" in win.summary_label.text()
    assert win.eta.text() == ""
