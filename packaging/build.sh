#!/usr/bin/env bash
# Build the Linux bundle of SRGAN Studio with PyInstaller into dist/, then smoke-test it.
#
#   packaging/build.sh                  default bundle -> dist/srgan-studio/
#   packaging/build.sh --flavour cpu    CPU-only ONNX Runtime -> dist/srgan-studio-cpu/
#   packaging/build.sh --smoke-only     only smoke-test the bundle already in dist/
#
# Options:
#   --flavour default|cpu|train   what to bundle (see packaging/README.md)
#   --python PY                   build environment's Python (default: .venv/bin/python, or $PYTHON)
#   --smoke-only                  skip the build and the archive
#   --no-build                    archive and smoke-test the bundle already in dist/
#   --no-smoke                    skip the smoke test
#   --no-archive                  skip the .tar.gz
#   --clean                       drop PyInstaller's cache first (slower, from scratch)
#
# The smoke test runs the frozen binary's --version, upscales a generated image
# with the bundled default model (or, while resources/models has none, with a
# tiny ONNX model installed as a user model), and opens the GUI offscreen until
# a runtime hook quits it. Builds run under `nice` (NICE=0 to disable).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)
flavour=default
py_given=0
do_build=1 do_smoke=1 do_archive=1 clean=()

while [ $# -gt 0 ]; do
    case "$1" in
        --flavour) flavour=${2:?--flavour needs a value}; shift ;;
        --flavour=*) flavour=${1#*=} ;;
        --python) PY=${2:?--python needs a value}; py_given=1; shift ;;
        --smoke-only) do_build=0 do_archive=0 ;;
        --no-build) do_build=0 ;;
        --no-smoke) do_smoke=0 ;;
        --no-archive) do_archive=0 ;;
        --clean) clean=(--clean) ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

