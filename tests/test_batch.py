"""Batch folder restoration: outcomes per file, resume, stop, never-overwrite, atomic writes, mirroring."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from batch_fixtures import NON_ASCII_NAME, SKIPPED_NOTES, make_mixed_folder, write_good
from gen_helpers import collect
from PIL import Image

from srgan_studio.core import batch as batch_mod
from srgan_studio.core import batch_plan, batch_runner
from srgan_studio.core.atomic import TEMP_MARK
from srgan_studio.core.batch import (
    BatchJob,
    BatchStarted,
    FileFinished,
    FileStarted,
    TileProgress,
    plan_batch,
    run_batch,
)
from srgan_studio.core.cancel import CancelToken
from srgan_studio.core.errors import ImageWriteError, StudioError

BICUBIC = "bicubic_x4"


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` (hidden ones too)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            out[p.relative_to(folder).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(f"{TEMP_MARK}*")]


def png_bit_depth(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data[24]


def good_folder(folder: Path, n: int, size: int = 40) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name = f"img{i:02d}.png"
        write_good(folder / name, size, size, seed=i)
        names.append(name)
    return names


@pytest.fixture
def user_tiny(tiny_model):
    """The session's tiny ONNX SRResNet, registered as a user model for this test."""
    from srgan_studio.core.registry import user_models_dir

    dest = user_models_dir()
    dest.mkdir(parents=True, exist_ok=True)
    src = Path(tiny_model.source_path)
    shutil.copy(src, dest / src.name)
    shutil.copy(tiny_model.model_path, dest / tiny_model.model_path.name)
    return tiny_model.name


# ---------------------------------------------------------------- the mixed folder


@pytest.mark.parametrize("workers", [2, 0], ids=["pipelined", "sequential"])
def test_mixed_folder_each_file_gets_its_outcome(tmp_path, workers):
    cases = make_mixed_folder(tmp_path / "in")
    before = snapshot(tmp_path / "in")
    report = tmp_path / "out" / "report.json"
    events, summary = collect(
        run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], report=report, workers=workers))
    )

    results = {r.input.name: r for r in summary.results}
    assert set(results) == set(cases)
    for name, case in cases.items():
        r = results[name]
        assert r.status == case.status, (name, r)
        if case.status == "failed":
            assert r.outputs == ()
            assert case.reason in (r.error or "").lower(), (name, r.error)
            assert not list((tmp_path / "out").glob(f"{Path(name).stem}_*")), name
            continue
        assert r.error is None
        (out,) = r.outputs
        assert out.parent == tmp_path / "out"
        assert out.name == f"{Path(name).stem}_{BICUBIC}{Path(name).suffix}"
        with Image.open(out) as im:
            w, h = case.size
            assert im.size == (4 * w, 4 * h), name
            if case.mode == "RGB16":
                assert png_bit_depth(out) == 16
            elif case.mode == "RGBA":
                assert im.mode == "RGBA"
                assert im.getpixel((2, 2))[3] == 0  # the transparent corner stays transparent
                assert im.getpixel((4 * w - 3, 4 * h - 3))[3] == 255
            else:
                assert im.mode == case.mode, name
            if name == "rotated.jpg":
                arr = np.asarray(im.convert("RGB")).astype(int)
                top, bottom = arr[: arr.shape[0] // 4].mean((0, 1)), arr[-arr.shape[0] // 4 :].mean((0, 1))
                assert top[0] > 150 and top[2] < 100  # red on top once upright
                assert bottom[2] > 150 and bottom[0] < 100
                assert im.getexif().get(0x0112, 1) == 1

    assert (tmp_path / "out" / f"{Path(NON_ASCII_NAME).stem}_{BICUBIC}.png").is_file()
    noted = {n.path.name: n.message for n in summary.notes}
    for name, word in SKIPPED_NOTES.items():
        assert word in noted[name]
    assert summary.failed == sum(c.status == "failed" for c in cases.values())
    assert summary.exit_code == 1
    assert snapshot(tmp_path / "in") == before
    assert temp_files(tmp_path / "out") == []

    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["totals"]["inputs"] == len(cases)
    assert data["totals"]["failed"] == summary.failed
    assert data["settings"]["models"] == [BICUBIC]
    entries = {Path(e["input"]).name: e for e in data["files"]}
    for name, case in cases.items():
        assert entries[name]["status"] == case.status
        assert (entries[name]["error"] is None) == (case.status != "failed")
        assert isinstance(entries[name]["seconds"], float)


def test_pipelined_and_sequential_write_the_same_pixels(tmp_path):
    good_folder(tmp_path / "in", 6)
    collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "a", [BICUBIC], workers=0)))
    collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "b", [BICUBIC], workers=3)))
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert len(a) == 6 and a == b


