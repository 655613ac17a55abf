#!/bin/sh
# Install (or upgrade) Alliance Desktop for the current user, from this unpacked folder.
#
#   ./install.sh              installs under ~/.local (no administrator rights needed)
#   ./install.sh --prefix DIR installs under DIR instead (e.g. /opt/alliance-desktop as root)
#
# The program goes to PREFIX/lib/alliance-desktop, a command to PREFIX/bin/alliance-desktop,
# the menu entry, icons and metainfo to PREFIX/share. Your records are NOT here: they stay in
# ~/.local/share/Alliance Desktop/ and an upgrade or uninstall never touches them. The first
# start of a newer version upgrades the database and keeps a copy of it first.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
app_id=org.alliancedesktop.AllianceDesktop
version=$(cat "$here/VERSION")
program="$prefix/lib/alliance-desktop"

if [ ! -x "$here/alliance-desktop/alliance-desktop" ]; then
  echo "install.sh: run it from the unpacked alliance-desktop folder (alliance-desktop/ is missing)." >&2
  exit 1
fi
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo"

# The new program is copied beside the old one and swapped in with renames, so a copy that
# fails half-way (a full disk) leaves the installed version working.
rm -rf "$program.new" "$program.old"
cp -R "$here/alliance-desktop" "$program.new"
if [ -e "$program" ]; then
  mv "$program" "$program.old"
fi
mv "$program.new" "$program"
rm -rf "$program.old"

ln -sfn "$program/alliance-desktop" "$prefix/bin/alliance-desktop"

# The menu entry names the program by its full path: a menu does not search ~/.local/bin.
sed -e "s|^Exec=.*|Exec=\"$program/alliance-desktop\"|" \
    -e "s|^TryExec=.*|TryExec=$program/alliance-desktop|" \
    "$here/share/applications/$app_id.desktop" > "$prefix/share/applications/$app_id.desktop"
cp "$here/share/metainfo/$app_id.metainfo.xml" "$prefix/share/metainfo/"
(cd "$here/share" && find icons -type f) | while read -r icon; do
  mkdir -p "$prefix/share/$(dirname "$icon")"
  cp "$here/share/$icon" "$prefix/share/$icon"
done

# Refresh the menu and icon caches where the desktop has them (harmless when absent).
command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
  && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true

echo "Alliance Desktop $version is installed in $program."
echo "Start it from the applications menu, or run: $prefix/bin/alliance-desktop"
