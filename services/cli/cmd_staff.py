"""`regdesk staff add|list|unlock|password`: staff accounts from the command line.

The first admin account of a new installation is made here without a log-in (the console needs
one, and there is nobody yet to log in as); every other change logs in as an admin (``--user`` or
``REGDESK_USER``, see services.cli.cli_actor) and is audited as that person.
Passwords are never taken as arguments (they would end up in the shell history and the
process list): they are asked twice on a terminal, or read as one line with --password-stdin.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

from services import limits
from services.cli import UsageError, cli_actor, login_name, open_database
from services.config import Config
from services.domain import Role
from services.errors import NotFound, ValidationError
from services.models import ROLES
from services.staff import auth

log = logging.getLogger(__name__)


def register(sub, common) -> None:
    p = sub.add_parser("staff", parents=[common], help="staff accounts")
    ssub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True, parser_class=type(p))
    add = ssub.add_parser("add", parents=[common], help="create a staff account (asks for the password)")
    add.add_argument("name", metavar="NAME", help="the log-in name (2-32 letters, digits, _ . -)")
    add.add_argument("--role", required=True, choices=ROLES, help="clerk, head (of departments) or admin")
    add.add_argument("--department", metavar="CODE", action="append", default=[],
                     help="department code (repeat, or separate with commas); a head needs at least one")
    add.add_argument("--display-name", metavar="TEXT", help="the name shown in the console (default: NAME)")
    add.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    add.set_defaults(func=cmd_add)
    ls = ssub.add_parser("list", parents=[common], help="list staff accounts")
    ls.set_defaults(func=cmd_list)
    un = ssub.add_parser("unlock", parents=[common], help="lift a lock-out after too many wrong passwords")
    un.add_argument("name", metavar="NAME")
    un.set_defaults(func=cmd_unlock)
    pw = ssub.add_parser("password", parents=[common], help="set a new password for an account")
    pw.add_argument("name", metavar="NAME")
    pw.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    pw.set_defaults(func=cmd_password)


def read_password(from_stdin: bool) -> str:
    """One line from stdin, or asked twice on the terminal; never from an argument."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
    first = getpass.getpass("密码 (password): ")
    second = getpass.getpass("再输入一次 (again): ")
    if first != second:
        raise ValidationError("两次输入的密码不一致")
    return first



def _codes(values: list[str]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def _by_name(db, name: str) -> auth.StaffInfo:
    wanted = name.strip().lower()
    for s in auth.list_staff(db):
        if s.username == wanted:
            return s
    raise NotFound(f"账号不存在：{limits.shown(name)}")


def cmd_add(args: argparse.Namespace, cfg: Config) -> int:
    codes = _codes(args.department)
    if args.role == Role.HEAD and not codes:
        raise UsageError("a head needs at least one --department CODE")
    with open_database(cfg) as db:
        if not login_name(args) and not auth.has_admin(db):
            if args.role != Role.ADMIN:
                raise UsageError("there is no admin account yet: the first account must be an admin "
                                 "(regdesk staff add NAME --role admin)")
            info = auth.create_first_admin(db, args.name, args.display_name or args.name,
                                           read_password(args.password_stdin))
        else:
            actor = cli_actor(db, args)
            info = auth.create_staff(db, actor, args.name, args.display_name or args.name, args.role,
                                     read_password(args.password_stdin), codes)
    deps = f", departments {','.join(info.department_codes)}" if info.department_codes else ""
    print(f"created staff account {info.username} ({info.role}{deps})")
    return 0


def cmd_list(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        staff = auth.list_staff(db)
    for s in staff:
        state = "active" if s.active else "disabled"
        if s.locked():
            state += ", log-in delayed"
        # names are printed with invisible and control characters made visible: a row written before
        # they were refused (or by hand) must not rewrite the terminal
        fields = (s.username, s.role, ",".join(s.department_codes) or "-", state, s.display_name)
        print("\t".join(limits.printable(f) for f in fields))
    return 0


def cmd_unlock(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        actor = cli_actor(db, args)
        info = _by_name(db, args.name)
        auth.unlock(db, actor, info.id)
    print(f"unlocked {info.username}")
    return 0


def cmd_password(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        actor = cli_actor(db, args)
        info = _by_name(db, args.name)
        auth.reset_password(db, actor, info.id, read_password(args.password_stdin))
    print(f"password changed for {info.username}")
    return 0