def test_bomb_limit_is_adjustable(tmp_path):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(tmp_path / "in" / "big.png")
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], max_pixels=1000)))
    (r,) = summary.results
    assert r.status == "failed" and "limit" in r.error
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC])))
    assert summary.results[0].status == "done"


def test_events_give_progress_for_files_and_tiles(tmp_path):
    good_folder(tmp_path / "in", 3, size=80)
    events, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], tile=32)))
    assert isinstance(events[0], BatchStarted)
    assert len(events[0].inputs) == 3 and events[0].files_total == 3
    finished = [e for e in events if isinstance(e, FileFinished)]
    assert sorted(e.index for e in finished) == [0, 1, 2]
    assert [e.files_done for e in finished] == [1, 2, 3]
    tiles = [e for e in events if isinstance(e, TileProgress)]
    assert {e.index for e in tiles} == {0, 1, 2}
    per_file = [e for e in tiles if e.index == 0]
    assert per_file[-1].done == per_file[-1].total == 9  # 80 px in 32 px tiles: 3 x 3
    assert all(0 < e.done <= e.total for e in tiles)
    etas = [e.eta_seconds for e in events[1:] if e.eta_seconds is not None]
    assert etas and all(x >= 0 for x in etas)
    assert summary.done == 3 and summary.exit_code == 0


def test_a_model_error_stays_with_its_file(tmp_path, monkeypatch):
    good_folder(tmp_path / "in", 4)
    write_good(tmp_path / "in" / "img02.png", 48, 48)  # the one the model chokes on
    real = batch_mod._make_upscalers

    def flaky(plan):
        ups = real(plan)
        up = ups[BICUBIC]
        run = up.run

        def run_or_fail(image, cancel):
            if image.width == 48:
                raise MemoryError
            return (yield from run(image, cancel))

        up.run = run_or_fail
        return ups

    monkeypatch.setattr(batch_mod, "_make_upscalers", flaky)
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC])))
    status = {r.input.name: r.status for r in summary.results}
    assert status == {"img00.png": "done", "img01.png": "done", "img02.png": "failed", "img03.png": "done"}
    assert "out of memory" in summary.results[2].error
    assert summary.exit_code == 1


# ---------------------------------------------------------------- folders


def test_no_images_found_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(StudioError, match="no images found"):
        collect(run_batch(BatchJob(tmp_path / "empty", tmp_path / "out", [BICUBIC])))
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "a.txt").write_text("x")
    with pytest.raises(StudioError, match="no images found"):
        collect(run_batch(BatchJob(tmp_path / "text", tmp_path / "out", [BICUBIC])))
    assert not (tmp_path / "out").exists()


def test_missing_input_folder(tmp_path):
    with pytest.raises(StudioError, match="input folder does not exist"):
        plan_batch(BatchJob(tmp_path / "nope", tmp_path / "out", [BICUBIC]))


def test_unknown_model_fails_before_any_work(tmp_path):
    good_folder(tmp_path / "in", 1)
    with pytest.raises(StudioError, match="unknown model"):
        collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", ["no_such_model"])))
    assert not (tmp_path / "out").exists()


def test_output_folder_created_only_when_its_parent_exists(tmp_path):
    good_folder(tmp_path / "in", 1)
    with pytest.raises(ImageWriteError, match="nor does its parent"):
        collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "missing" / "out", [BICUBIC])))
    assert not (tmp_path / "missing").exists()
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "new", [BICUBIC])))
    assert summary.done == 1 and (tmp_path / "new" / f"img00_{BICUBIC}.png").is_file()


def test_output_path_that_is_a_file_is_refused(tmp_path):
    good_folder(tmp_path / "in", 1)
    (tmp_path / "out").write_text("x")
    with pytest.raises(ImageWriteError, match="not a folder"):
        collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC])))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder_is_refused(tmp_path):
    good_folder(tmp_path / "in", 1)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(ImageWriteError, match="not writable"):
            collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC])))
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)


def test_unwritable_output_folder_is_refused_before_any_work(tmp_path, monkeypatch):
    """The same refusal when creating a file fails with EROFS (as root cannot be denied by chmod)."""
    good_folder(tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    reads = []
    monkeypatch.setattr(batch_runner, "read_input", lambda *a: reads.append(a) or (None, "x", 0.0))

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(batch_plan.tempfile, "mkstemp", read_only)
    with pytest.raises(ImageWriteError, match="not writable.*Read-only"):
        collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC])))
    assert reads == [] and list(out.iterdir()) == []


