"""`regdesk export daily|roster`: the day's patient list and the week's roster as Excel files.

    regdesk export daily --date YYYY-MM-DD [--department CODE] --out FILE.xlsx [--unmasked]
    regdesk export roster --week YYYY-Www [--department CODE] --out FILE.xlsx

(`regdesk roster import FILE.xlsx`, which reads the roster back, lives in cmd_roster.)
Both act as the staff member who logs in (``--user NAME`` or ``REGDESK_USER``, see
services.cli.cli_actor): the daily list holds patients' data, and only heads and admins may write
full phone and ID numbers (``--unmasked``, audited as that person).
The services are imported only when a command runs, so that ``regdesk --help`` stays quick.
"""
from __future__ import annotations

import argparse
import logging

from services import limits
from services.cli import cli_actor, iso_date, open_database
from services.config import Config

log = logging.getLogger(__name__)


def _xlsx(value: str) -> str:
    if not value.lower().endswith(".xlsx") or value[-6:-5] in ("", "/", "\\"):
        raise argparse.ArgumentTypeError(f"输出文件应以 .xlsx 结尾：{limits.shown(value)}")
    return value


def register(sub, common) -> None:
    p = sub.add_parser("export", parents=[common], help="export the day's patient list or the week's roster to Excel")
    esub = p.add_subparsers(dest="export_command", metavar="WHAT", required=True, parser_class=type(p))

    daily = esub.add_parser("daily", parents=[common], help="the day's patients, by department and doctor")
    daily.add_argument("--date", type=iso_date, required=True, metavar="YYYY-MM-DD")
    daily.add_argument("--department", metavar="CODE", help="one department (default: all)")
    daily.add_argument("--out", type=_xlsx, required=True, metavar="FILE.xlsx")
    daily.add_argument("--unmasked", action="store_true",
                       help="write full phone and ID card numbers (default: masked, 138****5678)")
    daily.set_defaults(func=cmd_daily)

    roster = esub.add_parser("roster", parents=[common],
                             help="the week's roster, one sheet per department, editable and importable")
    roster.add_argument("--week", required=True, metavar="YYYY-Www", help="ISO week, e.g. 2026-W48")
    roster.add_argument("--department", metavar="CODE", help="one department (default: all)")
    roster.add_argument("--out", type=_xlsx, required=True, metavar="FILE.xlsx")
    roster.set_defaults(func=cmd_roster)


def cmd_daily(args: argparse.Namespace, cfg: Config) -> int:
    from services.excel import exports
    with open_database(cfg) as db:
        result = exports.export_daily(db, cli_actor(db, args), args.date, args.out,
                                      department_id=exports.department_id_by_code(db, args.department),
                                      unmasked=args.unmasked)
    counts = "，".join(f"{exports.STATUS_LABELS.get(k, k)} {v}" for k, v in result.counts.items())
    print(f"已导出 {args.date} 患者名单 {result.rows} 人" + (f"（{counts}）" if counts else "") + f"：{result.path}")
    return 0


def cmd_roster(args: argparse.Namespace, cfg: Config) -> int:
    from services.excel import exports
    with open_database(cfg) as db:
        result = exports.export_roster(db, cli_actor(db, args), args.week, args.out,
                                       department_id=exports.department_id_by_code(db, args.department))
    print(f"已导出 {args.week} 排班表：{len(result.sheets)} 个科室、{result.rows} 位医生：{result.path}")
    return 0
