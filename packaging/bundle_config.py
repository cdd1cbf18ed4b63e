"""What goes into the PyInstaller bundle, kept apart from the spec so tests can check it without PyInstaller.

The spec (``srgan_studio.spec``) imports this module; every decision about
names, flavours, data files and exclusions lives here.

Flavours (``SRGAN_STUDIO_FLAVOUR``):

* ``default``: the app with whatever ONNX Runtime the build environment has.
  From a venv made by ``pip install .`` on Linux/Windows x86_64 that is
  ``onnxruntime-gpu``, so the bundle can use CUDA when the machine has the
  CUDA 12 and cuDNN 9 libraries.
* ``cpu``: the same app without ONNX Runtime's CUDA and TensorRT provider
  libraries (about 280 MB of the default bundle). Built from a venv with the
  plain ``onnxruntime`` wheel it is exactly that wheel; built from an
  ``onnxruntime-gpu`` venv the provider libraries are dropped here, which
  leaves the same CPU execution provider.
* OpenVINO (the CPU engine, where its wheel is installed): every flavour
  keeps its CPU plugin, ONNX frontend and TBB, which it loads by name at run
  time; the default and train flavours also keep the Intel GPU plugin. Its
  other frontends (TensorFlow, PaddlePaddle, PyTorch ...), NPU, AUTO and HETERO
  plugins are never used (the app compiles ONNX models for one device).
* ``train``: the default bundle plus PyTorch and ``srgan_studio.training``,
  for fine-tuning in the app. Torch makes it several times larger, which is
  why it is a second bundle and not part of the default one.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.github.srgan_studio.SRGANStudio"
APP_TITLE = "SRGAN Studio"
FLAVOURS = ("default", "cpu", "train")

# Qt modules the app may use even though no source file names them.
QT_ALWAYS = {"QtCore", "QtGui", "QtWidgets"}

# Never in the default and cpu bundles: the app upscales with ONNX Runtime alone.
TORCH_SIDE = [
    "torch",
    "torchvision",
    "torchaudio",
    "functorch",
    "safetensors",
    "onnxscript",
    "onnx_ir",
    "srgan_studio.training",
    "sympy",
    "networkx",
    "triton",
]

# Pulled in by optional imports of dependencies, never used by the app.
NEVER = [
    "tkinter",
    "_tkinter",
    "matplotlib",
    "IPython",
    "jupyter_client",
    "pytest",
    "pytestqt",
    "scipy",
    "pandas",
    "transformers",
    "tensorboard",
    "setuptools",
    "pip",
    "readline",  # only the interactive interpreter uses it
]

# ONNX Runtime libraries that only serve GPUs: dropped in the cpu flavour.
GPU_ONLY_LIBS = re.compile(
    r"onnxruntime_providers_(cuda|tensorrt|rocm|migraphx|openvino)|nvinfer|cudnn|cublas|cufft|curand|cudart", re.I
)

# OpenVINO libraries the app loads by name (plugins and the ONNX reader) or through them (TBB, hwloc).
OPENVINO_NEEDED = re.compile(
    r"openvino_(intel|arm)_cpu_plugin|openvino_onnx_frontend|^(lib)?(tbb|hwloc)\w*(\.\d+)*\.(so|dll|dylib)", re.I
)
OPENVINO_GPU = re.compile(r"openvino_intel_gpu_plugin|^cache\.json$", re.I)  # cache.json: the GPU plugin's tuning


def openvino_binaries(flavour: str, libs: Path | None = None) -> list[tuple[str, str]]:
    """(file, folder in the bundle) for OpenVINO's run-time-loaded libraries; empty when openvino is missing.

    PyInstaller follows only link-time dependencies, so it would collect
    libopenvino itself but none of the plugins it opens by name.
    """
    if libs is None:
        import importlib.util

        spec = importlib.util.find_spec("openvino")
        if spec is None or not spec.submodule_search_locations:
            return []
        libs = Path(next(iter(spec.submodule_search_locations))) / "libs"
    if not libs.is_dir():
        return []
    keep = [OPENVINO_NEEDED] + ([OPENVINO_GPU] if flavour != "cpu" else [])
    return [
        (str(f), "openvino/libs") for f in sorted(libs.iterdir()) if f.is_file() and any(p.search(f.name) for p in keep)
    ]


# Qt plugin folders the app never loads (it decodes images with Pillow, has no
# QML, SQL, network or printing). Platforms, themes, input contexts, icon
# engines, image formats and the X11/Wayland integrations stay: Qt needs them
# to open a window on the user's desktop.
QT_PLUGIN_DIRS_UNUSED = (
    "generic",  # evdev/tuio input for framebuffer kiosks; desktops deliver input via X11/Wayland
    "egldeviceintegrations",  # EGLFS only (embedded boards)
    "qmltooling",
    "sqldrivers",
    "tls",
    "networkinformation",
    "designer",
    "printsupport",
    "multimedia",
    "position",
    "sensors",
    "canbus",
    "renderers",
    "scenegraph",
    "geometryloaders",
    "sceneparsers",
    "assetimporters",
    "wayland-graphics-integration-server",
)


@dataclass(frozen=True)
class Project:
    name: str  # distribution name, e.g. "srgan-studio"
    version: str
    description: str
    scripts: dict[str, str]
    gui_scripts: dict[str, str]
    dependencies: tuple[str, ...] = ()


def read_project(pyproject: Path | None = None) -> Project:
    data = tomllib.loads((pyproject or ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    proj = data["project"]
    return Project(
        name=proj["name"],
        version=proj["version"],
        description=proj.get("description", ""),
        scripts=dict(proj.get("scripts", {})),
        gui_scripts=dict(proj.get("gui-scripts", {})),
        dependencies=tuple(proj.get("dependencies", ())),
    )


def cpu_requirements(project: Project) -> list[str]:
    """The app's runtime requirements with the plain ``onnxruntime`` wheel in place of ``onnxruntime-gpu``.

    Read from pyproject.toml so a new dependency reaches the cpu bundle without editing a second list.
    """
    out = []
    for req in project.dependencies:
        spec = req.split(";", 1)[0].strip()
        name = re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower().replace("_", "-")
        if name == "onnxruntime-gpu":
            continue
        out.append(spec if name == "onnxruntime" else req)
    if not any(re.match(r"onnxruntime(?![-\w])", r) for r in out):
        out.append("onnxruntime")
    return out


def check_flavour(flavour: str) -> str:
    if flavour not in FLAVOURS:
        raise SystemExit(f"SRGAN_STUDIO_FLAVOUR must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
    return flavour


def bundle_name(project: Project, flavour: str) -> str:
    """Folder name under dist/: ``srgan-studio``, ``srgan-studio-cpu``, ``srgan-studio-train``."""
    return project.name if flavour == "default" else f"{project.name}-{flavour}"


def qt_modules_used(src: Path | None = None) -> set[str]:
    """Every ``PySide6.QtXxx`` module named anywhere in the app's source, plus Core/Gui/Widgets."""
    src = src or ROOT / "srgan_studio"
    used = set(QT_ALWAYS)
    for py in src.rglob("*.py"):
        used.update(re.findall(r"\bPySide6\.(Qt\w+)", py.read_text(encoding="utf-8", errors="replace")))
    return used