def test_report_may_not_go_into_the_input_folder(tmp_path):
    good_folder(tmp_path / "in", 1)
    with pytest.raises(ImageWriteError, match="inside the input folder"):
        collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], report=tmp_path / "in" / "r.json")))
    assert not (tmp_path / "in" / "r.json").exists() and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- never overwrite, never write into the input


def test_separate_folders_leave_the_input_folder_untouched(tmp_path):
    make_mixed_folder(tmp_path / "in")
    before = snapshot(tmp_path / "in")
    for overwrite in (False, True):
        collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], overwrite=overwrite, recursive=True)))
    assert snapshot(tmp_path / "in") == before


def test_same_folder_never_overwrites_an_input_and_never_reads_its_outputs(tmp_path):
    folder = tmp_path / "photos"
    good_folder(folder, 2)
    # Looks like an output, but no "lonely.png" exists: it is an input like any other.
    write_good(folder / f"lonely_{BICUBIC}.png", 24, 24, seed=5)
    inputs = snapshot(folder)

    _, first = collect(run_batch(BatchJob(folder, folder, [BICUBIC])))
    assert first.done == 3
    for overwrite in (True, False):
        (folder / f"{TEMP_MARK}left.png").write_bytes(b"half")  # a killed run's temp file
        _, again = collect(run_batch(BatchJob(folder, folder, [BICUBIC], overwrite=overwrite)))
        assert [n.message for n in again.notes if TEMP_MARK in n.path.name] == [
            "temp file of an interrupted run, removed"
        ]
        # The outputs of the first run are recognised as outputs, not new inputs.
        assert sorted(r.input.name for r in again.results) == sorted(inputs)
        assert again.count("done" if overwrite else "skipped") == 3
        assert any("an output of this batch" in n.message for n in again.notes)
    after = snapshot(folder)
    for name, digest in inputs.items():
        assert after[name] == digest
    assert sorted(set(after) - set(inputs)) == sorted(
        [f"img00_{BICUBIC}.png", f"img01_{BICUBIC}.png", f"lonely_{BICUBIC}_{BICUBIC}.png"]
    )


def test_colliding_output_names_keep_both(tmp_path):
    (tmp_path / "in").mkdir()
    write_good(tmp_path / "in" / "a.png", 24, 24, seed=1)
    write_good(tmp_path / "in" / "a.jpg", 24, 24, seed=2, fmt="JPEG")
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], format="png")))
    names = sorted(p.name for r in summary.results for p in r.outputs)
    assert names == [f"a.jpg_{BICUBIC}.png", f"a.png_{BICUBIC}.png"]


def test_output_format_and_names(tmp_path):
    (tmp_path / "in").mkdir()
    write_good(tmp_path / "in" / "p.JPEG", 24, 24, fmt="JPEG")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "in" / "b.bmp")
    shutil.copy(tmp_path / "in" / "p.JPEG", tmp_path / "in" / "noext")  # a photo saved without extension
    plan = plan_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC]))
    got = {i.input.name: (i.outputs[BICUBIC].name, i.format) for i in plan.items}
    assert got == {
        "p.JPEG": (f"p_{BICUBIC}.JPEG", "jpeg"),  # the input's own extension, as `upscale` keeps it
        "b.bmp": (f"b_{BICUBIC}.png", "png"),  # BMP cannot be written
        "noext": (f"noext_{BICUBIC}.jpg", "jpeg"),
    }
    plan = plan_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], format="webp"))
    assert {i.outputs[BICUBIC].suffix for i in plan.items} == {".webp"}


# ---------------------------------------------------------------- resume, stop, atomic writes


def test_rerun_skips_complete_outputs_and_cleans_temp_files(tmp_path):
    good_folder(tmp_path / "in", 4)
    out = tmp_path / "out"
    collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC])))
    stamps = {p.name: p.stat().st_ino for p in out.iterdir()}
    (out / f"img02_{BICUBIC}.png").unlink()
    (out / f"{TEMP_MARK}abc123.png").write_bytes(b"\x89PNG half a file")
    events, summary = collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC])))
    assert [r.status for r in summary.results] == ["skipped", "skipped", "done", "skipped"]
    assert temp_files(out) == []
    assert [n.message for n in events[0].notes] == ["temp file of an interrupted run, removed"]
    for name, ino in stamps.items():
        if name != f"img02_{BICUBIC}.png":
            assert (out / name).stat().st_ino == ino  # untouched, not rewritten
    assert summary.exit_code == 0


