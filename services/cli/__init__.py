"""The command line: `regdesk COMMAND ...` (see shared/CONTRACT.md). No Qt is imported here.

Each command lives in a module of this package with a ``register(subparsers, common)``
function; a command's handler takes ``(args, cfg)`` and returns an exit code.
A failure prints one line on stderr and exits non-zero; no traceback reaches the user.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence

from services import config as config_mod, limits
from services.errors import ConfigError, RegdeskError

log = logging.getLogger(__name__)

COMMAND_MODULES = ("cmd_db", "cmd_demo", "cmd_staff", "cmd_autoapprove", "cmd_watch", "cmd_notify", "cmd_jobs", "cmd_excel",
                   "cmd_roster", "cmd_config", "cmd_holidays", "cmd_rules")


class UsageError(RegdeskError):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2, naming the command once ("regdesk:
    roster extra: argument --places: ..."); a long value it quotes
    ("invalid choice: 'xxxx…'") is cut as every quoted value is (services.limits.shown)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = re.sub(rf"'([^']{{{limits.SHOWN_CHARS + 1},}})'",
                         lambda m: repr(limits.shown(m.group(1))), message)
        command = self.prog.removeprefix("regdesk").strip()  # printed after "regdesk: " once (main)
        raise UsageError(f"{command}: {message}" if command else message)


def one_line(message: str) -> str:
    """A failure is one line on stderr: a message listing several problems (e.g. the first bad
    cells of an imported roster) keeps them, separated by semicolons, up to MESSAGE_CHARS."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    line = (lines[0] + " " + "; ".join(lines[1:]) if len(lines) > 1 else lines[0]) if lines else message
    if len(line) > limits.MESSAGE_CHARS:
        line = line[:limits.MESSAGE_CHARS] + "…"
    return line


def check_argv(argv: Sequence[str]) -> None:
    """No argument may carry a character that typed text may not hold (services.limits: control,
    format and bidi characters, bytes that are not UTF-8 ...): a NUL or an escape sequence in a
    name, reason or URL is a typing accident or an attack, and the database cannot store it."""
    for arg in argv:
        if len(arg) > limits.MAX_PATH_CHARS:  # no name, reason, URL or file name is that long
            raise UsageError(f"argument {limits.shown(arg)!r} is too long ({len(arg)} characters)")
        bad = limits.refused_char(arg)
        if bad is not None:
            raise UsageError(f"argument {limits.shown(arg)!r} contains a control character or an invisible one "
                             f"({limits.char_code(arg[bad])}), or bytes that are not UTF-8")


