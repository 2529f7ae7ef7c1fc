"""`regdesk holidays ...`: the public holidays publishing skips and the hospital's own exceptions.

    regdesk holidays list [--from YYYY-MM-DD] [--to YYYY-MM-DD]
    regdesk holidays add YYYY-MM-DD --open|--closed --reason TEXT [--department CODE] [--period am|pm|evening]
    regdesk holidays remove ID

``list`` shows the public holidays, make-up working days (调休) and the hospital's exceptions of the
range (default: the next 90 days); it needs no log-in. ``add`` and ``remove`` act as the admin who logs in
(``--user NAME`` or ``REGDESK_USER``, services.cli.cli_actor); an exception applies to what is
published afterwards (services/rosters/holidays.py).
"""
from __future__ import annotations

import argparse
import datetime as dt

from services import limits
from services.cli import cli_actor, int_arg, iso_date, open_database
from services.clock import hospital_today
from services.config import Config
from services.models import PERIODS
from services.rosters import holidays, masterdata

_ID = int_arg(limits.ROW_ID)


def register(sub, common) -> None:
    p = sub.add_parser("holidays", parents=[common], help="public holidays and the hospital's exceptions")
    hsub = p.add_subparsers(dest="holidays_command", metavar="ACTION", required=True, parser_class=type(p))
    ls = hsub.add_parser("list", parents=[common], help="holidays, make-up days and exceptions of a range")
    ls.add_argument("--from", dest="start", type=iso_date, metavar="YYYY-MM-DD", help="default: today")
    ls.add_argument("--to", dest="end", type=iso_date, metavar="YYYY-MM-DD", help="default: 90 days on")
    ls.set_defaults(func=cmd_list)
    add = hsub.add_parser("add", parents=[common], help="open on a public holiday, or close a day")
    add.add_argument("day", type=iso_date, metavar="YYYY-MM-DD")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--open", dest="kind", action="store_const", const="open",
                      help="sessions as usual although a public holiday")
    kind.add_argument("--closed", dest="kind", action="store_const", const="closed",
                      help="no sessions (a hospital event)")
    add.add_argument("--reason", required=True)
    add.add_argument("--department", metavar="CODE", help="one department (default: the whole hospital)")
    add.add_argument("--period", choices=PERIODS, help="one period (default: the whole day)")
    add.set_defaults(func=cmd_add)
    rm = hsub.add_parser("remove", parents=[common], help="remove an exception")
    rm.add_argument("exception_id", type=_ID, metavar="ID")
    rm.set_defaults(func=cmd_remove)


def cmd_list(args: argparse.Namespace, cfg: Config) -> int:
    start = args.start or hospital_today()
    end = args.end or start + dt.timedelta(days=90)
    holidays.check_range(start, end)
    with open_database(cfg) as db:
        rows = holidays.overview(db, start, end)
    print("日期\t星期\t法定安排\t医院例外\t例外编号")
    for r in rows:
        e = r.exception
        print(f"{r.day}\t{'一二三四五六日'[r.day.weekday()]}\t{r.public}\t"
              f"{limits.printable(e.line()) if e else ''}\t{e.id if e else ''}")
    years = holidays.unknown_years(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    if years:
        print("注意 " + "、".join(map(str, years)) + " 年的法定节假日安排尚未收录，按平常排班")
    return 0


def cmd_add(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        actor = cli_actor(db, args)
        dep = None if args.department is None else masterdata.department_by_code(db, args.department).id
        e = holidays.add_exception(db, actor, args.day, args.kind, args.reason, department_id=dep, period=args.period)
    print(f"例外 {e.id}：{limits.printable(e.line())}（对之后发布的排班生效；已发布的出诊请用停诊）")
    return 0


def cmd_remove(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        e = holidays.remove_exception(db, cli_actor(db, args), args.exception_id)
    print(f"已删除例外 {e.id}：{limits.printable(e.line())}")
    return 0
