#!/usr/bin/env bash
# Removes Attune's service, program and polkit rule: `sudo make uninstall`.
#
# Keeps the technician's configuration (/etc/attune), the sessions and listeners' data
# (/var/lib/attune) and the attune user, unless PURGE=1 (`sudo make uninstall PURGE=1`).
# System packages stay: other software may use them. Idempotent.
#
# $ROOT (or $DESTDIR), DRY_RUN=1 and the command variables work as in scripts/install.sh:
#   ATTUNE_SYSTEMCTL (systemctl), ATTUNE_USERDEL (userdel), ATTUNE_UDEVADM (udevadm).
set -euo pipefail

ROOT="${ROOT:-${DESTDIR:-}}"
ROOT="${ROOT%/}"
DRY_RUN="${DRY_RUN:-0}"
PURGE="${PURGE:-0}"

SERVICE_USER=attune
PREFIX=/opt/attune
ETC=/etc/attune
STATE=/var/lib/attune
CACHE=/var/cache/attune
UNIT=/etc/systemd/system/attune.service
POLKIT_RULE=/etc/polkit-1/rules.d/50-attune-power-off.rules
BIN_LINK=/usr/local/bin/attune
USB_UNIT=/etc/systemd/system/attune-usb@.service
USB_RULE=/etc/udev/rules.d/90-attune-usb.rules

SYSTEMCTL="${ATTUNE_SYSTEMCTL:-systemctl}"
USERDEL="${ATTUNE_USERDEL:-userdel}"
UDEVADM="${ATTUNE_UDEVADM:-udevadm}"

say() { echo "attune uninstall: $*"; }

run_cmd() {
  local cmd="$1"
  shift
  if [ "$DRY_RUN" = 1 ]; then
    echo "would run: $cmd $*"
  else
    # shellcheck disable=SC2086  # word-splitting the injected command is the point
    $cmd "$@"
  fi
}

remove() {
  local path="$ROOT$1"
  [ -e "$path" ] || [ -L "$path" ] || return 0
  say "removing $1"
  [ "$DRY_RUN" = 1 ] || rm -rf -- "$path"
}

if [ -z "$ROOT" ] && [ "$DRY_RUN" != 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "attune uninstall: needs root: sudo make uninstall" >&2
  exit 1
fi

if [ -e "$ROOT$UNIT" ]; then
  if [ -z "$ROOT" ]; then
    # --now stops it: a running session fades out and is recorded first.
    run_cmd "$SYSTEMCTL" disable --now --quiet attune.service || true
  else
    run_cmd "$SYSTEMCTL" "--root=$ROOT" disable --quiet attune.service || true
  fi
  remove "$UNIT"
  [ -n "$ROOT" ] || run_cmd "$SYSTEMCTL" daemon-reload
fi
remove "$POLKIT_RULE"
# The USB route: the rule first, so no new stick starts the unit while it goes.
if [ -e "$ROOT$USB_RULE" ] || [ -e "$ROOT$USB_UNIT" ]; then
  remove "$USB_RULE"
  [ -n "$ROOT" ] || run_cmd "$UDEVADM" control --reload-rules ||
    say "udev is not running here: the USB rule is gone from the next boot"
  remove "$USB_UNIT"
  [ -n "$ROOT" ] || run_cmd "$SYSTEMCTL" daemon-reload
fi
remove "$BIN_LINK"
remove "$PREFIX"

if [ "$PURGE" = 1 ]; then
  remove "$ETC"
  remove "$STATE"
  remove "$CACHE"
  if grep -q "^$SERVICE_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
    say "removing user $SERVICE_USER"
    if [ -z "$ROOT" ]; then
      run_cmd "$USERDEL" "$SERVICE_USER"
    else
      run_cmd "$USERDEL" --root "$ROOT" "$SERVICE_USER"
    fi
  fi
else
  for kept in "$ETC" "$STATE"; do
    if [ -e "$ROOT$kept" ]; then
      say "kept $kept (remove it too with: sudo make uninstall PURGE=1)"
    fi
  done
fi
say "done"