def build_parser(commands: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="SQLAlchemy database URL (default: $REGDESK_DATABASE_URL, else the embedded SQLite file)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")
    common.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                        help="the staff account a command that acts as a person logs in as (default: $REGDESK_USER; "
                             "the password from a prompt, or $REGDESK_PASSWORD)")
    parser = _Parser(prog="regdesk", parents=[common],
                     description="regdesk: the hospital registration desk console and its tools")
    parser.add_argument("--demo", action="store_true",
                        help="open the console on a demo database with simulated mini-program traffic")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    import importlib
    for name in commands:
        try:
            mod = importlib.import_module(f"services.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.cli.{name}":
                raise
            continue
        mod.register(sub, common)
    return parser


LOGIN_NEEDED = ("this command acts as a staff member: log in with --user NAME (or REGDESK_USER); "
                "the password is asked, or read from REGDESK_PASSWORD")


def login_name(args: argparse.Namespace) -> str:
    """The staff username given with --user or REGDESK_USER ('' when none)."""
    return (getattr(args, "user", None) or os.environ.get("REGDESK_USER") or "").strip()


def cli_actor(db, args: argparse.Namespace):
    """Who a command that changes staff, rosters or settings, or exports patients' data, acts as: the
    staff member who logs in here (``--user NAME`` or ``REGDESK_USER``; the password from a prompt on a
    terminal, or ``REGDESK_PASSWORD`` for scripts, as ``PGPASSWORD`` does). The services check that
    person's permissions and the audit log names them. A wrong password gets the console's answer
    and counts towards the same delay (services/staff/throttle.py). Jobs (autoapprove, notify, ...) do not
    call this: they act as themselves."""
    import getpass

    from services.staff import auth
    user = login_name(args)
    if not user:
        raise UsageError(LOGIN_NEEDED)
    password = os.environ.get("REGDESK_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no terminal to ask for the password of {user}: set REGDESK_PASSWORD")
        password = getpass.getpass(f"{user} 的密码 (password): ")
    return auth.login(db, user, password)


def iso_date(value: str):
    """An argparse type for YYYY-MM-DD."""
    import datetime as dt
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是有效日期（应为 YYYY-MM-DD）：{limits.shown(value)}") from None


def _int_words(rng: limits.IntRange, value: str) -> str:
    """argparse's English for a whole number outside ``rng``, or for text that is not one."""
    s = value.strip()
    if not limits.is_int_text(s):
        return f"not a whole number: {limits.shown(value)!r}"
    digits = s.lstrip("+-").lstrip("0")
    below = s.startswith("-") if len(digits) > 19 else int(s) < rng.lo
    if below:
        words = {1: "must be greater than 0", 0: "must not be negative"}.get(rng.lo, f"must be at least {rng.lo}")
        return f"{words}: {limits.shown(value)}"
    return f"must be at most {rng.hi}: {limits.shown(value)}"


def int_arg(rng: limits.IntRange):
    """An argparse type for a whole number inside ``rng`` (services/limits.py: the same limits the
    services and the roster import check)."""
    def parse(value: str) -> int:
        if rng.problem(value) is None:
            return int(value.strip())
        raise argparse.ArgumentTypeError(_int_words(rng, value))
    parse.__name__ = f"int_{rng.lo}_{rng.hi}"
    return parse


def float_arg(rng: limits.FloatRange, unit: str = ""):
    """An argparse type for a finite number inside ``rng``: NaN, infinities and values outside
    are refused, never clamped."""
    def parse(value: str) -> float:
        if rng.problem(value) is None:
            return float(value.strip())
        if not limits.is_float_text(value.strip()):
            raise argparse.ArgumentTypeError(f"not a number: {limits.shown(value)!r}")
        raise argparse.ArgumentTypeError(f"must be between {rng.lo:g} and {rng.hi:g}{unit}: {limits.shown(value)}")
    parse.__name__ = "number"
    return parse


def stop_on_signals(stop) -> dict:
    """SIGINT and SIGTERM set ``stop`` (a long-running command ends between steps, never between
    WeChat's ok and the database's record of it); returns the handlers to put back."""
    import signal
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda _s, _f: stop.set())
        except ValueError:  # not the main thread (called from a test): no handlers
            break
    return previous


def restore_signals(previous: dict) -> None:
    import signal
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def require_existing(url: str) -> None:
    """Commands that work on existing data must not leave an empty SQLite file behind a typo."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from services.db import normalize_url
    u = make_url(normalize_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" \
            or u.database.startswith("file:"):
        return
    try:
        there = Path(u.database).expanduser().exists()
    except OSError as exc:
        raise ConfigError(f"cannot use database file {limits.shown(u.database, 200)}: {exc.strerror}") from None
    if not there:
        raise ConfigError(f"database file does not exist: {limits.shown(u.database, 200)} "
                          "(create it with `regdesk db upgrade`)")


def open_database(cfg: config_mod.Config, *, check_schema: bool = True):
    """The Database for a command; refuses a schema that does not fit this program."""
    from services import migrate
    from services.db import Database
    if not check_schema:
        return Database(cfg.database_url)
    require_existing(cfg.database_url)
    return migrate.open_fitting(cfg.database_url)


def main(argv: Sequence[str] | None = None,
         console: Callable[[argparse.Namespace, config_mod.Config], int] | None = None) -> int:
    """Run one command. Without a command the console opens: ``console(args, cfg)``, handed in by main.py
    (services never import the console); a caller without one gets the usage."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        check_argv(argv)
        parser, args = _parse(argv)
        logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        # `config set-password` stores the password that loading would look up
        cfg = config_mod.load(getattr(args, "db", None), stored_password=args.command != "config")
        if args.command is None:
            if console is None:
                parser.error("a command is needed (the console opens from main.py)")
            return console(args, cfg)
        return int(args.func(args, cfg) or 0)
    except RegdeskError as exc:
        print(f"regdesk: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        from services.db import first_line, is_connection_error
        if not isinstance(exc, DBAPIError):
            raise
        what = "database unreachable" if is_connection_error(exc) else "database error"
        print(f"regdesk: {what}: {first_line(exc)}", file=sys.stderr)
        return 3


def _parse(argv: list[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser and the arguments. Without a command (the console opens) the commands' modules,
    which import SQLAlchemy and the models, are not imported: the log-in dialog does not wait for them."""
    if not {"-h", "--help"} & set(argv):
        light = build_parser(commands=())
        try:
            args, rest = light.parse_known_args(argv)
        except UsageError:  # a command: the full parser parses it, or says what is wrong
            rest = ["command"]
        if not rest and args.command is None:
            return light, args
    parser = build_parser()
    return parser, parser.parse_args(argv)

