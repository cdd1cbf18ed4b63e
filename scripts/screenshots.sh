#!/usr/bin/env bash
# Start the real app under Xvfb with a generated sample photo and save screenshots.
#   scripts/screenshots.sh [OUT_DIR]      (default: screenshots/, which git ignores)
# Needs: Xvfb, xdpyinfo and the Qt xcb libraries:
#   apt-get install -y xvfb x11-apps x11-utils libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 \
#     libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libegl1 fonts-dejavu-core
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-screenshots}"
mkdir -p "$OUT"
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
command -v Xvfb >/dev/null || { echo "screenshots.sh: Xvfb is missing (apt-get install -y xvfb x11-apps)" >&2; exit 1; }

DISPLAY_NUM=":$((90 + RANDOM % 9))"
Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
trap 'kill "$XVFB_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do xdpyinfo -display "$DISPLAY_NUM" >/dev/null 2>&1 && break; sleep 0.1; done

# Private config/data dirs: the run never touches the user's settings or models.
TMP_HOME="$(mktemp -d)"
export SRGAN_STUDIO_CONFIG_DIR="$TMP_HOME/config" SRGAN_STUDIO_DATA_DIR="${SRGAN_STUDIO_DATA_DIR:-$TMP_HOME/data}"
DISPLAY="$DISPLAY_NUM" QT_QPA_PLATFORM=xcb python scripts/screenshot_driver.py "$OUT"
# An independent capture of the final screen through the X server itself.
if command -v xwd >/dev/null && command -v convert >/dev/null; then
  DISPLAY="$DISPLAY_NUM" xwd -root -silent | convert xwd:- "$OUT/99_xwd_root.png" || true
fi
rm -rf "$TMP_HOME" "$OUT/_work"
echo "screenshots in $OUT/"
