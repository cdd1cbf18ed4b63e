"""`batch --shard K/N`: deterministic slices whose union is one whole batch, each re-runnable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from batch_fixtures import write_good

from srgan_studio.cli import main
from srgan_studio.core.atomic import TEMP_MARK
from srgan_studio.core.batch_plan import BatchJob, Shard, plan_batch, shard_report_path
from srgan_studio.core.errors import StudioError

BICUBIC = "bicubic_x4"
REPO = Path(__file__).resolve().parents[1]
FILES = 10


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for i in range(FILES - 3):
        write_good(folder / f"img{i:02d}.png", 16, 12, seed=i)
    write_good(folder / "sub" / "deep.png", 16, 12, seed=20)
    # Two inputs that would share an output name: the collision is decided on the whole list.
    write_good(folder / "twin.png", 16, 12, seed=21)
    write_good(folder / "twin.bmp", 16, 12, seed=22)
    return folder


def _outputs(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(("report", "."))
    }


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_the_union_of_shards_is_one_batch_with_no_overlap(tmp_path, inputs, capsys, n):
    single = tmp_path / "single"
    assert main(["batch", str(inputs), str(single), "-m", BICUBIC, "-r", "-q"]) == 0
    whole = _outputs(single)
    assert len(whole) == FILES

    shared = tmp_path / "sharded"
    per_shard = []
    for k in range(1, n + 1):
        before = set(_outputs(shared)) if shared.exists() else set()
        assert main(["batch", str(inputs), str(shared), "-m", BICUBIC, "-r", "-q", "--shard", f"{k}/{n}"]) == 0
        per_shard.append(set(_outputs(shared)) - before)
    assert _outputs(shared) == whole  # same names, same bytes
    assert sum(len(s) for s in per_shard) == FILES  # nothing written twice
    sizes = [len(s) for s in per_shard]
    assert max(sizes) - min(sizes) <= 1

    reports = [json.loads((shared / f"report.shard-{k}-of-{n}.json").read_text()) for k in range(1, n + 1)]
    assert {r["shard"]["list_sha256"] for r in reports} == {reports[0]["shard"]["list_sha256"]}
    assert [r["shard"]["inputs"] for r in reports] == [FILES] * n
    assert sum(r["totals"]["done"] for r in reports) == FILES


def test_slices_are_round_robin_over_the_sorted_list(inputs, tmp_path):
    def names(shard):
        plan = plan_batch(BatchJob(inputs, tmp_path / "out", models=[BICUBIC], recursive=True, shard=shard))
        return [item.input.relative_to(inputs).as_posix() for item in plan.items]

    everything = names(None)
    assert names(Shard(2, 3)) == everything[1::3]
    assert names(Shard(3, 3)) == everything[2::3]
    assert [item for k in (1, 2, 3) for item in names(Shard(k, 3))] != everything  # interleaved, not blocks
    assert sorted(item for k in (1, 2, 3) for item in names(Shard(k, 3))) == sorted(everything)


def test_collisions_are_decided_on_the_whole_list(inputs, tmp_path):
    outputs = {}
    for k in (1, 2, 3, 4, 5, 6, 7):
        plan = plan_batch(BatchJob(inputs, tmp_path / "out", models=[BICUBIC], recursive=True, shard=Shard(k, 7)))
        outputs.update({item.input.name: item.outputs[BICUBIC].name for item in plan.items})
    assert outputs["twin.png"] == "twin.png_bicubic_x4.png"
    assert outputs["twin.bmp"] == "twin.bmp_bicubic_x4.png"


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", "1/0", "-1/3", "1/3/5", ""])
def test_bad_shards_are_one_line_errors_before_any_work(tmp_path, inputs, capsys, text):
    with pytest.raises(StudioError):
        Shard.parse(text)
    out = tmp_path / "out"
    code = main(["batch", str(inputs), str(out), "-m", BICUBIC, f"--shard={text}"]) if text else 1
    if text:
        err = capsys.readouterr().err
        assert code == 1 and err.startswith("srgan-studio: error: shard") and err.count("\n") == 1
    assert not out.exists()


def test_report_names():
    shard = Shard(2, 8)
    assert shard_report_path(None, Path("/o"), shard) == Path("/o/report.shard-2-of-8.json")
    assert shard_report_path(Path("/r/run.json"), Path("/o"), shard) == Path("/r/run.shard-2-of-8.json")


KILL_AFTER_3 = textwrap.dedent("""
    import os, signal, sys
    real_replace = os.replace
    count = 0

    def replace_then_die(src, dst):
        global count
        result = real_replace(src, dst)
        if os.path.basename(str(src)).startswith(".srgan-partial-") and str(dst).endswith(".png"):
            count += 1
            if count == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    os.replace = replace_then_die
    from srgan_studio.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_shard_rerun_completes_with_no_duplicates(tmp_path, inputs, capsys):
    out = tmp_path / "out"
    args = ["batch", str(inputs), str(out), "-m", BICUBIC, "-r", "--workers", "0", "--shard", "1/2"]
    child = subprocess.run([sys.executable, "-c", KILL_AFTER_3, *args], cwd=REPO, capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL
    first = _outputs(out)
    assert len(first) == 3
    stamps = {name: (out / name).stat().st_mtime_ns for name in first}

    assert main(args) == 0
    assert "2 done, 3 skipped, 0 failed" in capsys.readouterr().out
    again = _outputs(out)
    assert len(again) == 5 and set(first) <= set(again)
    assert all((out / name).stat().st_mtime_ns == stamp for name, stamp in stamps.items())  # none rewritten
    assert not list(out.rglob(f"{TEMP_MARK}*"))
    # The other shard then completes the batch: ten outputs, each once.
    assert main(["batch", str(inputs), str(out), "-m", BICUBIC, "-r", "--shard", "2/2", "-q"]) == 0
    assert len(_outputs(out)) == FILES


def test_a_shard_leaves_other_shards_fresh_temp_files_alone(tmp_path, inputs):
    import os
    import time

    out = tmp_path / "out"
    out.mkdir()
    fresh, stale = out / f"{TEMP_MARK}fresh.png", out / f"{TEMP_MARK}stale.png"
    fresh.write_bytes(b"another shard is writing this")
    stale.write_bytes(b"left by a shard that died long ago")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert main(["batch", str(inputs), str(out), "-m", BICUBIC, "--shard", "1/2", "-q"]) == 0
    assert fresh.exists() and not stale.exists()
    # Without shards the folder is this run's alone: every leftover goes.
    assert main(["batch", str(inputs), str(out), "-m", BICUBIC, "-q"]) == 0
    assert not fresh.exists()
