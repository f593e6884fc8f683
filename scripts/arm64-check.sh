#!/usr/bin/env bash
# `make arm64-check`: installs Attune into an emulated Debian Bookworm arm64 root the way
# `sudo make install` does on a Pi, then runs `attune config check`, `attune hw check` and a
# 5-minute `attune demo` there on the emulated hardware. Catches a dependency that has no
# aarch64 wheel, or a system package missing on arm64, before a Pi does.
#
# The root is built once with debootstrap (qemu-user-static runs its arm64 binaries through
# binfmt_misc) and cached in $ARM64_ROOT (default .cache/arm64-root); ARM64_FRESH=1 rebuilds
# it. Needs root (debootstrap, chroot, mounts) and the network (Debian's archive and PyPI).
# Takes 20-40 minutes the first time, a few minutes after that.
set -euo pipefail

SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
ROOTFS="${ARM64_ROOT:-$SOURCE/.cache/arm64-root}"
MIRROR="${ARM64_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
DEMO_MINUTES="${ARM64_DEMO_MINUTES:-5}"
HOST_PACKAGES=(qemu-user-static binfmt-support debootstrap)
STAMP="$ROOTFS/.attune-root-complete"  # written last: a half-built root is rebuilt

say() { echo "arm64-check: $*"; }
fail() {
  echo "arm64-check: $*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mounts): sudo make arm64-check"

install_host_packages() {
  local missing=() pkg
  for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The kernel must hand arm64 executables to qemu-aarch64-static. Debian registers it with the
# F flag (the interpreter is opened at registration), so nothing is copied into the root.
register_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  if [ ! -e "$dir/register" ]; then
    mount -t binfmt_misc binfmt_misc "$dir" ||
      fail "cannot mount binfmt_misc on $dir: arm64 programs cannot run here"
  fi
  if ! grep -qx enabled "$dir/qemu-aarch64" 2>/dev/null; then
    update-binfmts --enable qemu-aarch64 ||
      fail "update-binfmts --enable qemu-aarch64 failed: arm64 programs cannot run here"
  fi
  grep -q '^flags: .*F' "$dir/qemu-aarch64" ||
    fail "qemu-aarch64 is registered without the F flag: the chroot cannot find its interpreter"
}

MOUNTS=()
mount_api() {
  local m
  for m in proc sys dev dev/pts; do
    mountpoint -q "$ROOTFS/$m" && continue
    case "$m" in
      proc) mount -t proc proc "$ROOTFS/proc" ;;
      sys) mount -t sysfs sys "$ROOTFS/sys" ;;
      dev) mount --bind /dev "$ROOTFS/dev" ;;
      dev/pts) mount --bind /dev/pts "$ROOTFS/dev/pts" ;;
    esac
    MOUNTS=("$ROOTFS/$m" "${MOUNTS[@]}")
  done
}
unmount_api() {
  local m
  for m in "${MOUNTS[@]}"; do
    umount -l "$m" 2>/dev/null || true
  done
  MOUNTS=()
}
# Whatever is still mounted under the root (a run that was killed): never delete through it.
unmount_leftovers() {
  local m
  for m in $(awk -v r="$ROOTFS/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" || fail "cannot unmount $m; unmount it before rebuilding the root"
  done
}
trap unmount_api EXIT

# A clean environment: the host's pip settings (local wheel folders, x86-64 indexes) must not
# leak in. The host's CA bundle does, so that pip trusts what the host trusts (a TLS proxy).
# With /proc mounted, systemctl no longer sees that it runs in a chroot and fails to reach a
# systemd that is not there; SYSTEMD_OFFLINE=1 makes it work offline as on an image: enable
# lays the symlinks, daemon-reload and try-restart are skipped.
in_root() {
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 SYSTEMD_OFFLINE=1 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
    "$@"
}

build_root() {
  if [ -f "$STAMP" ] && [ "${ARM64_FRESH:-0}" != 1 ]; then
    say "using the cached root $ROOTFS (ARM64_FRESH=1 rebuilds it)"
    return 0
  fi
  unmount_api
  unmount_leftovers
  rm -rf --one-file-system "$ROOTFS"
  mkdir -p "$(dirname "$ROOTFS")"
  say "building a Debian $SUITE arm64 root in $ROOTFS (debootstrap under qemu; 10-30 minutes)"
  local t0
  t0="$(now)"
  # minbase plus what a Pi OS Lite image has and install.sh expects: systemd for systemctl
  # enable, ca-certificates for pip, and the tools the install script itself calls.
  debootstrap --arch=arm64 --variant=minbase \
    --include=systemd,ca-certificates,findutils,procps \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.debootstrap.log" 2>&1 ||
    fail "debootstrap failed; see $ROOTFS.debootstrap.log"
  mv "$ROOTFS.debootstrap.log" "$ROOTFS/debootstrap.log"
  BUILD_S="$(elapsed "$t0" "$(now)")"
  echo "$BUILD_S" >"$ROOTFS/.attune-build-seconds"
  touch "$STAMP"
}

copy_source() {
  local dest="$ROOTFS/usr/src/attune"
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -C "$SOURCE" --exclude=./.venv --exclude=./.cache --exclude=./.git --exclude=./out \
    --exclude='__pycache__' -cf - . | tar -C "$dest" -xf -
}

main() {
  install_host_packages
  register_binfmt
  build_root
  [ "$(chroot "$ROOTFS" /usr/bin/uname -m)" = aarch64 ] || fail "the root does not run as aarch64"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/host-ca.crt"
  copy_source
  unmount_leftovers
  mount_api

  local t0 t_install t_demo
  say "installing Attune as sudo make install does (scripts/install.sh inside the root)"
  t0="$(now)"
  in_root /bin/bash -c 'cd /usr/src/attune && scripts/install.sh'
  t_install="$(elapsed "$t0" "$(now)")"
  say "a second install must change nothing"
  in_root /bin/bash -c 'cd /usr/src/attune && scripts/install.sh' | tee /dev/stderr |
    grep -q "already up to date" || fail "the second install changed something"

  local emulated=/opt/attune/current/share/examples/emulated.yaml
  say "attune config check (the installed /etc/attune, then the emulated example)"
  in_root attune config check
  in_root attune config check "$emulated"
  say "attune hw check on the emulated hardware"
  in_root attune --config "$emulated" hw check
  say "a ${DEMO_MINUTES}-minute attune demo under emulation"
  t0="$(now)"
  in_root attune demo --minutes "$DEMO_MINUTES" --out /tmp/attune-arm64-demo
  t_demo="$(elapsed "$t0" "$(now)")"
  in_root test -s /tmp/attune-arm64-demo/report.png || fail "the demo wrote no report"
  # The installed package must carry the affect model (else sessions silently play by rules).
  in_root /bin/bash -c "attune --config $emulated status --json >/tmp/attune-status.json || true"
  in_root /opt/attune/current/venv/bin/python -c '
import json, sys
model = json.load(open("/tmp/attune-status.json"))["model"]
sys.exit(0 if model["present"] and model["sha256"] else f"the installed model is missing: {model}")' ||
    fail "the installed program has no affect model"

  say "passed. Figures ($(nproc) host cores, $(uname -m) host):"
  say "  root build (debootstrap, once): $(cat "$ROOTFS/.attune-build-seconds") s"
  say "  install (scripts/install.sh):   $t_install s"
  say "  ${DEMO_MINUTES}-minute demo:              $t_demo s"
  say "  python: $(in_root /opt/attune/current/venv/bin/python -c 'import platform; print(platform.machine(), platform.python_version())')"
}

main "$@"
