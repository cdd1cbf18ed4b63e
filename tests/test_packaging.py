"""Packaging: the PyInstaller spec, the Linux desktop files, and (with SRGAN_TEST_BUNDLE=1) the built bundle.

The always-on tests are cheap: they check the spec's decisions by running it
with stand-ins for PyInstaller's build classes, validate the .desktop and
AppStream files, lay out the hicolor icons, install a stand-in bundle with
install.sh, and check the runtime hook the smoke test relies on. The bundle
test runs build.sh's smoke test on dist/ (building first if needed).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = "io.github.srgan_studio.SRGANStudio"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
RTHOOK = PACKAGING / "rthooks" / "rthook_smoke_quit.py"

sys.path.insert(0, str(PACKAGING))
import bundle_config  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _desktop_mime_types() -> set[str]:
    return {m for m in _desktop_entry()["MimeType"].split(";") if m}


# --- the spec -----------------------------------------------------------------------------------------------


class _Recorder:
    """Stand-in for PyInstaller's Analysis/PYZ/EXE/COLLECT/BUNDLE: records its arguments."""

    made: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.binaries = [
            ("onnxruntime/capi/libonnxruntime.so.1.31.1", "/x", "BINARY"),
            ("onnxruntime/capi/libonnxruntime_providers_cuda.so", "/x", "BINARY"),
            ("onnxruntime/capi/libonnxruntime_providers_tensorrt.so", "/x", "BINARY"),
            ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/x", "BINARY"),
            ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "/x", "BINARY"),
        ]
        self.datas = list(kwargs.get("datas", [])) + [("PySide6/Qt/translations/qtbase_de.qm", "/x", "DATA")]
        self.scripts = self.pure = []
        _Recorder.made.append((type(self).__name__, self))


