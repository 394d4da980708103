#!/usr/bin/env bash
# Builds a Debian 13 (trixie) file tree with GNOME 48 (gnome-shell, mutter, xdg-desktop-portal and
# its GNOME backend, gnome-settings-daemon) for the GNOME 48 tests, once per machine: the tests run
# that desktop in a chroot and whis on the host against its bus. About 2 minutes and 1.6 GB.
# Usage: sudo ./scripts/gnome48-root.sh [DIR]     (default /var/cache/whis-test/gnome48)
set -euo pipefail
DIR="${1:-${WHIS_GNOME48_ROOT:-/var/cache/whis-test/gnome48}}"
# bump when the package list changes: an older tree is rebuilt
VERSION=1
STAMP="$DIR/.whis-gnome48-$VERSION"
PACKAGES=(
  gnome-shell mutter gnome-settings-daemon gnome-control-center
  xdg-desktop-portal xdg-desktop-portal-gnome xdg-desktop-portal-gtk
  dconf-cli dconf-service dbus-daemon libglib2.0-bin
  python3-gi gir1.2-gtk-3.0 libgl1-mesa-dri libegl-mesa0
)
[ -f "$STAMP" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Building the GNOME 48 test tree needs root (debootstrap, chroot): run sudo $0" >&2
  exit 1
fi
# one build at a time: suites that run side by side may ask for the tree at once; whoever waited
# finds the stamp the first one left
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9
[ -f "$STAMP" ] && exit 0
command -v debootstrap >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}
# a half-built tree from an interrupted run is started over; nothing may be mounted inside it
if [ -d "$DIR" ]; then
  mountpoint -q "$DIR/proc" && umount "$DIR/proc"
  rm -rf --one-file-system "$DIR"
fi
PARTIAL="$DIR.partial.$$"
rm -rf --one-file-system "$PARTIAL"
mkdir -p "$(dirname "$DIR")"
debootstrap --variant=minbase trixie "$PARTIAL" http://deb.debian.org/debian
mount -t proc proc "$PARTIAL/proc"
trap 'umount "$PARTIAL/proc" 2>/dev/null || true' EXIT
chroot "$PARTIAL" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$PARTIAL" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
chroot "$PARTIAL" apt-get clean
umount "$PARTIAL/proc"
trap - EXIT
mv "$PARTIAL" "$DIR"
touch "$STAMP"
echo "GNOME 48 test tree ready in $DIR"
