#!/bin/sh
# Install (or upgrade) Alliance Desktop for the current user, from this unpacked folder.
#
#   ./install.sh              installs under ~/.local (no administrator rights needed)
#   ./install.sh --prefix DIR installs under DIR instead (e.g. /opt/alliance-desktop as root)
#
# The program goes to PREFIX/lib/alliance-desktop, a command to PREFIX/bin/alliance-desktop,
# the menu entry, icons and metainfo to PREFIX/share (~/.local/share, or $XDG_DATA_HOME).
# Your records are NOT here: they stay in ~/.local/share/Alliance Desktop/ and an upgrade or
# uninstall never touches them. The first start of a newer version upgrades the database
# and keeps a copy of it first.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "${prefix:-$HOME}" in
  *'"'*|*'`'*|*'$'*|*'\'*|*'%'*)
    # The menu entry's Exec line would need these escaped twice over; refuse before
    # anything is made.
    echo "install.sh: the folder ${prefix:-$HOME} contains \" \` \$ \\ or %, which a menu" \
         "entry cannot name; choose another with --prefix. Nothing was changed." >&2
    exit 1 ;;
esac
if [ -z "$prefix" ]; then
  prefix="$HOME/.local"
  share="${XDG_DATA_HOME:-$HOME/.local/share}"
else
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)  # a relative prefix would make links that lead nowhere
  share="$prefix/share"
fi
app_id=org.alliancedesktop.AllianceDesktop
version=$(cat "$here/VERSION")
program="$prefix/lib/alliance-desktop"

if [ ! -x "$here/alliance-desktop/alliance-desktop" ]; then
  echo "install.sh: run it from the unpacked alliance-desktop folder (alliance-desktop/ is missing)." >&2
  exit 1
fi

# Replacing the files of a running copy would break it mid-session (it loads parts of
# itself from disk as they are first needed): a running copy must be closed first.
for process in /proc/[0-9]*; do
  case "$(readlink "$process/exe" 2>/dev/null || true)" in
    "$program"/*)
      echo "install.sh: Alliance Desktop is running (process ${process#/proc/}). Close it" \
           "(and any alliance-desktop command), then run install.sh again. Nothing was changed." >&2
      exit 1 ;;
  esac
done

mkdir -p "$prefix/lib" "$prefix/bin" "$share/applications" "$share/metainfo"

# The menu entry names the program by its full path (a menu does not search ~/.local/bin).
# Written line by line in the shell, not with sed, so any character in the path is kept.
entry="$share/applications/$app_id.desktop"
while IFS= read -r line; do
  case "$line" in
    Exec=*) printf 'Exec="%s"\n' "$program/alliance-desktop" ;;
    TryExec=*) printf 'TryExec=%s\n' "$program/alliance-desktop" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/share/applications/$app_id.desktop" > "$entry.new"

# The new program is copied beside the old one and swapped in with renames, so a copy that
# fails half-way (a full disk) leaves the installed version working.
rm -rf "$program.new" "$program.old"
cp -R "$here/alliance-desktop" "$program.new"
cp "$here/uninstall.sh" "$program.new/uninstall.sh"
if [ -e "$program" ]; then
  mv "$program" "$program.old"
fi
mv "$program.new" "$program"
rm -rf "$program.old"

ln -sfn "$program/alliance-desktop" "$prefix/bin/alliance-desktop"
mv "$entry.new" "$entry"
cp "$here/share/metainfo/$app_id.metainfo.xml" "$share/metainfo/"
(cd "$here/share" && find icons -type f) | while IFS= read -r icon; do
  mkdir -p "$share/$(dirname "$icon")"
  cp "$here/share/$icon" "$share/$icon"
done

# Refresh the menu and icon caches where the desktop has them (harmless when absent).
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$share/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
fi

echo "Alliance Desktop $version is installed in $program."
echo "Start it from the applications menu, or run: $prefix/bin/alliance-desktop"
echo "To remove it later (your records are kept): $program/uninstall.sh"
