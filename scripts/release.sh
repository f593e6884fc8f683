# Releases side by side under /opt/attune: the switch to a new one (an upgrade) and the way
# back (--rollback). Sourced by scripts/install.sh, whose variables and helpers it uses.

# Whether attune.service runs now. An image build (ROOT set, the real systemctl) has no
# running service of its own to ask about.
service_active() {
  [ -z "$ROOT" ] || [ -n "${ATTUNE_SYSTEMCTL:-}" ] || return 1
  query "$SYSTEMCTL" --quiet is-active attune.service 2>/dev/null
}

# The service's STATUS= line (monitor.py status_line): "session 03:12 anon; ..." while a
# session plays, "stopping; ..." while it fades out, "idle; ..." between sessions.
service_status() {
  query "$SYSTEMCTL" show attune.service --property=StatusText --value 2>/dev/null || true
}

# Waits until no session plays: an upgrade never cuts a listener's music off. Gives up after
# UPGRADE_WAIT_S, having changed nothing the running service uses.
wait_for_idle() {
  local waited=0 status
  while :; do
    status="$(service_status)"
    case "$status" in
      session* | stopping*) ;;
      *) return 0 ;;
    esac
    if [ "$waited" -ge "$UPGRADE_WAIT_S" ]; then
      echo "attune install: a session is still playing after ${UPGRADE_WAIT_S} s ($status);" \
        "nothing was switched: run this again after the session" >&2
      exit 1
    fi
    [ "$waited" -gt 0 ] || say "waiting for the session in progress to end ($status)"
    sleep "$POLL_S"
    waited=$((waited + POLL_S))
  done
}

# `attune db …` of a release (the new one: an older release may not have the command).
db_tool() {
  local release="$1"
  shift
  run_cmd "${ATTUNE_DB_TOOL:-$ROOT$release/venv/bin/attune}" db --db "$ROOT$DB" "$@"
}

# Points link (under ROOT) at target atomically: a power cut leaves the old or the new link.
relink() {
  local link="$ROOT$1" target="$2"
  [ "$DRY_RUN" = 1 ] && return 0
  ln -sfn "$target" "$link.new"
  mv -T "$link.new" "$link"
}

# The database and its backups stay the service user's (the tool ran as root).
own_state() {
  [ -e "$ROOT$DB" ] || [ -d "$ROOT$BACKUPS" ] || return 0
  run_cmd "$CHOWN" -R "$SERVICE_USER:$SERVICE_USER" "$ROOT$STATE"
}

stop_for_switch() {
  if service_active; then
    wait_for_idle
    say "stopping attune.service"
    run_cmd "$SYSTEMCTL" stop attune.service
    return 0
  fi
  return 1
}

# Makes releases/$VERSION the current one; an upgrade when another release was current.
switch_release() {
  local target="releases/$VERSION" old was_active=0
  old="$(readlink "$ROOT$CURRENT" 2>/dev/null || true)"
  [ "$old" != "$target" ] || return 0
  changed=1
  if [ -z "$old" ]; then
    say "making $RELEASE the current release"
    # A service running from the layout before releases must not lose its files under it.
    if [ -e "$ROOT$PREFIX/venv" ] && stop_for_switch; then
      was_active=1
    fi
    relink "$CURRENT" "$target"
    remove_old_layout
    if [ "$was_active" = 1 ]; then
      run_cmd "$SYSTEMCTL" start attune.service
      restarted=1
    fi
    return 0
  fi
  say "upgrading from ${old#releases/} to $VERSION"
  stop_for_switch && was_active=1
  if [ -f "$ROOT$DB" ]; then
    say "backing up the database to $BACKUPS/attune-${old#releases/}.db"
    db_tool "$RELEASE" backup "$ROOT$BACKUPS/attune-${old#releases/}.db"
  fi
  relink "$PREVIOUS" "$old"
  relink "$CURRENT" "$target"
  if [ -f "$ROOT$DB" ] && ! db_tool "$RELEASE" migrate; then
    echo "attune install: migrating the database failed; going back to ${old#releases/}" >&2
    db_tool "$RELEASE" restore "$ROOT$BACKUPS/attune-${old#releases/}.db"
    relink "$CURRENT" "$old"
    own_state
    [ "$was_active" = 0 ] || run_cmd "$SYSTEMCTL" start attune.service
    exit 1
  fi
  own_state
  if [ "$was_active" = 1 ]; then
    say "starting attune.service ($VERSION)"
    run_cmd "$SYSTEMCTL" start attune.service
    restarted=1
  fi
  say "upgraded to $VERSION; to go back: sudo attune upgrade --rollback"
}

# Before releases, the program lived in /opt/attune/venv and /opt/attune/share.
remove_old_layout() {
  local old
  for old in "$PREFIX/venv" "$PREFIX/share"; do
    [ -e "$ROOT$old" ] || continue
    say "removing $old (now under $RELEASE)"
    [ "$DRY_RUN" = 1 ] || rm -rf -- "${ROOT:?}$old"
  done
}

# Back to the previous release and the database backup taken when leaving it. The database as
# it is now is kept beside the backups, so sessions recorded since the upgrade are not lost.
rollback() {
  local cur prev was_active=0
  cur="$(readlink "$ROOT$CURRENT" 2>/dev/null || true)"
  prev="$(readlink "$ROOT$PREVIOUS" 2>/dev/null || true)"
  if [ -z "$prev" ] || [ ! -d "$ROOT$PREFIX/$prev" ]; then
    echo "attune install: no previous release to go back to (in $PREFIX/previous)" >&2
    exit 1
  fi
  say "rolling back from ${cur#releases/} to ${prev#releases/}"
  stop_for_switch && was_active=1
  if [ -f "$ROOT$DB" ]; then
    say "keeping the database as it is now in $BACKUPS/attune-${cur#releases/}-rolled-back.db"
    db_tool "$PREFIX/$cur" backup "$ROOT$BACKUPS/attune-${cur#releases/}-rolled-back.db"
    if [ -f "$ROOT$BACKUPS/attune-${prev#releases/}.db" ]; then
      say "restoring the database from $BACKUPS/attune-${prev#releases/}.db"
      db_tool "$PREFIX/$cur" restore "$ROOT$BACKUPS/attune-${prev#releases/}.db"
    fi
  fi
  relink "$CURRENT" "$prev"
  [ "$DRY_RUN" = 1 ] || rm -f -- "$ROOT$PREVIOUS"
  own_state
  if [ "$was_active" = 1 ]; then
    run_cmd "$SYSTEMCTL" start attune.service
  fi
  say "now running ${prev#releases/}"
}