def qt_modules_installed() -> set[str]:
    try:
        import PySide6
    except ImportError:
        return set()
    names = set()
    for ext in Path(PySide6.__file__).parent.iterdir():
        m = re.match(r"(Qt\w+?)\.(?:abi3\.so|pyd|cpython[^.]*\.so|so)$", ext.name)
        if m:
            names.add(m.group(1))
    return names


def excludes(flavour: str, qt_used: set[str] | None = None, qt_installed: set[str] | None = None) -> list[str]:
    qt_used = qt_modules_used() if qt_used is None else qt_used
    qt_installed = qt_modules_installed() if qt_installed is None else qt_installed
    unused_qt = sorted(f"PySide6.{m}" for m in qt_installed - qt_used)
    torch_side = [] if flavour == "train" else TORCH_SIDE
    return sorted(set(NEVER + torch_side + unused_qt))


def hidden_imports(flavour: str) -> list[str]:
    """Modules imported only by name at run time, which PyInstaller cannot see."""
    from importlib import import_module

    # The CLI imports its subcommand modules by name from this explicit list.
    cli = import_module("srgan_studio.cli")
    mods = [
        f"srgan_studio.cli.{m}" for m in cli.SUBCOMMAND_MODULES if (ROOT / "srgan_studio" / "cli" / f"{m}.py").is_file()
    ]
    # The registry finds bundled models with importlib.resources.files("srgan_studio.resources"),
    # and the app starts helpers as `<exe> -m srgan_studio ...` (entry.py runs those with runpy).
    mods += ["srgan_studio.resources", "srgan_studio.__main__"]
    if flavour == "train":
        mods += [
            f"srgan_studio.training.{p.stem}" for p in sorted((ROOT / "training").glob("*.py")) if p.stem != "__init__"
        ]
        mods += [
            f"srgan_studio.training.archs.{p.stem}"
            for p in sorted((ROOT / "training" / "archs").glob("*.py"))
            if p.stem != "__init__"
        ]
        mods += ["srgan_studio.training", "srgan_studio.training.archs", "srgan_studio.training.recipes"]
    return mods


