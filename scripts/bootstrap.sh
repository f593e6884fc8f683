#!/usr/bin/env bash
# Installs what Attune needs on Debian 12 / Raspberry Pi OS Bookworm: the system packages that
# are missing, then a .venv with the project. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-dev}"
apt_packages=(
  python3-venv        # the .venv
  python3-dev gcc pkg-config  # PyAudio (and dbus-python for tests) compile against these
  portaudio19-dev     # PyAudio builds against PortAudio (no Linux wheel)
  libfluidsynth3      # the synthesiser behind pyfluidsynth
  fluidr3mono-gm-soundfont  # General MIDI soundfont (MIT), sf3 with dynamic sample loading
  espeak-ng           # spoken prompts, with voices for every shipped language (en de fr es nl)
)
if [ "$extras" != "runtime" ]; then
  apt_packages+=(
    dbus                # dbus-daemon: the private system bus the BLE tests run bleak against
    libdbus-1-dev       # dbus-python (python-dbusmock's dependency) builds against these
    libglib2.0-dev
    dosfstools fusefat  # the USB tests: a FAT image (mkfs.vfat) mounted through FUSE
    exfatprogs exfat-fuse  # the same for exFAT (on a loop device: needs root, else skipped)
  )
fi
if [ "${ATTUNE_BENCH:-0}" = "1" ]; then
  apt_packages+=(
    fluidsynth          # the command-line renderer: the music benchmark's peer
  )
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing the project into .venv (extras: $extras)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[$extras]"
  touch "$stamp"
fi
