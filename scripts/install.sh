#!/usr/bin/env bash
# Installs Attune as a service on Raspberry Pi OS Bookworm: `sudo make install`.
#
# Idempotent: a second run changes nothing. Never overwrites a technician's edits in /etc/attune;
# a newer shipped file is put beside it as <name>.dist.
#
# Releases: each version goes to /opt/attune/releases/<version>, and /opt/attune/current links
# to the one that runs. Installing a new version is an upgrade: the new release is built beside
# the running one, then the script waits for the session in progress to end, stops the service,
# backs the database up (SQLite's online backup, to /var/lib/attune/backups/), switches
# `current`, migrates the database and starts the service again. /etc/attune and
# /var/lib/attune are kept. `install.sh --rollback` (`sudo attune upgrade --rollback`) goes back
# to the previous release and the database backup taken when leaving it.
#
# For image builds and tests every path is under $ROOT (or $DESTDIR), and every system command
# can be replaced through an environment variable (set one to `true` to skip that step):
#   ATTUNE_APT        apt-get                   ATTUNE_SYSTEMCTL  systemctl
#   ATTUNE_RASPI_CONFIG raspi-config (if found) ATTUNE_USERADD    useradd
#   ATTUNE_GROUPADD   groupadd                  ATTUNE_USERMOD    usermod
#   ATTUNE_VENV       "python3 -m venv"         ATTUNE_PIP        <venv>/bin/python -m pip
#   ATTUNE_CHOWN      chown                     ATTUNE_UDEVADM    udevadm
#   ATTUNE_DB_TOOL    <release>/venv/bin/attune (runs `attune db backup|restore|migrate`)
#   ATTUNE_UPGRADE_WAIT_S  how long an upgrade waits for a session to end (default 7200)
#   ATTUNE_POLL_S     how often it looks (default 10)
# DRY_RUN=1 prints what would change and changes nothing. OVERLAY=1 (with DATA=/data) also
# turns Raspberry Pi OS's read-only overlay root on: scripts/overlay.sh.
set -euo pipefail

SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${ROOT:-${DESTDIR:-}}"
ROOT="${ROOT%/}"
DRY_RUN="${DRY_RUN:-0}"

SERVICE_USER=attune
SERVICE_GROUPS=(i2c gpio audio bluetooth)
PREFIX=/opt/attune
# Empty in an installed copy (share/install.sh), which only ever rolls back.
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$SOURCE/pyproject.toml" 2>/dev/null || true)"
RELEASES="$PREFIX/releases"
RELEASE="$RELEASES/$VERSION"
CURRENT="$PREFIX/current"    # -> releases/<version>: what the unit and /usr/local/bin run
PREVIOUS="$PREFIX/previous"  # -> releases/<version>: what --rollback returns to
VENV="$RELEASE/venv"
ETC=/etc/attune
STATE=/var/lib/attune
DB="$STATE/attune.db"
BACKUPS="$STATE/backups"
UNIT=/etc/systemd/system/attune.service
POLKIT_RULE=/etc/polkit-1/rules.d/50-attune-power-off.rules
BIN_LINK=/usr/local/bin/attune
# A plugged USB stick: the udev rule starts the template unit, which mounts it with the helper.
USB_UNIT=/etc/systemd/system/attune-usb@.service
USB_RULE=/etc/udev/rules.d/90-attune-usb.rules
USB_MOUNT="$RELEASE/libexec/attune-usb-mount"  # the unit runs it through current/

APT_PACKAGES=(
  python3-venv python3-dev gcc pkg-config  # the venv; PyAudio compiles against these
  portaudio19-dev libportaudio2 alsa-utils  # PyAudio (no Linux wheel) and `aplay -l`
  libfluidsynth3 fluidr3mono-gm-soundfont   # the synthesiser and its General MIDI soundfont
  espeak-ng                                 # spoken prompts
  bluez                                     # BLE heart-rate straps (bleak talks to BlueZ)
  i2c-tools                                 # i2cdetect, for wiring checks
  polkitd                                   # lets the service power off through logind
)