def resource_datas(flavour: str, root: Path | None = None) -> list[tuple[str, str]]:
    """(source file, folder in the bundle) for icons, bundled models and their descriptors.

    Files go to ``srgan_studio/resources/...`` inside the bundle, the same place
    ``importlib.resources`` finds them in an installed wheel. Torch checkpoints
    (``*.safetensors``) ride only in the train flavour: the app upscales from ONNX.
    """
    root = root or ROOT
    res = root / "resources"
    wanted = {"icons": ("*.svg", "*.png", "*.ico"), "models": ("*.onnx", "*.json", "*.md")}
    if flavour == "train":
        wanted["models"] += ("*.safetensors",)
    out = []
    for sub, patterns in wanted.items():
        for pattern in patterns:
            for f in sorted((res / sub).glob(pattern)):
                out.append((str(f), f"srgan_studio/resources/{sub}"))
    if flavour == "train":
        for f in sorted((root / "training" / "recipes").glob("*.toml")):
            out.append((str(f), "srgan_studio/training/recipes"))
    return out


# Single Qt plugins the app never needs on a desktop: framebuffer/EGL/VNC platforms for kiosks and
# embedded boards, and the GTK3 theme, which would drag in GTK's whole stack (cairo, pango, atk) from
# the build machine and mix it with the user's GTK at run time. Qt falls back to its own theme.
QT_PLUGINS_UNUSED = re.compile(r"^(lib)?q(eglfs|linuxfb|minimalegl|vkkhrdisplay|vnc|gtk3)\b")


def keep_binary(dest: str, flavour: str) -> bool:
    """Filter for Analysis.binaries (dest is the path inside the bundle)."""
    d = dest.replace("\\", "/")
    base = d.rsplit("/", 1)[-1]
    if flavour == "cpu" and GPU_ONLY_LIBS.search(base):
        return False
    if "PySide6/Qt/plugins/" in d and QT_PLUGINS_UNUSED.match(base):
        return False
    return not _in_unused_qt_plugin_dir(d)


def _is_root(dest: str, typecode: str) -> bool:
    """Binaries loaded by name at run time (extension modules, Qt plugins, ORT providers), not as a dependency."""
    d = dest.replace("\\", "/")
    return (
        typecode == "EXTENSION"
        or "PySide6/Qt/plugins/" in d
        or d.startswith(("onnxruntime/", "openvino/libs/"))
        or d.rsplit("/", 1)[-1].startswith("libpython")
    )


