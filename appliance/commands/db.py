"""attune db backup|restore|migrate: what an upgrade and a rollback do to the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import config_from

NAME = "db"
HELP = "back up, restore or migrate the database (upgrades and rollbacks use these)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", type=Path, help="the database file (default: attune.db in the state folder)"
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    b = sub.add_parser("backup", help="copy the database, live or not, to FILE (online backup)")
    b.add_argument("file", type=Path, metavar="FILE")
    r = sub.add_parser("restore", help="put the backup FILE back as the database (service stopped)")
    r.add_argument("file", type=Path, metavar="FILE")
    sub.add_parser("migrate", help="bring the database to this release's schema")


def run(args: argparse.Namespace) -> int:
    from appliance.app import DB_NAME
    from appliance.store.backup import BackupError, backup, migrate, restore
    from appliance.store.migrations import MigrationError

    db = args.db or Path(config_from(args).device.state_dir) / DB_NAME
    try:
        if args.action == "backup":
            version = backup(db, args.file)
            print(f"backed up {db} (schema version {version}) to {args.file}")
        elif args.action == "restore":
            version = restore(args.file, db)
            print(f"restored {db} (schema version {version}) from {args.file}")
        else:
            print(f"{db}: schema version {migrate(db)}")
    except (BackupError, MigrationError) as exc:
        print(f"attune db {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
