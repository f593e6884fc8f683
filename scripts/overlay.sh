# `sudo make install OVERLAY=1 [DATA=/data]`: Raspberry Pi OS's read-only overlay root, with
# Attune's state and configuration on a persistent partition. Sourced by scripts/install.sh,
# whose variables and helpers it uses; takes effect at the next reboot.
#
# DATA must already be a mounted, persistent partition (an SD-card partition or a USB stick in
# /etc/fstab): creating partitions is left to the technician, on purpose.
#   ATTUNE_MOUNTPOINT  "mountpoint -q" (tells whether DATA is mounted)
#   ATTUNE_RASPI_CONFIG  raspi-config (turns the overlay on)

DATA="${DATA:-/data}"
DATA="${DATA%/}"
MOUNTPOINT="${ATTUNE_MOUNTPOINT:-mountpoint -q}"
CMDLINE=/boot/firmware/cmdline.txt
FSTAB=/etc/fstab

# Copies dir into DATA once, then binds DATA's copy over dir in /etc/fstab.
persist_dir() {
  local dir="$1" copy="$DATA/attune/$2" line
  if [ ! -d "$ROOT$copy" ]; then
    say "copying $dir to $copy"
    changed=1
    [ "$DRY_RUN" = 1 ] || { mkdir -p "$ROOT$DATA/attune" && cp -a "$ROOT$dir" "$ROOT$copy"; }
  fi
  line="$copy $dir none bind 0 0"
  if ! grep -qsE "^[^#]*[[:space:]]$dir[[:space:]]+none[[:space:]]+bind" "$ROOT$FSTAB"; then
    say "binding $copy over $dir in $FSTAB"
    changed=1
    [ "$DRY_RUN" = 1 ] || printf '%s\n' "$line" >>"$ROOT$FSTAB"
  fi
}

setup_overlay() {
  # shellcheck disable=SC2086  # the injected command may carry arguments
  if ! $MOUNTPOINT "$ROOT$DATA"; then
    echo "attune install: OVERLAY=1 needs a persistent partition mounted at $DATA (DATA=...)" \
      "for the state and configuration; see docs/install.md 'Read-only (overlay) root'" >&2
    exit 1
  fi
  persist_dir "$STATE" lib
  persist_dir "$ETC" etc
  if [ -z "$RASPI_CONFIG" ]; then
    echo "attune install: raspi-config not found: turn the overlay root on yourself" >&2
    exit 1
  fi
  # raspi-config turns it on by adding overlayroot=tmpfs to the kernel's command line.
  if ! grep -qs 'overlayroot=' "$ROOT$CMDLINE"; then
    say "turning the read-only overlay root on (from the next reboot)"
    run_cmd "$RASPI_CONFIG" nonint do_overlayfs 0
    changed=1
  fi
  # Overlay only the root itself: DATA and the binds from it stay writable and persistent.
  if grep -qs 'overlayroot=tmpfs\([[:space:]]\|$\)' "$ROOT$CMDLINE"; then
    say "keeping $DATA out of the overlay (overlayroot=tmpfs:recurse=0 in $CMDLINE)"
    changed=1
    [ "$DRY_RUN" = 1 ] || sed -i 's/overlayroot=tmpfs\([[:space:]]\|$\)/overlayroot=tmpfs:recurse=0\1/' "$ROOT$CMDLINE"
  fi
  say "the overlay root, $STATE and $ETC on $DATA: all from the next reboot (sudo reboot)"
}