def prune_orphan_libs(binaries: list, needed) -> tuple[list, list]:
    """Drop shared libraries that nothing kept links to any more; return (kept, dropped).

    PyInstaller collects a plugin's dependencies as separate entries, so
    filtering out a plugin leaves its libraries behind. This keeps everything
    reachable through DT_NEEDED from the run-time roots. ``needed(src)`` returns
    the library names a file links to, or None when it cannot tell, in which
    case nothing is pruned.
    """
    by_name: dict[str, list] = {}
    for entry in binaries:
        by_name.setdefault(entry[0].replace("\\", "/").rsplit("/", 1)[-1], []).append(entry)
    todo = [e for e in binaries if e[2] != "SYMLINK" and _is_root(e[0], e[2])]
    seen = {id(e) for e in todo}
    while todo:
        entry = todo.pop()
        names = needed(entry[1])
        if names is None:
            return list(binaries), []
        for name in names:
            for dep in by_name.get(name.rsplit("/", 1)[-1], ()):
                if id(dep) not in seen and dep[2] != "SYMLINK":
                    seen.add(id(dep))
                    todo.append(dep)
    kept_dests = {e[0] for e in binaries if id(e) in seen}
    kept, dropped = [], []
    for entry in binaries:
        if entry[2] == "SYMLINK":
            target = os.path.normpath(os.path.join(os.path.dirname(entry[0]), entry[1])).replace("\\", "/")
            (kept if target in kept_dests else dropped).append(entry)
        else:
            (kept if id(entry) in seen else dropped).append(entry)
    return kept, dropped


def elf_needed(path: str) -> list[str] | None:
    """DT_NEEDED names of a shared library, read with PyInstaller's own dependency reader."""
    try:
        from PyInstaller.depend.bindepend import get_imports

        return [name for name, _ in get_imports(path)]
    except Exception:  # noqa: BLE001 - any failure means "cannot tell": prune nothing
        return None


def keep_data(dest: str, flavour: str) -> bool:
    d = dest.replace("\\", "/")
    if _in_unused_qt_plugin_dir(d):
        return False
    # Qt's own translations: the app's UI is English only, so 14 MB for nothing.
    return not re.search(r"PySide6/Qt/translations/", d)


def _in_unused_qt_plugin_dir(d: str) -> bool:
    m = re.search(r"PySide6/Qt/plugins/([^/]+)/", d)
    return bool(m) and m.group(1) in QT_PLUGIN_DIRS_UNUSED


def stage_sources(stage: Path, flavour: str, project: Project, root: Path | None = None) -> Path:
    """Lay out the package as it installs (``srgan_studio/{resources,training}``) under ``stage``; return it.

    PyInstaller finds modules by scanning folders, so it cannot follow the
    editable install's mapping of ``./resources`` and ``./training`` into
    ``srgan_studio``. A fresh copy of the Python files in the installed layout
    fixes that; the training package is copied only in the train flavour, so
    it cannot leak into the other bundles. A minimal dist-info carries the
    version from pyproject.toml, which ``srgan_studio.__version__`` reads, so
    the frozen version never depends on stale install metadata.
    """
    import shutil

    root = root or ROOT
    stage = Path(stage)
    if stage.exists():
        shutil.rmtree(stage)
    py_only = shutil.ignore_patterns("__pycache__", "*.pyc", "runs")
    pkg = stage / "srgan_studio"
    shutil.copytree(root / "srgan_studio", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (pkg / "resources").mkdir(exist_ok=True)
    for f in (root / "resources").glob("*.py"):
        shutil.copy2(f, pkg / "resources" / f.name)
    if flavour == "train":
        shutil.copytree(root / "training", pkg / "training", ignore=py_only)
    dist_info = stage / f"{project.name.replace('-', '_')}-{project.version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project.name}\nVersion: {project.version}\nSummary: {project.description}\n",
        encoding="utf-8",
    )
    return stage


def metadata_datas(stage: Path, project: Project) -> list[tuple[str, str]]:
    name = f"{project.name.replace('-', '_')}-{project.version}.dist-info"
    return [(str(Path(stage) / name / "METADATA"), name)]


def icon_file(platform: str, root: Path | None = None) -> str | None:
    """The executable's icon: .ico on Windows; on macOS the 512 px PNG (PyInstaller converts it with Pillow)."""
    icons = (root or ROOT) / "resources" / "icons"
    pick = {"win32": "srgan-studio.ico", "darwin": "srgan-studio-512.png"}.get(platform)
    if pick and (icons / pick).is_file():
        return str(icons / pick)
    return None


MAC_DOCUMENT_TYPES = [
    {
        "CFBundleTypeName": "Image",
        "CFBundleTypeRole": "Viewer",
        "LSHandlerRank": "Alternate",
        "LSItemContentTypes": ["public.png", "public.jpeg", "org.webmproject.webp", "public.tiff", "com.microsoft.bmp"],
    }
]