def test_stop_at_the_next_tile_leaves_no_trace_of_the_unfinished_file(tmp_path):
    good_folder(tmp_path / "in", 5, size=80)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    token = CancelToken()
    gen = run_batch(BatchJob(tmp_path / "in", out, [BICUBIC], tile=32, report=report), cancel=token)
    events = []
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            summary = stop.value
            break
        events.append(ev)
        if isinstance(ev, TileProgress) and ev.index == 2 and ev.done == 3:
            token.cancel()
    after_cancel = events[
        next(i for i, e in enumerate(events) if isinstance(e, TileProgress) and e.index == 2 and e.done == 3) + 1 :
    ]
    assert not any(isinstance(e, (TileProgress, FileStarted)) for e in after_cancel)
    status = [r.status for r in summary.results]
    assert status[:2] == ["done", "done"] and status[2] == "cancelled" and status[3:] == ["pending", "pending"]
    assert sorted(p.name for p in out.iterdir()) == [f"img00_{BICUBIC}.png", f"img01_{BICUBIC}.png"]
    assert summary.cancelled and summary.exit_code == 130
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["cancelled"] is True and data["totals"]["done"] == 2 and data["totals"]["pending"] == 2

    _, resumed = collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC])))
    assert [r.status for r in resumed.results] == ["skipped", "skipped", "done", "done", "done"]


def test_closing_the_generator_stops_the_threads(tmp_path):
    good_folder(tmp_path / "in", 6)
    before = threading.active_count()
    gen = run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], report=tmp_path / "r.json"))
    for ev in gen:
        if isinstance(ev, FileStarted):
            break
    gen.close()
    assert threading.active_count() == before
    assert json.loads((tmp_path / "r.json").read_text())["cancelled"] is True
    assert temp_files(tmp_path / "out") == []


def test_full_disk_fails_the_file_without_a_truncated_output(tmp_path, monkeypatch):
    import srgan_studio.core.imagewrite as imagewrite

    good_folder(tmp_path / "in", 3)
    real = imagewrite._write_pillow
    calls = []

    def disk_full_on_second(tmp, fmt, *args, **kwargs):
        calls.append(tmp)
        if len(calls) == 2:
            Path(tmp).write_bytes(b"\x89PNG\r\n\x1a\n half an image")
            raise OSError(28, "No space left on device")
        return real(tmp, fmt, *args, **kwargs)

    monkeypatch.setattr(imagewrite, "_write_pillow", disk_full_on_second)
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], workers=0)))
    status = {r.input.name: (r.status, r.error) for r in summary.results}
    assert status["img00.png"] == ("done", None) and status["img02.png"] == ("done", None)
    assert status["img01.png"][0] == "failed" and "No space left" in status["img01.png"][1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"img00_{BICUBIC}.png", f"img02_{BICUBIC}.png"]


def test_memory_stays_bounded_while_the_writer_lags(tmp_path, monkeypatch):
    """With a slow encoder the reader must wait: images in flight stay a small constant."""
    good_folder(tmp_path / "in", 16, size=32)
    lock = threading.Lock()
    live = {"now": 0, "peak": 0}
    real_read, real_write = batch_runner.read_input, batch_runner.write_output

    def counting_read(item, job):
        got = real_read(item, job)
        with lock:
            live["now"] += 1
            live["peak"] = max(live["peak"], live["now"])
        return got

    def slow_write(*args):
        time.sleep(0.02)
        got = real_write(*args)
        with lock:
            live["now"] -= 1
        return got

    monkeypatch.setattr(batch_runner, "read_input", counting_read)
    monkeypatch.setattr(batch_runner, "write_output", slow_write)
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC], workers=2)))
    assert summary.done == 16
    # read-ahead queue + one being read + one in the model + write queue + writers busy
    assert live["peak"] <= batch_mod.READ_AHEAD + 1 + 1 + 2 * 2


# ---------------------------------------------------------------- recursion and discovery


def test_recursive_mirrors_the_tree_and_skips_loops_and_hidden_folders(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_good(src / "a.png", 16, 16)
    (src / "sub" / "deeper").mkdir(parents=True)
    write_good(src / "sub" / "b.png", 16, 16, seed=1)
    write_good(src / "sub" / "deeper" / "c.jpg", 16, 16, seed=2, fmt="JPEG")
    (src / ".cache").mkdir()
    write_good(src / ".cache" / "d.png", 16, 16)
    os.symlink(src, src / "sub" / "loop")
    out = tmp_path / "out"

    _, flat = collect(run_batch(BatchJob(src, out, [BICUBIC])))
    assert [r.input.name for r in flat.results] == ["a.png"]

    _, summary = collect(run_batch(BatchJob(src, out, [BICUBIC], recursive=True)))
    assert summary.done == 2 and summary.skipped == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        f"a_{BICUBIC}.png",
        f"sub/b_{BICUBIC}.png",
        f"sub/deeper/c_{BICUBIC}.jpg",
    ]
    notes = {n.path.relative_to(src).as_posix(): n.message for n in summary.notes}
    assert "hidden" in notes[".cache"]
    assert "loop" in notes["sub/loop"]


