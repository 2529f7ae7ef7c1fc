"""`regdesk db upgrade` (create or migrate the schema) and `regdesk db grant ROLE USER` (an account
for one job), both run as the database's owner account (docs/deployment.md).

`db upgrade` also grants every account of this database (``db_accounts``) its job's privileges
again, so that a table a new revision adds is usable at once by the accounts that need it.
"""
from __future__ import annotations

import argparse
import sys

from services import migrate
from services.config import Config
from services.db import Database
from services.errors import ConfigError
from services.models import DB_ROLES
from services.staff import accounts


def register(sub, common) -> None:
    p = sub.add_parser("db", parents=[common], help="database schema and accounts")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=type(p))
    up = dsub.add_parser("upgrade", parents=[common], help="create or migrate the schema to the newest version")
    up.set_defaults(func=cmd_upgrade)
    gr = dsub.add_parser("grant", parents=[common],
                         help="create or update a database account with exactly what one job needs")
    gr.add_argument("role", choices=DB_ROLES, metavar="ROLE", help="miniprogram, desk or jobs")
    gr.add_argument("account", metavar="USER", help="the database account (2-32 of a-z, 0-9, _)")
    gr.add_argument("--password-stdin", action="store_true",
                    help="read the account's password as one line from stdin (else asked on a terminal; "
                         "an account this database already knows keeps its password when none is given)")
    gr.add_argument("--host", metavar="PATTERN",
                    help="MySQL/MariaDB: the host part of the account (default %%, any host)")
    gr.set_defaults(func=cmd_grant)


def cmd_upgrade(args: argparse.Namespace, cfg: Config) -> int:
    db = Database(cfg.database_url)
    try:
        before, after = migrate.upgrade(db)
        if before == after:
            print(f"schema already at {after} ({db.url})")
        else:
            print(f"schema upgraded {before or 'empty'} -> {after} ({db.url})")
        again = accounts.grant_known(db)
    finally:
        db.dispose()
    if again:
        print("privileges granted again: " + ", ".join(f"{g.name} ({g.role})" for g in again))
    return 0


def _password(args: argparse.Namespace) -> str | None:
    from services.cli.cmd_staff import read_password
    if args.password_stdin:
        return read_password(True)
    if sys.stdin.isatty():
        print("Enter the new password of the database account (empty: keep the current one).", file=sys.stderr)
        return read_password(False) or None
    return None


def cmd_grant(args: argparse.Namespace, cfg: Config) -> int:
    from services.cli import open_database
    with open_database(cfg) as db:
        if db.dialect == "sqlite":
            raise ConfigError(accounts.NO_ACCOUNTS)
        granted = accounts.grant(db, args.role, args.account, _password(args), host=args.host)
    what = "created" if granted.created else "updated"
    print(f"database account {granted.name} {what}: {granted.role} ({granted.tables} tables and views)")
    return 0