def _run_spec(monkeypatch, tmp_path, flavour: str, platform: str = "linux") -> dict[str, list]:
    monkeypatch.setenv("SRGAN_STUDIO_FLAVOUR", flavour)
    monkeypatch.setattr(sys, "platform", platform)
    _Recorder.made = []
    names = {n: type(n, (_Recorder,), {}) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    spec = PACKAGING / "srgan_studio.spec"
    code = compile(spec.read_text(encoding="utf-8"), str(spec), "exec")
    exec(code, {"SPECPATH": str(PACKAGING), "workpath": str(tmp_path / "work"), "__file__": str(spec), **names})
    made: dict[str, list] = {}
    for kind, obj in _Recorder.made:
        made.setdefault(kind, []).append(obj)
    return made


def test_spec_default_bundle_has_resources_metadata_and_no_torch(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "default")
    (analysis,) = made["Analysis"]
    kw = analysis.kwargs
    dests = {(Path(src).name, dest) for src, dest, *_ in kw["datas"]}
    for icon in ("srgan-studio.svg", "srgan-studio-256.png"):
        assert (icon, "srgan_studio/resources/icons") in dests
    # __version__ is read from the distribution metadata at run time, so the metadata must be bundled.
    meta = [src for src, dest in kw["datas"] if dest == f"srgan_studio-{PYPROJECT['version']}.dist-info"]
    assert len(meta) == 1 and f"Version: {PYPROJECT['version']}\n" in Path(meta[0]).read_text()
    # Modules are found in a staged copy laid out as installed, without the training package.
    (stage,) = kw["pathex"]
    assert (Path(stage) / "srgan_studio" / "resources" / "__init__.py").is_file()
    assert (Path(stage) / "srgan_studio" / "cli" / "upscale_cmd.py").is_file()
    assert not (Path(stage) / "srgan_studio" / "training").exists()
    for heavy in ("torch", "srgan_studio.training", "safetensors"):
        assert heavy in kw["excludes"]
    for needed in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"):
        assert needed not in kw["excludes"]
    assert "srgan_studio.resources" in kw["hiddenimports"]
    assert "srgan_studio.cli.upscale_cmd" in kw["hiddenimports"]
    (collect,) = made["COLLECT"]
    assert collect.kwargs["name"] == PYPROJECT["name"]
    assert [e.kwargs["name"] for e in made["EXE"]] == ["srgan-studio"]
    # Qt translations and unused plugins are filtered out; GPU libraries stay in the default flavour.
    kept = {d for d, *_ in analysis.binaries + analysis.datas}
    assert "onnxruntime/capi/libonnxruntime_providers_cuda.so" in kept
    assert "PySide6/Qt/plugins/platforms/libqoffscreen.so" in kept
    assert "PySide6/Qt/plugins/sqldrivers/libqsqlite.so" not in kept
    assert "PySide6/Qt/translations/qtbase_de.qm" not in kept


def test_spec_cpu_flavour_drops_gpu_providers_only(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "cpu")
    (analysis,) = made["Analysis"]
    kept = {d for d, *_ in analysis.binaries}
    assert "onnxruntime/capi/libonnxruntime.so.1.31.1" in kept
    assert not any("providers_cuda" in d or "providers_tensorrt" in d for d in kept)
    assert made["COLLECT"][0].kwargs["name"] == f"{PYPROJECT['name']}-cpu"


def test_spec_train_flavour_keeps_torch_and_training(monkeypatch, tmp_path):
    made = _run_spec(monkeypatch, tmp_path, "train")
    kw = made["Analysis"][0].kwargs
    (stage,) = kw["pathex"]
    assert (Path(stage) / "srgan_studio" / "training" / "trainer.py").is_file()
    assert not (Path(stage) / "srgan_studio" / "training" / "runs").exists()
    assert "torch" not in kw["excludes"]
    assert "srgan_studio.training.trainer" in kw["hiddenimports"]
    recipes = [src for src, dest in kw["datas"] if dest == "srgan_studio/training/recipes"]
    assert any(Path(r).name == "srresnet_x4.toml" for r in recipes)


def test_spec_windows_has_windowed_gui_exe_and_macos_an_app(monkeypatch, tmp_path):
    win = _run_spec(monkeypatch, tmp_path, "default", "win32")
    assert [e.kwargs["name"] for e in win["EXE"]] == ["srgan-studio", "srgan-studio-gui"]
    assert [e.kwargs["console"] for e in win["EXE"]] == [True, False]
    assert win["EXE"][0].kwargs["icon"].endswith(".ico")
    mac = _run_spec(monkeypatch, tmp_path, "default", "darwin")
    (bundle,) = mac["BUNDLE"]
    assert bundle.kwargs["version"] == PYPROJECT["version"]
    assert bundle.kwargs["bundle_identifier"] == APP_ID


def test_spec_rejects_unknown_flavour(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="SRGAN_STUDIO_FLAVOUR"):
        _run_spec(monkeypatch, tmp_path, "gpu-extreme")


def test_read_project_reads_name_and_version_from_pyproject(tmp_path):
    assert bundle_config.read_project().version == PYPROJECT["version"]
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    moved = tmp_path / "pyproject.toml"
    moved.write_text(text.replace(f'version = "{PYPROJECT["version"]}"', 'version = "9.8.7"', 1), encoding="utf-8")
    project = bundle_config.read_project(moved)
    assert (project.name, project.version) == (PYPROJECT["name"], "9.8.7")
    assert bundle_config.bundle_name(project, "cpu") == "srgan-studio-cpu"


def test_cpu_requirements_swap_the_gpu_wheel_for_the_plain_one():
    project = bundle_config.Project(
        "srgan-studio",
        "1.0",
        "",
        {},
        {},
        (
            "numpy>=1.26",
            "onnxruntime-gpu>=1.18; sys_platform == 'linux' and platform_machine == 'x86_64'",
            "onnxruntime>=1.18; sys_platform != 'linux' or platform_machine != 'x86_64'",
            "tifffile>=2024.1",
        ),
    )
    assert bundle_config.cpu_requirements(project) == ["numpy>=1.26", "onnxruntime>=1.18", "tifffile>=2024.1"]
    # The real pyproject: every runtime dependency but the GPU wheel reaches the cpu venv.
    reqs = bundle_config.cpu_requirements(bundle_config.read_project())
    assert not any(r.lower().startswith("onnxruntime-gpu") for r in reqs)
    assert any(r.startswith("onnxruntime") for r in reqs)
    assert len(reqs) == len(PYPROJECT["dependencies"]) - 1


def test_qt_excludes_cover_every_unused_module_and_no_used_one(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "view.py").write_text("from PySide6.QtSvg import QSvgRenderer\nimport PySide6.QtOpenGLWidgets\n")
    used = bundle_config.qt_modules_used(src)
    assert used == {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGLWidgets"}
    installed = {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGLWidgets", "QtQml", "QtNetwork"}
    excl = bundle_config.excludes("default", used, installed)
    assert {"PySide6.QtQml", "PySide6.QtNetwork"} <= set(excl)
    assert not {f"PySide6.{m}" for m in used} & set(excl)


def test_the_apps_own_qt_imports_are_all_kept():
    used = bundle_config.qt_modules_used()
    excl = set(bundle_config.excludes("default", used))
    for py in (ROOT / "srgan_studio").rglob("*.py"):
        for line in py.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("from PySide6.Qt", "import PySide6.Qt")):
                module = line.split()[1]
                assert module not in excl, f"{py.name}: {module} would be excluded from the bundle"


def test_unused_qt_plugins_are_dropped_and_desktop_ones_kept():
    plugins = "PySide6/Qt/plugins/"
    for dropped in (
        "platforms/libqvnc.so",
        "platforms/libqeglfs.so",
        "platformthemes/libqgtk3.so",
        "generic/libqevdevmouseplugin.so",
    ):
        assert not bundle_config.keep_binary(plugins + dropped, "default")
    for kept in (
        "platforms/libqxcb.so",
        "platforms/libqwayland.so",
        "platforms/libqoffscreen.so",
        "platforms/qwindows.dll",
        "platforms/libqcocoa.dylib",
        "platformthemes/libqxdgdesktopportal.so",
        "imageformats/libqwebp.so",
        "iconengines/libqsvgicon.so",
    ):
        assert bundle_config.keep_binary(plugins + kept, "default")


def test_prune_orphan_libs_keeps_what_kept_binaries_link_to():
    binaries = [
        ("PySide6/QtGui.abi3.so", "/b/QtGui", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/b/Qt6Gui", "BINARY"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "/b/Qt6Network", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/b/qxcb", "BINARY"),
        ("libxcb-cursor.so.0", "/b/xcb-cursor", "BINARY"),
        ("libcairo.so.2", "/b/cairo", "BINARY"),  # was needed only by the dropped GTK theme
        ("libpixman-1.so.0", "/b/pixman", "BINARY"),  # needed only by cairo
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("libpython3.11.so.1.0", "/b/python", "BINARY"),
    ]
    links = {
        "/b/QtGui": ["libQt6Gui.so.6"],
        "/b/qxcb": ["libQt6Gui.so.6", "libxcb-cursor.so.0"],
        "/b/cairo": ["libpixman-1.so.0"],
    }
    kept, dropped = bundle_config.prune_orphan_libs(binaries, lambda src: links.get(src, []))
    assert {d for d, *_ in dropped} == {
        "PySide6/Qt/lib/libQt6Network.so.6",
        "libQt6Network.so.6",
        "libcairo.so.2",
        "libpixman-1.so.0",
    }
    assert len(kept) + len(dropped) == len(binaries)
    # When a dependency list cannot be read, nothing is pruned rather than guessing.
    kept, dropped = bundle_config.prune_orphan_libs(binaries, lambda src: None)
    assert (kept, dropped) == (binaries, [])


# --- Linux desktop integration ----------------------------------------------------------------------------


def test_desktop_file_opens_every_readable_image_format():
    from PIL import Image

    from srgan_studio.core.imageio import SUPPORTED_READ

    Image.init()
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == bundle_config.APP_TITLE
    assert entry["Icon"] == APP_ID
    exec_words = entry["Exec"].split()
    assert exec_words[0] in PYPROJECT["scripts"]
    assert exec_words[-1] == "%F"  # several files at once: the GUI opens them all
    wanted = {Image.MIME[fmt] for fmt in SUPPORTED_READ}
    assert wanted <= _desktop_mime_types()


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-validate not installed")
def test_desktop_file_validates():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout


def test_metainfo_agrees_with_desktop_file_and_pyproject():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == PYPROJECT["license"]
    assert {m.text for m in root.iter("mediatype")} == _desktop_mime_types()
    assert {b.text for b in root.iter("binary")} == set(PYPROJECT["scripts"])
    # The newest release listed must be the version being packaged.
    assert root.find("releases/release").get("version") == PYPROJECT["version"]


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstreamcli not installed")
def test_metainfo_validates():
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hicolor_icons_in_every_standard_size(tmp_path):
    pytest.importorskip("PySide6.QtSvg")
    from PIL import Image

    sys.path.insert(0, str(LINUX))
    try:
        import hicolor
    finally:
        sys.path.remove(str(LINUX))
    # Drop one PNG so the SVG fallback is exercised too.
    icons = tmp_path / "icons"
    shutil.copytree(ROOT / "resources" / "icons", icons)
    (icons / "srgan-studio-48.png").unlink(missing_ok=True)
    hicolor.make_hicolor(tmp_path / "share", icons)
    base = tmp_path / "share" / "icons" / "hicolor"
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(base / f"{size}x{size}" / "apps" / f"{APP_ID}.png") as im:
            assert im.size == (size, size)
            assert im.getextrema()[3][1] == 255  # drawn, not an empty transparent square
    assert (base / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_install_sh_installs_and_uninstalls_a_bundle(tmp_path):
    bundle = tmp_path / "srgan-studio"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "srgan-studio"
    exe.write_text("#!/bin/sh\necho stand-in\n")
    exe.chmod(0o755)
    (bundle / "share" / "applications").mkdir(parents=True)
    (bundle / "share" / "metainfo").mkdir(parents=True)
    shutil.copy(DESKTOP, bundle / "share" / "applications")
    shutil.copy(METAINFO, bundle / "share" / "metainfo")
    icon_dir = bundle / "share" / "icons" / "hicolor" / "48x48" / "apps"
    icon_dir.mkdir(parents=True)
    (icon_dir / f"{APP_ID}.png").write_bytes(b"png")
    shutil.copy(LINUX / "install.sh", bundle / "install.sh")
    prefix = tmp_path / "prefix with space"
    env = {**os.environ, "PREFIX": str(prefix)}

    subprocess.run(["sh", str(bundle / "install.sh")], check=True, env=env, capture_output=True)
    installed = prefix / "share" / "applications" / DESKTOP.name
    assert f'Exec="{prefix}/lib/srgan-studio/srgan-studio" %F' in installed.read_text()
    assert (prefix / "share" / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()
    assert (prefix / "share" / "metainfo" / METAINFO.name).is_file()
    out = subprocess.run([str(prefix / "bin" / "srgan-studio")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "stand-in"
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(installed)]).returncode == 0
    # Installing again replaces the previous copy cleanly.
    subprocess.run(["sh", str(bundle / "install.sh")], check=True, env=env, capture_output=True)
    assert not (prefix / "lib" / "srgan-studio.old").exists()

    subprocess.run(["sh", str(bundle / "install.sh"), "--uninstall"], check=True, env=env, capture_output=True)
    assert not (prefix / "lib" / "srgan-studio").exists()
    assert not (prefix / "bin" / "srgan-studio").exists()
    assert not installed.exists()
    assert bundle.is_dir()  # the unpacked bundle itself is left alone


# --- the runtime hook and the smoke fixtures ---------------------------------------------------------------


def _run_with_hook(code: str, delay_ms: int = 300, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SRGAN_STUDIO_QUIT_AFTER_MS": str(delay_ms)}
    prog = f"exec(open({str(RTHOOK)!r}).read())\n{code}"
    return subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True, timeout=timeout)


def test_rthook_quits_with_0_when_a_window_is_shown_and_3_when_none():
    pytest.importorskip("PySide6.QtWidgets")
    shown = _run_with_hook(
        "from PySide6.QtWidgets import QApplication, QMainWindow\n"
        "app = QApplication([]); w = QMainWindow(); w.setWindowTitle('SRGAN Studio'); w.show()\n"
        "raise SystemExit(app.exec())"
    )
    assert shown.returncode == 0, shown.stderr
    assert "smoke: visible windows ['SRGAN Studio']" in shown.stderr
    nothing = _run_with_hook(
        "from PySide6.QtWidgets import QApplication\napp = QApplication([])\nraise SystemExit(app.exec())"
    )
    assert nothing.returncode == 3
    assert "smoke: visible windows []" in nothing.stderr


def test_rthook_does_nothing_without_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "SRGAN_STUDIO_QUIT_AFTER_MS"}
    prog = f"exec(open({str(RTHOOK)!r}).read())\nimport sys\nprint('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not (ROOT / "srgan_studio" / "gui" / "app.py").is_file(), reason="the GUI is not built yet")
def test_app_from_source_opens_its_window_and_quits_under_the_hook():
    pytest.importorskip("PySide6.QtWidgets")
    result = _run_with_hook("import sys\nfrom srgan_studio.cli import main\nsys.exit(main([]))", delay_ms=1500)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "smoke: visible windows ['SRGAN Studio" in result.stderr


def test_entry_runs_the_cli_and_the_apps_own_modules_with_dash_m():
    entry = str(PACKAGING / "entry.py")
    want = f"srgan-studio {PYPROJECT['version']}"
    for args in (["--version"], ["-m", "srgan_studio", "--version"]):
        out = subprocess.run([sys.executable, entry, *args], capture_output=True, text=True, timeout=60)
        assert (out.returncode, out.stdout.strip()) == (0, want), out.stderr
    refused = subprocess.run([sys.executable, entry, "-m", "os"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "only runs the app's own modules" in refused.stderr


def test_smoke_fixture_model_is_exact_nearest_neighbour(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import numpy as np
    import smoke_fixtures
    from PIL import Image

    smoke_fixtures.make_image(tmp_path / "in.png")
    name = smoke_fixtures.make_tiny_model(tmp_path / "models")
    session = ort.InferenceSession(str(tmp_path / "models" / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    x = np.asarray(Image.open(tmp_path / "in.png"), np.float32).transpose(2, 0, 1)[None] / 255
    y = session.run(None, {"input": x})[0][0].transpose(1, 2, 0)
    Image.fromarray(np.round(y * 255).astype(np.uint8)).save(tmp_path / "out.png")
    assert smoke_fixtures.check(tmp_path / "out.png", 192, 160, None, tmp_path / "in.png") is None
    # The check is not a rubber stamp: a bicubic enlargement is not nearest-neighbour.
    Image.open(tmp_path / "in.png").resize((192, 160), Image.Resampling.BICUBIC).save(tmp_path / "bicubic.png")
    assert "differs from nearest-neighbour" in smoke_fixtures.check(
        tmp_path / "bicubic.png", 192, 160, None, tmp_path / "in.png"
    )
    assert "size" in smoke_fixtures.check(tmp_path / "out.png", 100, 100, None, None)


# --- the built bundle ---------------------------------------------------------------------------------------


@pytest.mark.bundle
@pytest.mark.skipif(
    os.environ.get("SRGAN_TEST_BUNDLE") != "1", reason="set SRGAN_TEST_BUNDLE=1 to build and smoke-test the bundle"
)
def test_built_bundle_passes_the_smoke_test():
    flavour = os.environ.get("SRGAN_TEST_BUNDLE_FLAVOUR", "default")
    name = bundle_config.bundle_name(bundle_config.read_project(), flavour)
    built = (ROOT / "dist" / name / "srgan-studio").is_file()
    args = ["--smoke-only"] if built else ["--no-archive"]
    result = subprocess.run(
        ["bash", str(PACKAGING / "build.sh"), "--flavour", flavour, "--python", sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "smoke test passed" in result.stdout
