"""The bundle keeps what OpenVINO opens by name (CPU plugin, ONNX reader, TBB) and nothing it never uses."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import bundle_config  # noqa: E402

LINUX_LIBS = [
    "libopenvino.so.2641",
    "libopenvino_intel_cpu_plugin.so",
    "libopenvino_intel_gpu_plugin.so",
    "libopenvino_intel_npu_plugin.so",
    "libopenvino_auto_plugin.so",
    "libopenvino_hetero_plugin.so",
    "libopenvino_onnx_frontend.so.2641",
    "libopenvino_ir_frontend.so.2641",
    "libopenvino_tensorflow_frontend.so.2641",
    "libopenvino_pytorch_frontend.so.2641",
    "libtbb.so.12",
    "libtbbmalloc.so.2",
    "libhwloc.so.15",
    "tbb.pc",
    "cache.json",
]
WINDOWS_LIBS = [
    "openvino.dll",
    "openvino_intel_cpu_plugin.dll",
    "openvino_onnx_frontend.dll",
    "tbb12.dll",
    "openvino_paddle_frontend.dll",
]
MAC_LIBS = [
    "libopenvino.2026.4.1.dylib",
    "libopenvino_arm_cpu_plugin.so",
    "libopenvino_onnx_frontend.2026.4.1.dylib",
    "libtbb.12.dylib",
]


def _libs(tmp_path: Path, names: list[str]) -> Path:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def _kept(flavour: str, libs: Path) -> set[str]:
    entries = bundle_config.openvino_binaries(flavour, libs)
    assert {dest for _, dest in entries} <= {"openvino/libs"}
    return {Path(src).name for src, _ in entries}


def test_cpu_bundle_keeps_the_cpu_plugin_onnx_reader_and_tbb_only(tmp_path):
    kept = _kept("cpu", _libs(tmp_path, LINUX_LIBS))
    assert kept == {
        "libopenvino_intel_cpu_plugin.so",
        "libopenvino_onnx_frontend.so.2641",
        "libtbb.so.12",
        "libtbbmalloc.so.2",
        "libhwloc.so.15",
    }


def test_default_bundle_adds_the_intel_gpu_plugin(tmp_path):
    kept = _kept("default", _libs(tmp_path, LINUX_LIBS))
    assert kept - _kept("cpu", tmp_path) == {"libopenvino_intel_gpu_plugin.so", "cache.json"}


def test_windows_and_mac_names(tmp_path):
    win = _kept("cpu", _libs(tmp_path / "w", WINDOWS_LIBS) if (tmp_path / "w").mkdir() is None else None)
    assert win == {"openvino_intel_cpu_plugin.dll", "openvino_onnx_frontend.dll", "tbb12.dll"}
    (tmp_path / "m").mkdir()
    mac = _kept("cpu", _libs(tmp_path / "m", MAC_LIBS))
    assert mac == {"libopenvino_arm_cpu_plugin.so", "libopenvino_onnx_frontend.2026.4.1.dylib", "libtbb.12.dylib"}


def test_no_openvino_means_nothing_extra(tmp_path):
    assert bundle_config.openvino_binaries("cpu", tmp_path / "missing") == []


def test_plugins_nothing_links_to_survive_pruning():
    binaries = [
        ("openvino/_pyopenvino.cpython-311-x86_64-linux-gnu.so", "/b/py", "EXTENSION"),
        ("openvino/libs/libopenvino.so.2641", "/b/ov", "BINARY"),
        ("openvino/libs/libopenvino_intel_cpu_plugin.so", "/b/cpu", "BINARY"),
        ("openvino/libs/libopenvino_onnx_frontend.so.2641", "/b/onnx", "BINARY"),
        ("openvino/libs/libtbb.so.12", "/b/tbb", "BINARY"),
    ]
    links = {"/b/py": ["libopenvino.so.2641"], "/b/cpu": ["libtbb.so.12"]}
    kept, dropped = bundle_config.prune_orphan_libs(binaries, lambda src: links.get(src, []))
    assert dropped == [] and kept == binaries


def test_the_spec_passes_openvino_binaries_to_analysis():
    spec = (ROOT / "packaging" / "srgan_studio.spec").read_text(encoding="utf-8")
    assert "binaries=cfg.openvino_binaries(flavour)" in spec