APT="${ATTUNE_APT:-apt-get}"
SYSTEMCTL="${ATTUNE_SYSTEMCTL:-systemctl}"
RASPI_CONFIG="${ATTUNE_RASPI_CONFIG-$(command -v raspi-config || true)}"
USERADD="${ATTUNE_USERADD:-useradd}"
GROUPADD="${ATTUNE_GROUPADD:-groupadd}"
USERMOD="${ATTUNE_USERMOD:-usermod}"
MAKE_VENV="${ATTUNE_VENV:-python3 -m venv}"
CHOWN="${ATTUNE_CHOWN:-chown}"
UDEVADM="${ATTUNE_UDEVADM:-udevadm}"
PIP="${ATTUNE_PIP:-$ROOT$VENV/bin/python -m pip}"
UPGRADE_WAIT_S="${ATTUNE_UPGRADE_WAIT_S:-7200}"
POLL_S="${ATTUNE_POLL_S:-10}"

changed=0    # anything installed or replaced by this run
restarted=0  # the switch to a new release stopped and started the service itself
say() { echo "attune install: $*"; }

# Runs a system command, or only prints it in a dry run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

# Same, for a command given as one string from the environment (it may carry arguments).
run_cmd() {
  local cmd="$1"
  shift
  # shellcheck disable=SC2086  # word-splitting the injected command is the point
  run $cmd "$@"
}

# Runs a read-only query, in a dry run too.
query() {
  local cmd="$1"
  shift
  # shellcheck disable=SC2086
  $cmd "$@"
}

root_opt() { [ -z "$ROOT" ] || printf -- '--root=%s' "$ROOT"; }

# Copies src to dst (under ROOT) when dst is missing or differs; mode as given.
install_file() {
  local src="$1" dst="$ROOT$2" mode="$3"
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    return 0
  fi
  say "installing $2"
  changed=1
  [ "$DRY_RUN" = 1 ] || install -D -m "$mode" "$src" "$dst"
}

# Copies a config file only when absent; a different shipped version goes beside it as .dist.
install_config() {
  local src="$1" dst="$ROOT$2" mode="${3:-0644}"
  if [ ! -e "$dst" ]; then
    install_file "$src" "$2" "$mode"
  elif ! cmp -s "$src" "$dst"; then
    if [ ! -f "$dst.dist" ] || ! cmp -s "$src" "$dst.dist"; then
      say "keeping your $2; the shipped version is in $2.dist (compare: diff $2 $2.dist)"
      changed=1
      [ "$DRY_RUN" = 1 ] || install -m "$mode" "$src" "$dst.dist"
    fi
  fi
}

