#!/bin/sh
# Remove the Alliance Desktop program installed by install.sh. Your records are kept.
#
#   ./uninstall.sh              removes what ./install.sh put under ~/.local
#   ./uninstall.sh --prefix DIR removes what ./install.sh --prefix DIR put there
#
# It never deletes the database, its key file, its safety copies or your backups: those are
# health records. It prints where they are, so you can move or delete them yourself.
set -eu

prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "uninstall.sh: --prefix needs a folder" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
app_id=org.alliancedesktop.AllianceDesktop
program="$prefix/lib/alliance-desktop"

# Only the link install.sh made: a different alliance-desktop command is left alone.
if [ -L "$prefix/bin/alliance-desktop" ] \
   && [ "$(readlink "$prefix/bin/alliance-desktop")" = "$program/alliance-desktop" ]; then
  rm -f "$prefix/bin/alliance-desktop"
fi
rm -rf "$program" "$program.new" "$program.old"
rm -f "$prefix/share/applications/$app_id.desktop" "$prefix/share/metainfo/$app_id.metainfo.xml"
find "$prefix/share/icons/hicolor" -name "$app_id.png" -delete 2>/dev/null || true
find "$prefix/share/icons/hicolor" -name "$app_id.svg" -delete 2>/dev/null || true
command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true

data="${XDG_DATA_HOME:-$HOME/.local/share}/Alliance Desktop"
echo "Alliance Desktop is uninstalled. Your records were NOT deleted."
if [ -d "$data" ]; then
  echo "They are in: $data"
  echo "Keep that folder (and your backups) for as long as the law requires you to keep records."
fi
