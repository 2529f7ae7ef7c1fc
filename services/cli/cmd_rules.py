"""`regdesk rules ...`: the hospital's booking rules (services/bookings/rules.py) for scripts.

    regdesk rules show
    regdesk rules set KEY=VALUE [KEY=VALUE ...]
    regdesk rules share (--department ID | --session ID) [--kind desk|referral|followup] PCT|off

``show`` prints every rule as KEY=VALUE (what ``set`` reads back), with its Chinese name and meaning;
it needs no log-in. ``set`` acts as the admin who logs in (``--user NAME`` or ``REGDESK_USER``,
services.cli.cli_actor): every value is checked first (on/off, a whole number inside its limits,
HH:MM or off for a time) and nothing changes unless all are good; each change is audited.
``share`` sets a share of each slot kept (号源池, services/rosters/shares.py): for the desk (现场号, the default
``--kind``), for referrals (转诊/医联体) or for follow-ups (复诊), for a department (admins) or a session (``off``:
its department's again; heads of its department too).
"""
from __future__ import annotations

import argparse
from dataclasses import fields

from services import limits
from services.bookings import rule_text, rules
from services.cli import cli_actor, int_arg, open_database
from services.config import Config
from services.rosters import shares


def register(sub, common) -> None:
    p = sub.add_parser("rules", parents=[common], help="the hospital's booking rules")
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True, parser_class=type(p))
    show = rsub.add_parser("show", parents=[common], help="print every rule as KEY=VALUE")
    show.set_defaults(func=cmd_show)
    st = rsub.add_parser("set", parents=[common], help="change rules, all or nothing (admins)")
    st.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    st.set_defaults(func=cmd_set)
    sh = rsub.add_parser("share", parents=[common],
                         help="the % of each slot kept for the desk (现场号), referrals (转诊) or follow-ups (复诊)")
    where = sh.add_mutually_exclusive_group(required=True)
    where.add_argument("--department", type=int_arg(limits.ROW_ID), metavar="ID")
    where.add_argument("--session", type=int_arg(limits.ROW_ID), metavar="ID")
    sh.add_argument("--kind", choices=shares.KINDS, default="desk", help="whose share (default: desk)")
    sh.add_argument("pct", metavar="PCT|off", type=_pct)
    sh.set_defaults(func=cmd_share)


def _pct(text: str) -> int | None:
    if text.strip().lower() in ("off", "none"):
        return None
    return int_arg(limits.DESK_SHARE)(text)


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


def cmd_share(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        done = shares.set_share(db, cli_actor(db, args), args.pct, department_id=args.department,
                                session_id=args.session, kind=args.kind)
    where = f"科室 {done.department_id}" if done.department_id is not None else f"出诊 {done.session_id}"
    what = f"{done.pct}%" if done.pct is not None else ("沿用科室设置" if done.session_id is not None else "不保留")
    print(f"{where} {shares.KIND_LABELS[done.kind]}比例：{what}")
    return 0
