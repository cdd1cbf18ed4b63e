#!/bin/sh
# Install this SRGAN Studio bundle for the current user, with a menu entry,
# icons and "Open with SRGAN Studio" for images. build.sh copies this script
# into the bundle folder; run it from there.
#
#   ./install.sh                 # into ~/.local (no root needed)
#   sudo PREFIX=/usr/local ./install.sh
#   ./install.sh --uninstall     # same PREFIX as the install
set -eu

APP_ID=io.github.srgan_studio.SRGANStudio
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
dest=$prefix/lib/srgan-studio
apps=$prefix/share/applications
icons=$prefix/share/icons/hicolor
metainfo=$prefix/share/metainfo

refresh_caches() {
    # Menus pick up new entries without these on most desktops; they make it immediate.
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f "$icons" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$dest"
    [ -L "$prefix/bin/srgan-studio" ] && rm -f "$prefix/bin/srgan-studio"
    rm -f "$apps/$APP_ID.desktop" "$metainfo/$APP_ID.metainfo.xml"
    find "$icons" -name "$APP_ID.*" -type f -delete 2>/dev/null || true
    refresh_caches
    echo "SRGAN Studio removed from $prefix"
    exit 0
fi

[ -x "$here/srgan-studio" ] || { echo "install.sh: run me from the unpacked bundle folder ($here has no srgan-studio)" >&2; exit 1; }
if [ "$here" = "$dest" ]; then
    echo "install.sh: already installed at $dest" >&2
    exit 1
fi

# Copy beside the old install, then swap, so a failed copy never leaves a half-installed app.
mkdir -p "$prefix/lib" "$prefix/bin" "$apps" "$icons" "$metainfo"
rm -rf "$dest.new"
cp -a "$here" "$dest.new"
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$dest.new" "$dest"
rm -rf "$dest.old"

ln -sfn "$dest/srgan-studio" "$prefix/bin/srgan-studio"
# The menu entry names the executable by full path: ~/.local/bin is often not on a launcher's PATH.
sed -e "s|^Exec=srgan-studio|Exec=\"$dest/srgan-studio\"|" -e "s|^TryExec=.*|TryExec=$dest/srgan-studio|" \
    "$here/share/applications/$APP_ID.desktop" > "$apps/$APP_ID.desktop"
cp "$here/share/metainfo/$APP_ID.metainfo.xml" "$metainfo/"
cp -R "$here/share/icons/hicolor/." "$icons/"
refresh_caches

echo "SRGAN Studio installed in $dest"
echo "  menu entry: $apps/$APP_ID.desktop"
echo "  command:    $prefix/bin/srgan-studio (add $prefix/bin to PATH if needed)"