# The cpu flavour builds from its own venv with the plain onnxruntime wheel, pinned like the main venv.
if [ "$flavour" = cpu ] && [ "$py_given" = 0 ] && [ "$do_build" = 1 ]; then
    CPU_VENV=$ROOT/build/venv-cpu
    [ -x "$CPU_VENV/bin/python" ] || "$PY" -m venv "$CPU_VENV"
    mapfile -t cpu_reqs < <("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import bundle_config as c; print("\n".join(c.cpu_requirements(c.read_project())))' "$ROOT/packaging")
    "$PY" -m pip freeze --exclude-editable | grep -viE '^(onnxruntime-gpu|torch|nvidia-)' > "$ROOT/build/cpu-constraints.txt" || true
    "$CPU_VENV/bin/python" -m pip install -q -c "$ROOT/build/cpu-constraints.txt" "${cpu_reqs[@]}" pyinstaller
    "$CPU_VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
    PY=$CPU_VENV/bin/python
fi

read -r NAME VERSION < <("$PY" - "$ROOT/packaging" "$flavour" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import bundle_config as c
p = c.read_project()
print(c.bundle_name(p, c.check_flavour(sys.argv[2])), p.version)
EOF
)
[ -n "${NAME:-}" ] && [ -n "${VERSION:-}" ] || { echo "build.sh: cannot read name and version from pyproject.toml with $PY" >&2; exit 1; }
DIST=$ROOT/dist/$NAME
EXE=$DIST/srgan-studio
APP_ID=io.github.srgan_studio.SRGANStudio

say() { printf '\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "build.sh: FAIL: $*" >&2; exit 1; }

build() {
    say "building $NAME $VERSION ($flavour) with $("$PY" -m PyInstaller --version 2>/dev/null || echo 'no PyInstaller')"
    "$PY" -m PyInstaller --version >/dev/null 2>&1 || fail "PyInstaller is not installed in $PY's environment: $PY -m pip install pyinstaller"
    local start=$SECONDS
    SRGAN_STUDIO_FLAVOUR=$flavour nice -n "${NICE:-10}" "$PY" -m PyInstaller --noconfirm "${clean[@]}" \
        --log-level WARN --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller-$flavour" \
        "$ROOT/packaging/srgan_studio.spec"
    linux_extras
    BUILD_SECONDS=$((SECONDS - start))
    say "built $DIST in ${BUILD_SECONDS}s: $(du -sh "$DIST" | cut -f1) ($(du -sb "$DIST" | cut -f1) bytes)"
    echo "largest parts:"
    (cd "$DIST/_internal" && du -s -- * .[!.]* 2>/dev/null | sort -rn | head -12 | awk '{printf "  %7.1f MB  %s\n", $1/1024, $2}') || true
}

linux_extras() {
    # Desktop integration rides beside the executable; install.sh puts it in place.
    install -Dm644 "$ROOT/packaging/linux/$APP_ID.desktop" "$DIST/share/applications/$APP_ID.desktop"
    install -Dm644 "$ROOT/packaging/linux/$APP_ID.metainfo.xml" "$DIST/share/metainfo/$APP_ID.metainfo.xml"
    QT_QPA_PLATFORM=offscreen "$PY" "$ROOT/packaging/linux/hicolor.py" "$DIST/share" >/dev/null
    install -m755 "$ROOT/packaging/linux/install.sh" "$DIST/install.sh"
}

archive() {
    local tarball=$ROOT/dist/$NAME-$VERSION-linux-$(uname -m).tar.gz
    nice -n "${NICE:-10}" tar -C "$ROOT/dist" -czf "$tarball.part" "$NAME"
    mv "$tarball.part" "$tarball"
    say "archive $tarball: $(du -sh "$tarball" | cut -f1)"
}

smoke() {
    [ -x "$EXE" ] || fail "$EXE does not exist; build first"
    tmp=$(mktemp -d)  # global: the EXIT trap runs after this function has returned
    trap 'rm -rf "$tmp"' EXIT
    # Never touch the real user's settings or models.
    export SRGAN_STUDIO_CONFIG_DIR=$tmp/config SRGAN_STUDIO_DATA_DIR=$tmp/data QT_QPA_PLATFORM=offscreen
    local fixtures=$ROOT/packaging/smoke_fixtures.py

    say "smoke 1/3: --version, -m srgan_studio --version"
    local got
    got=$("$EXE" --version)
    [ "$got" = "srgan-studio $VERSION" ] || fail "--version printed '$got', expected 'srgan-studio $VERSION'"
    echo "$got"
    # The app starts helpers (the trainer) as `<sys.executable> -m srgan_studio ...`; entry.py must honour that.
    got=$("$EXE" -m srgan_studio --version)
    [ "$got" = "srgan-studio $VERSION" ] || fail "'-m srgan_studio --version' printed '$got'"

    say "smoke 2/3: upscale"
    "$PY" "$fixtures" image "$tmp/in.png"
    "$EXE" upscale "$tmp/in.png" -o "$tmp/bicubic.png" --model bicubic_x4 || fail "upscale with bicubic_x4 failed"
    "$PY" "$fixtures" check "$tmp/bicubic.png" 192 160 || fail "bicubic output is wrong"
    local bundled
    bundled=$(find "$DIST" -path '*srgan_studio/resources/models/*.onnx' | head -1)
    if [ -n "$bundled" ]; then
        echo "bundled models: $(find "$DIST" -path '*srgan_studio/resources/models/*.onnx' -printf '%f ')"
        "$EXE" upscale "$tmp/in.png" -o "$tmp/out.png" || fail "upscale with the default model failed"
        "$PY" "$fixtures" check "$tmp/out.png" 192 160 --differs "$tmp/bicubic.png" || fail "default model output is wrong"
    else
        # No real weights bundled yet: prove ONNX Runtime works in the bundle with an exactly predictable model.
        local model
        model=$("$PY" "$fixtures" tiny-model "$SRGAN_STUDIO_DATA_DIR/models")
        echo "no bundled ONNX model; using user model $model"
        "$EXE" upscale "$tmp/in.png" -o "$tmp/out.png" --model "$model" || fail "upscale with $model failed"
        "$PY" "$fixtures" check "$tmp/out.png" 192 160 --nearest-of "$tmp/in.png" || fail "$model output is wrong"
    fi
    echo "upscaled 48x40 -> 192x160"

    say "smoke 3/3: GUI offscreen"
    local rc
    for args in "" "$tmp/in.png"; do
        # shellcheck disable=SC2086  # $args is one path or nothing
        rc=0
        SRGAN_STUDIO_QUIT_AFTER_MS=${SMOKE_GUI_MS:-4000} timeout 180 "$EXE" $args 2>"$tmp/gui.log" || rc=$?
        grep -q "smoke: visible windows \['SRGAN Studio" "$tmp/gui.log" && [ "$rc" = 0 ] || {
            cat "$tmp/gui.log" >&2
            fail "GUI ${args:+with $args }did not show its window and quit cleanly (exit $rc)"
        }
        grep "smoke: visible windows" "$tmp/gui.log"
    done
    say "smoke test passed: $EXE"
}

[ "$do_build" = 1 ] && build
[ "$do_archive" = 1 ] && archive
[ "$do_smoke" = 1 ] && smoke
exit 0
