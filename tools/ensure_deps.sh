#!/bin/sh
# Installs the system packages padlink's demo and tests need, when missing:
# SDL2 (the client reads devices through it), Xvfb and xdotool (the keyboard
# test types into the client's window on a virtual X server), Chromium (the
# web view's tests drive it headless over the DevTools protocol), nats-server
# (the NATS output's tests start their own broker).
# Fails with one clear line when they are missing and cannot be installed.
set -eu

missing=""
have_sdl2() {
  if [ -n "${PADLINK_SDL2:-}" ]; then
    [ -e "$PADLINK_SDL2" ]
  else
    ldconfig -p 2>/dev/null | grep -q 'libSDL2-2.0.so.0'
  fi
}
have_sdl2 || missing="$missing libsdl2-2.0-0"
command -v Xvfb >/dev/null 2>&1 || missing="$missing xvfb"
command -v xdotool >/dev/null 2>&1 || missing="$missing xdotool"
command -v "${PADLINK_CHROMIUM:-chromium}" >/dev/null 2>&1 || missing="$missing chromium"
{ command -v nats-server || [ -x /usr/sbin/nats-server ]; } >/dev/null 2>&1 || missing="$missing nats-server"

[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "padlink: missing system packages:$missing. Install them with your package manager (SDL2, Xvfb, xdotool, Chromium, nats-server), then run again." >&2
  exit 1
fi

if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "padlink: missing system packages:$missing. Run as root: apt-get install -y$missing" >&2
  exit 1
fi

echo "padlink: installing$missing ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq $missing >/dev/null; }; then
  echo "padlink: could not install$missing with apt-get. Install them by hand (apt-get install -y$missing), then run again." >&2
  exit 1
fi
