"""`regdesk rules ...`: the hospital's booking rules (services/bookings/rules.py) for scripts.

    regdesk rules show
    regdesk rules set KEY=VALUE [KEY=VALUE ...]

``show`` prints every rule as KEY=VALUE (what ``set`` reads back), with its Chinese name and meaning;
it needs no log-in. ``set`` acts as the admin who logs in (``--user NAME`` or ``REGDESK_USER``,
services.cli.cli_actor): every value is checked first (on/off, a whole number inside its limits,
HH:MM or off for a time) and nothing changes unless all are good; each change is audited.
"""
from __future__ import annotations

import argparse
from dataclasses import fields

from services.bookings import rules
from services.bookings import rule_text
from services.cli import cli_actor, open_database
from services.config import Config


def register(sub, common) -> None:
    p = sub.add_parser("rules", parents=[common], help="the hospital's booking rules")
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True, parser_class=type(p))
    show = rsub.add_parser("show", parents=[common], help="print every rule as KEY=VALUE")
    show.set_defaults(func=cmd_show)
    st = rsub.add_parser("set", parents=[common], help="change rules, all or nothing (admins)")
    st.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    st.set_defaults(func=cmd_set)


def _print(book: rules.Rules) -> None:
    for f in fields(rules.Rules):
        label, help_text = rules.RULE_LABELS[f.name]
        print(f"{f.name}={rule_text.shown_value(getattr(book, f.name))}\t# {label}：{help_text}")


def cmd_show(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        book = rules.load(db)
    _print(book)
    return 0


def cmd_set(args: argparse.Namespace, cfg: Config) -> int:
    changes = rule_text.parse_assignments(args.assignments)  # all checked before the log-in and any change
    with open_database(cfg) as db:
        before = rules.load(db)
        book = rules.save(db, cli_actor(db, args), **changes)
    changed = [k for k in changes if getattr(before, k) != getattr(book, k)]
    if not changed:
        print("规则未变（与现有取值相同）")
    for k in changed:
        print(f"{k}: {rule_text.shown_value(getattr(before, k))} -> {rule_text.shown_value(getattr(book, k))}")
    return 0