# Listener profiles say who consented, who lives with dementia and when they listen: readable
# by the service's user only (0600 in a 0700 folder, owned by attune; ProtectSystem=strict
# keeps /etc read-only for the service all the same). Modes of existing files are put right.
install_profiles() {
  local dir="$ROOT$ETC/listeners" f fixed=0
  if [ ! -d "$dir" ] || [ "$(stat -c %a "$dir")" != 700 ]; then
    say "making $ETC/listeners private (0700)"
    fixed=1
    [ "$DRY_RUN" = 1 ] || install -d -m 0700 "$dir"
  fi
  for f in "$SOURCE"/config/listeners/*.yaml; do
    [ -e "$f" ] || continue
    [ -e "$dir/$(basename "$f")" ] || fixed=1
    install_config "$f" "$ETC/listeners/$(basename "$f")" 0600
  done
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    if [ "$(stat -c %a "$f")" != 600 ]; then
      say "making $ETC/listeners/$(basename "$f") private (0600)"
      fixed=1
      [ "$DRY_RUN" = 1 ] || chmod 0600 "$f"
    fi
  done
  [ "$fixed" = 1 ] || return 0
  changed=1
  run_cmd "$CHOWN" -R "$SERVICE_USER:$SERVICE_USER" "$dir"
}

check_privileges() {
  if [ -z "$ROOT" ] && [ "$DRY_RUN" != 1 ] && [ "$(id -u)" -ne 0 ]; then
    echo "attune install: needs root: sudo make install" >&2
    exit 1
  fi
}

# An overlay root loses every write at reboot: installing onto it would vanish.
check_not_overlay_root() {
  [ -z "$ROOT" ] || return 0
  if [ "$(findmnt -n -o FSTYPE / 2>/dev/null || true)" = overlay ]; then
    echo "attune install: the root filesystem is a read-only overlay, so this install would be" \
      "lost at reboot. Disable it (sudo raspi-config nonint do_overlayfs 1), reboot, install," \
      "then see docs/install.md 'Read-only (overlay) root'." >&2
    exit 1
  fi
}

install_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing system packages: ${missing[*]}"
  run_cmd "$APT" update -qq
  DEBIAN_FRONTEND=noninteractive run_cmd "$APT" install -y -qq "${missing[@]}"
}

enable_i2c() {
  if [ -z "$RASPI_CONFIG" ]; then
    say "raspi-config not found: enable I2C yourself (dtparam=i2c_arm=on in" \
      "/boot/firmware/config.txt, i2c-dev in /etc/modules-load.d/), then reboot"
    return 0
  fi
  # get_i2c prints 0 when I2C is already on.
  if [ "$(query "$RASPI_CONFIG" nonint get_i2c 2>/dev/null || true)" = 0 ]; then
    return 0
  fi
  say "enabling I2C (takes effect after a reboot)"
  run_cmd "$RASPI_CONFIG" nonint do_i2c 0
  changed=1
}

has_group() { grep -q "^$1:" "$ROOT/etc/group" 2>/dev/null; }
in_group() { grep -E "^$1:" "$ROOT/etc/group" 2>/dev/null | cut -d: -f4 | tr , '\n' | grep -qx "$2"; }

account_opts() { [ -z "$ROOT" ] || printf -- '--root\n%s\n' "$ROOT"; }

create_user() {
  local opts group missing=()
  mapfile -t opts < <(account_opts)
  if ! grep -q "^$SERVICE_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
    say "creating system user $SERVICE_USER (no login)"
    run_cmd "$USERADD" "${opts[@]}" --system --user-group --no-create-home \
      --home-dir "$STATE" --shell /usr/sbin/nologin --comment "Attune service" "$SERVICE_USER"
    changed=1
  fi
  for group in "${SERVICE_GROUPS[@]}"; do
    # systemd refuses to start a unit whose SupplementaryGroups= names a missing group.
    if ! has_group "$group"; then
      say "creating group $group"
      run_cmd "$GROUPADD" "${opts[@]}" --system "$group"
      changed=1
    fi
    in_group "$group" "$SERVICE_USER" || missing+=("$group")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "adding $SERVICE_USER to groups: ${missing[*]}"
    run_cmd "$USERMOD" "${opts[@]}" --append --groups "$(IFS=,; echo "${missing[*]}")" \
      "$SERVICE_USER"
    changed=1
  fi
}

# A fingerprint of the project's source: the venv is rebuilt only when it changes.
source_fingerprint() {
  (cd "$SOURCE" && find pyproject.toml README.md appliance drivers models -type f \
    ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum) |
    sha256sum | cut -d' ' -f1
}

install_venv() {
  local stamp="$ROOT$VENV/.attune-source" fingerprint staging
  if [ ! -x "$ROOT$VENV/bin/python" ]; then
    say "creating the virtual environment $VENV"
    run_cmd "$MAKE_VENV" "$ROOT$VENV"
    changed=1
  fi
  fingerprint="$(source_fingerprint)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
    return 0
  fi
  say "installing Attune into $VENV (runtime dependencies only)"
  # A copy of the sources: an in-tree build would leave root-owned build/ and egg-info behind.
  staging="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand now: the variable is local
  trap "rm -rf '$staging'" EXIT
  # models/ is a package too: the shipped affect model and its description live in it.
  (cd "$SOURCE" && cp -r pyproject.toml README.md appliance drivers models "$staging/")
  find "$staging" -name __pycache__ -prune -exec rm -rf {} +
  run_cmd "$PIP" install --quiet --no-cache-dir "$staging"
  # gpiozero's backend on every Pi (the only one on a Pi 5); a wheel exists for aarch64.
  if [ "$(uname -m)" = aarch64 ]; then
    run_cmd "$PIP" install --quiet --no-cache-dir lgpio
  fi
  [ "$DRY_RUN" = 1 ] || printf '%s\n' "$fingerprint" >"$stamp"
  changed=1
}

install_files() {
  local f
  install_file "$SOURCE/docs/install.md" "$RELEASE/share/doc/install.md" 0644
  # This script travels with its release: `attune upgrade --rollback` runs it from there.
  install_file "$SOURCE/scripts/install.sh" "$RELEASE/share/install.sh" 0755
  install_file "$SOURCE/scripts/release.sh" "$RELEASE/share/release.sh" 0644
  install_file "$SOURCE/scripts/overlay.sh" "$RELEASE/share/overlay.sh" 0644
  for f in "$SOURCE"/config/examples/*.yaml; do
    install_file "$f" "$RELEASE/share/examples/$(basename "$f")" 0644
  done
  # The trained affect model and its description, when the checkout has them.
  for f in "$SOURCE"/models/*.tflite "$SOURCE"/models/*.json; do
    [ -e "$f" ] || continue
    install_file "$f" "$RELEASE/share/models/$(basename "$f")" 0644
  done
  if [ "$(readlink "$ROOT$BIN_LINK" 2>/dev/null || true)" != "$CURRENT/venv/bin/attune" ]; then
    say "linking $BIN_LINK"
    changed=1
    [ "$DRY_RUN" = 1 ] || { mkdir -p "$ROOT$(dirname "$BIN_LINK")" && ln -sfn "$CURRENT/venv/bin/attune" "$ROOT$BIN_LINK"; }
  fi
  install_config "$SOURCE/config/attune.yaml" "$ETC/attune.yaml"
  install_profiles
  if [ ! -d "$ROOT$ETC/conf.d" ]; then
    changed=1
    [ "$DRY_RUN" = 1 ] || install -d -m 0755 "$ROOT$ETC/conf.d"
  fi
  # systemd creates it too (StateDirectory=) and makes attune its owner at every start.
  if [ ! -d "$ROOT$STATE" ]; then
    changed=1
    [ "$DRY_RUN" = 1 ] || install -d -m 0700 "$ROOT$STATE"
  fi
  install_file "$SOURCE/systemd/50-attune-power-off.rules" "$POLKIT_RULE" 0644
  install_file "$SOURCE/docs/usb.md" "$RELEASE/share/doc/usb.md" 0644
  install_file "$SOURCE/systemd/attune-usb-mount" "$USB_MOUNT" 0755
}

# The USB route: started by udev when a stick is plugged in, never enabled by itself.
install_usb() {
  local was="$changed"
  changed=0
  install_file "$SOURCE/systemd/attune-usb@.service" "$USB_UNIT" 0644
  install_file "$SOURCE/systemd/90-attune-usb.rules" "$USB_RULE" 0644
  if [ "$changed" = 1 ] && [ -z "$ROOT" ]; then
    run_cmd "$SYSTEMCTL" daemon-reload
    # No udev daemon in a chroot or an image being built: the rule is read at its next start.
    run_cmd "$UDEVADM" control --reload-rules ||
      say "udev is not running here: the USB rule applies from the next boot"
  fi
  [ "$was" = 0 ] || changed=1
}

install_unit() {
  if [ ! -f "$ROOT$UNIT" ] || ! cmp -s "$SOURCE/systemd/attune.service" "$ROOT$UNIT"; then
    install_file "$SOURCE/systemd/attune.service" "$UNIT" 0644
    [ -n "$ROOT" ] || run_cmd "$SYSTEMCTL" daemon-reload
  fi
  # shellcheck disable=SC2046  # root_opt is empty or one word
  if ! query "$SYSTEMCTL" $(root_opt) --quiet is-enabled attune.service 2>/dev/null; then
    say "enabling attune.service"
    # shellcheck disable=SC2046
    run_cmd "$SYSTEMCTL" $(root_opt) --quiet enable attune.service
    changed=1
  fi
}

main() {
  check_privileges
  if [ "${1:-}" = --rollback ]; then
    rollback
    return 0
  fi
  check_not_overlay_root
  install_apt_packages
  [ -n "$ROOT" ] || enable_i2c
  create_user
  install_venv
  install_files
  install_unit
  install_usb
  switch_release
  [ "${OVERLAY:-0}" != 1 ] || setup_overlay
  if [ "$changed" = 0 ]; then
    say "already up to date; nothing changed"
    return 0
  fi
  if [ -z "$ROOT" ] && [ "$restarted" = 0 ]; then
    # Picks up new code or a new unit; does nothing when the service is not running.
    run_cmd "$SYSTEMCTL" try-restart attune.service
  fi
  say "done. Check the hardware: attune hw check; start: sudo systemctl start attune;" \
    "follow the log: attune logs -f"
}

# shellcheck source=scripts/release.sh
. "$(dirname "$0")/release.sh"
# shellcheck source=scripts/overlay.sh
. "$(dirname "$0")/overlay.sh"

main "$@"
