#!/usr/bin/env bash
# Installs what whis needs on Debian/Ubuntu (system packages, npm packages) and builds it.
# Usage: ./scripts/setup.sh            (asks for sudo only for apt-get when not root)
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime: clipboard tools, typing tools (xdotool on X11, wtype on wlroots Wayland), PortAudio's
# ALSA/PulseAudio path, the X libraries of the hotkey listener, ffmpeg. Tests: a virtual X server,
# real windows (xterm, a GTK entry, a headless sway with foot), a virtual microphone, speech
# synthesis and an offline recogniser.
APT_PACKAGES=(
  xclip xsel wl-clipboard xdotool wtype ffmpeg
  libasound2 libasound2-plugins libx11-6 libxtst6 libxt6 libxrandr2
  xvfb x11-utils xterm zenity sway foot tmux
  pulseaudio pulseaudio-utils sox
  flite pocketsphinx pocketsphinx-en-us
  python3 make g++
  # the hotkey on Wayland: a headless KDE Plasma 5.27 (KWin, kglobalaccel, the GlobalShortcuts portal
  # and its frontend) on a private session bus, and a fake-input key injector built with gcc
  xdg-desktop-portal xdg-desktop-portal-kde kwin-wayland libkf5globalaccel-bin dbus-x11 qtwayland5
  plasma-wayland-protocols libwayland-dev gcc pkg-config
  # typing through the RemoteDesktop portal on that stack: a GTK3 text window (Python GI bindings)
  gir1.2-gtk-3.0 python3-gi
  # GNOME tests: a headless GNOME 43 (gnome-shell, the GNOME portal backend, gsd-media-keys for
  # custom shortcuts), and debootstrap for the Debian 13 tree with GNOME 48 built below
  gnome-shell mutter xdg-desktop-portal-gnome gnome-settings-daemon dconf-cli debootstrap
  # feedback tests: a private session bus, a notification daemon, an MPRIS player
  dbus dunst libnotify-bin mpv mpv-mpris playerctl
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Native addons (naudiodon) build with node-gyp against the headers of the Node that runs this
# script: a distribution's Node has them under /usr, nvm, fnm, volta and the official tarballs
# under their own prefix. Where the running Node has none, node-gyp does what it does by default
# (it downloads them for that version).
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix="$(node -p 'require("node:path").resolve(process.execPath, "..", "..")')"
  if [ -f "$node_prefix/include/node/node.h" ]; then
    export npm_config_nodedir="$node_prefix"
    echo "Building native addons against the headers of $(node --version) in $node_prefix"
  else
    echo "No headers next to $(command -v node) ($node_prefix/include/node): node-gyp fetches them"
  fi
fi
# The GNOME 48 tests run that desktop from a Debian 13 tree, built once per machine (about 2 minutes
# and 1.3 GB, in /var/cache/whis-test/gnome48); needs root, as the tests that use it do
if [ "$(id -u)" -eq 0 ]; then
  ./scripts/gnome48-root.sh
else
  echo "Not root: the GNOME 48 tests build their tree on first use (run sudo ./scripts/gnome48-root.sh)"
fi
export NX_DAEMON=false NX_NO_CLOUD=true
npm ci --no-audit --no-fund
npm run build
