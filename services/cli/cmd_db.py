"""`regdesk db upgrade`: create or migrate the schema."""
from __future__ import annotations

import argparse

from services import migrate
from services.config import Config
from services.db import Database


def register(sub, common) -> None:
    p = sub.add_parser("db", parents=[common], help="database schema")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=type(p))
    up = dsub.add_parser("upgrade", parents=[common], help="create or migrate the schema to the newest version")
    up.set_defaults(func=cmd_upgrade)


def cmd_upgrade(args: argparse.Namespace, cfg: Config) -> int:
    db = Database(cfg.database_url)
    try:
        before, after = migrate.upgrade(db)
    finally:
        db.dispose()
    if before == after:
        print(f"schema already at {after} ({db.url})")
    else:
        print(f"schema upgraded {before or 'empty'} -> {after} ({db.url})")
    return 0
