#!/bin/sh
# Remove the Alliance Desktop program installed by install.sh. Your records are kept.
#
#   uninstall.sh              removes what ./install.sh put under ~/.local
#   uninstall.sh --prefix DIR removes what ./install.sh --prefix DIR put there
#
# install.sh leaves a copy of this script in the program folder
# (~/.local/lib/alliance-desktop/uninstall.sh), so the download is not needed to uninstall.
# It never deletes the database, its key file, its safety copies or your backups: those are
# health records. It prints where they are, so you can move or delete them yourself.
set -eu

prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "uninstall.sh: --prefix needs a folder" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$prefix" ]; then
  prefix="$HOME/.local"
  share="${XDG_DATA_HOME:-$HOME/.local/share}"
else
  if [ ! -d "$prefix" ]; then
    echo "uninstall.sh: $prefix is not a folder; nothing was removed." >&2
    exit 1
  fi
  prefix=$(cd "$prefix" && pwd)
  share="$prefix/share"
fi
app_id=org.alliancedesktop.AllianceDesktop
program="$prefix/lib/alliance-desktop"

for process in /proc/[0-9]*; do
  case "$(readlink "$process/exe" 2>/dev/null || true)" in
    "$program"/*)
      echo "uninstall.sh: Alliance Desktop is running (process ${process#/proc/}). Close it," \
           "then run uninstall.sh again. Nothing was removed." >&2
      exit 1 ;;
  esac
done

# Only the link install.sh made: a different alliance-desktop command is left alone.
if [ -L "$prefix/bin/alliance-desktop" ] \
   && [ "$(readlink "$prefix/bin/alliance-desktop")" = "$program/alliance-desktop" ]; then
  rm -f "$prefix/bin/alliance-desktop"
fi
rm -rf "$program" "$program.new" "$program.old"
rm -f "$share/applications/$app_id.desktop" "$share/metainfo/$app_id.metainfo.xml"
if [ -d "$share/icons/hicolor" ]; then
  find "$share/icons/hicolor" \( -name "$app_id.png" -o -name "$app_id.svg" \) -exec rm -f {} +
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$share/applications" 2>/dev/null || true
fi
if [ -f "$share/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
fi

data="${XDG_DATA_HOME:-$HOME/.local/share}/Alliance Desktop"
echo "Alliance Desktop is uninstalled. Your records were NOT deleted."
if [ -d "$data" ]; then
  echo "They are in: $data"
  echo "Keep that folder (and your backups) for as long as the law requires you to keep records."
fi