def test_output_inside_the_input_tree_is_not_read_back(tmp_path):
    src = tmp_path / "in"
    good_folder(src, 2)
    (src / "sub").mkdir()
    write_good(src / "sub" / "c.png", 16, 16)
    out = src / "restored"
    for _ in range(2):
        _, summary = collect(run_batch(BatchJob(src, out, [BICUBIC], recursive=True)))
        assert sorted(r.input.relative_to(src).as_posix() for r in summary.results) == [
            "img00.png",
            "img01.png",
            "sub/c.png",
        ]
    assert (out / "sub" / f"c_{BICUBIC}.png").is_file()


def test_non_images_and_special_entries_are_noted(tmp_path):
    from srgan_studio.core.discover import find_images

    (tmp_path / "in").mkdir()
    write_good(tmp_path / "in" / "ok.webp", 8, 8, fmt="WEBP")
    (tmp_path / "in" / "doc.pdf").write_bytes(b"%PDF-1.4")
    os.symlink(tmp_path / "gone.png", tmp_path / "in" / "dangling.png")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "in" / "pipe.png")
    found, notes = find_images(tmp_path / "in")
    assert [f.rel.as_posix() for f in found] == ["ok.webp"]
    msgs = {n.path.name: n.message for n in notes}
    assert "not an image" in msgs["doc.pdf"] and "broken link" in msgs["dangling.png"]
    if hasattr(os, "mkfifo"):
        assert "not a regular file" in msgs["pipe.png"]


# ---------------------------------------------------------------- several models, a real ONNX model


def test_several_models_write_side_by_side(tmp_path, user_tiny):
    (tmp_path / "in").mkdir()
    write_good(tmp_path / "in" / "photo.png", 40, 36, seed=3)
    Image.new("LA", (20, 20), (90, 128)).save(tmp_path / "in" / "grey alpha.png")
    _, summary = collect(run_batch(BatchJob(tmp_path / "in", tmp_path / "out", [BICUBIC, user_tiny], tile=32)))
    assert summary.done == 2 and summary.exit_code == 0
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            f"photo_{BICUBIC}.png",
            f"photo_{user_tiny}.png",
            f"grey alpha_{BICUBIC}.png",
            f"grey alpha_{user_tiny}.png",
        ]
    )
    with Image.open(out / f"photo_{user_tiny}.png") as a, Image.open(out / f"photo_{BICUBIC}.png") as b:
        assert a.size == b.size == (160, 144)
        assert np.abs(np.asarray(a, float) - np.asarray(b, float)).max() > 0  # a different model ran
    with Image.open(out / f"grey alpha_{user_tiny}.png") as g:
        assert g.mode == "LA" and g.size == (80, 80)

    # Resume with one output missing: only that model runs again.
    (out / f"photo_{user_tiny}.png").unlink()
    events, again = collect(run_batch(BatchJob(tmp_path / "in", out, [BICUBIC, user_tiny])))
    started = [(e.path.name, e.model) for e in events if isinstance(e, FileStarted)]
    assert started == [("photo.png", user_tiny)]
    assert [r.status for r in again.results] == ["skipped", "done"]


def test_a_link_in_the_output_tree_cannot_lead_writes_into_the_input(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    write_good(src / "a.png", 16, 16)
    write_good(src / "sub" / "b.png", 16, 16, seed=1)
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(src / "sub", out / "sub")
    before = snapshot(src)
    _, summary = collect(run_batch(BatchJob(src, out, [BICUBIC], recursive=True)))
    status = {r.input.name: (r.status, r.error or "") for r in summary.results}
    assert status["a.png"][0] == "done"
    assert status["b.png"][0] == "failed" and "outside the output folder" in status["b.png"][1]
    assert snapshot(src) == before


def test_signatures_decide_for_files_without_an_image_extension():
    from srgan_studio.core.discover import sniff_format

    assert sniff_format(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert sniff_format(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpeg"
    assert sniff_format(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"II*\x00\x08\x00") == "tiff" and sniff_format(b"MM\x00*\x00") == "tiff"
    assert sniff_format(b"BM" + b"\x00" * 14) == "bmp"
    assert sniff_format(b"RIFF\x10\x00\x00\x00WAVEfmt ") is None
    assert sniff_format(b"%PDF-1.7") is None and sniff_format(b"") is None
