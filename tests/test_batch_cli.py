"""`srgan-studio batch`: exit codes, messages, a real kill -9 and a real Ctrl-C, then resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from batch_fixtures import make_mixed_folder, write_good
from PIL import Image

from srgan_studio.cli import build_parser, main
from srgan_studio.cli.batch_cmd import job_from_args
from srgan_studio.core.atomic import TEMP_MARK

BICUBIC = "bicubic_x4"
REPO = Path(__file__).resolve().parents[1]


def good_folder(folder: Path, n: int, size: int = 32) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_good(folder / f"img{i:02d}.png", size, size, seed=i)


def assert_complete_images(folder: Path) -> list[Path]:
    """Every file under its final name decodes to the end (nothing truncated)."""
    outs = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for p in outs:
        with Image.open(p) as im:
            im.load()
    return outs


def test_mixed_folder_exit_code_and_messages(tmp_path, capsys):
    cases = make_mixed_folder(tmp_path / "in")
    report = tmp_path / "report.json"
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", BICUBIC, "--report", str(report)])
    out, err = capsys.readouterr()
    failed = [n for n, c in cases.items() if c.status == "failed"]
    done = len(cases) - len(failed)
    assert code == 1
    assert f"{done} done, 0 skipped, {len(failed)} failed" in out
    for name in failed:
        assert any(name in line and "failed" in line for line in err.splitlines()), name
    assert "Traceback" not in err
    assert json.loads(report.read_text(encoding="utf-8"))["totals"]["failed"] == len(failed)

    # Running it again resumes: nothing left to do but the failures.
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", BICUBIC])
    out, _ = capsys.readouterr()
    assert code == 1 and f"0 done, {done} skipped, {len(failed)} failed" in out


def test_all_good_exits_zero(tmp_path, capsys):
    good_folder(tmp_path / "in", 3)
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "-m", BICUBIC, "-q"]) == 0
    assert "3 done" in capsys.readouterr().out


def test_no_images_is_one_line_and_nonzero(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("x")
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "-m", BICUBIC])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [
        f"srgan-studio: error: {tmp_path / 'in'}: no images found (1 other entries skipped)"
    ]


def test_missing_output_parent_is_one_line(tmp_path, capsys):
    good_folder(tmp_path / "in", 1)
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "a" / "b"), "-m", BICUBIC])
    err = capsys.readouterr().err
    assert code == 1 and "output folder does not exist" in err and "Traceback" not in err


def test_flags_map_to_the_job(tmp_path):
    args = build_parser().parse_args(
        [
            "batch",
            "in",
            "out",
            "--model",
            "a,b",
            "-m",
            "c",
            "--recursive",
            "--format",
            "JPG",
            "--quality",
            "80",
            "--overwrite",
            "--report",
            "r.json",
            "--workers",
            "0",
            "--device",
            "cpu",
            "--tile",
            "64",
            "--threads",
            "1",
            "--alpha",
            "bicubic",
            "--no-metadata",
            "--max-megapixels",
            "2.5",
        ]
    )
    job = job_from_args(args)
    assert job.models == ["a", "b", "c"] and job.recursive and job.format == "jpg" and job.quality == 80
    assert job.overwrite and job.report == Path("r.json") and job.workers == 0 and job.device == "cpu"
    assert (job.tile, job.threads, job.alpha_mode, job.keep_metadata) == (64, 1, "bicubic", False)
    assert job.max_pixels == 2_500_000
    with pytest.raises(SystemExit):
        build_parser().parse_args(["batch", "in", "out", "--overwrite", "--skip-existing"])


def test_default_model_comes_from_settings(tmp_path):
    from srgan_studio.core.settings import load_settings, save_settings

    st = load_settings()
    st.default_model = BICUBIC
    save_settings(st)
    job = job_from_args(build_parser().parse_args(["batch", "in", "out"]))
    assert job.models == [BICUBIC]


# ---------------------------------------------------------------- real signals, in a child process

KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    real_replace = os.replace
    count = 0

    def replace_then_die(src, dst):
        # The third output is fully in its temp file when the process dies: the
        # worst moment for a non-atomic writer.
        global count
        if os.path.basename(str(src)).startswith(".srgan-partial-"):
            count += 1
            if count == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst)

    os.replace = replace_then_die
    from srgan_studio.cli import main
    sys.exit(main(sys.argv[1:]))
""")

SLOW_TILES_SCRIPT = textwrap.dedent("""
    import sys, time
    from srgan_studio.core import upscale
    real = upscale.Upscaler._tile_into

    def slow(self, *args):
        time.sleep(0.03)   # a heavier model, so Ctrl-C lands mid-file
        return real(self, *args)

    upscale.Upscaler._tile_into = slow
    from srgan_studio.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _child(script: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


@pytest.mark.parametrize("workers", ["0", "2"])
def test_kill_9_leaves_no_truncated_output_and_rerun_resumes(tmp_path, capsys, workers):
    good_folder(tmp_path / "in", 6, size=48)
    out = tmp_path / "out"
    child = _child(KILL_SCRIPT, "batch", str(tmp_path / "in"), str(out), "-m", BICUBIC, "--workers", workers)
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL

    finished = assert_complete_images(out)
    assert len(finished) >= 2 and len(finished) < 6
    assert len(list(out.glob(f"{TEMP_MARK}*"))) >= 1  # the dead write left only a temp file

    code = main(["batch", str(tmp_path / "in"), str(out), "-m", BICUBIC])
    stdout = capsys.readouterr().out
    assert code == 0
    assert f"{6 - len(finished)} done, {len(finished)} skipped, 0 failed" in stdout
    assert list(out.glob(f"{TEMP_MARK}*")) == []
    assert len(assert_complete_images(out)) == 6


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_at_the_next_tile_and_rerun_resumes(tmp_path, capsys):
    good_folder(tmp_path / "in", 8, size=128)
    out = tmp_path / "out"
    child = _child(
        SLOW_TILES_SCRIPT, "batch", str(tmp_path / "in"), str(out), "-m", BICUBIC, "--tile", "32", "--workers", "0"
    )
    done_lines = []
    for line in child.stderr:
        if "] done " in line:
            done_lines.append(line)
            child.send_signal(signal.SIGINT)
            break
    stdout, rest = child.communicate(timeout=120)
    assert child.returncode == 130, rest
    assert "stopping at the next tile" in rest
    assert stdout.startswith("stopped: ")
    finished = assert_complete_images(out)
    # Exactly the files reported done have outputs; the one in progress left nothing.
    assert len(finished) == len(done_lines) + rest.count("] done ")
    assert 1 <= len(finished) < 8
    assert list(out.glob(f"{TEMP_MARK}*")) == []

    code = main(["batch", str(tmp_path / "in"), str(out), "-m", BICUBIC])
    assert code == 0
    assert f"{8 - len(finished)} done, {len(finished)} skipped" in capsys.readouterr().out
    assert len(assert_complete_images(out)) == 8
