"""`regdesk roster ...`: weekly templates, publishing, stop clinic, substitution, Excel import.

    regdesk roster template add --doctor ID --weekday 1-7|mon..sun --period am|pm|evening
                                --start HH:MM --end HH:MM --slot-minutes N --places N
    regdesk roster template list [--department CODE]
    regdesk roster publish --from YYYY-MM-DD --to YYYY-MM-DD [--department CODE]
    regdesk roster sessions --date YYYY-MM-DD [--department CODE]
    regdesk roster stop SESSION_ID --reason TEXT
    regdesk roster substitute SESSION_ID --doctor ID [--note TEXT]
    regdesk roster import FILE.xlsx
    regdesk roster extra (--slot ID | --session ID) --places N --reason TEXT

The commands that change rosters (template add, publish, stop, substitute, import, extra) act as the staff
member who logs in (``--user NAME`` or ``REGDESK_USER``, see services.cli.cli_actor): that person's
permissions and departments apply, and the audit log names them. Listing needs no log-in.
"""
from __future__ import annotations

import argparse
import logging

from services import limits
from services.cli import cli_actor, int_arg, iso_date, open_database
from services.config import Config
from services.rosters import masterdata, templates
from services.rosters.calendar import PERIOD_LABELS, WEEKDAY_LABELS, fmt_time

log = logging.getLogger(__name__)


_ID = int_arg(limits.ROW_ID)


def register(sub, common) -> None:
    p = sub.add_parser("roster", parents=[common], help="doctor rosters: templates, publish, stop clinic")
    rsub = p.add_subparsers(dest="roster_command", metavar="ACTION", required=True, parser_class=type(p))

    tp = rsub.add_parser("template", parents=[common], help="weekly roster templates")
    tsub = tp.add_subparsers(dest="template_command", metavar="ACTION", required=True, parser_class=type(p))
    add = tsub.add_parser("add", parents=[common], help="add a doctor's weekly template")
    add.add_argument("--doctor", type=_ID, required=True, metavar="ID")
    add.add_argument("--weekday", required=True, help="1-7 (Monday = 1), mon..sun or 周一..周日")
    add.add_argument("--period", required=True, choices=("am", "pm", "evening"))
    add.add_argument("--start", required=True, metavar="HH:MM")
    add.add_argument("--end", required=True, metavar="HH:MM")
    add.add_argument("--slot-minutes", type=int_arg(limits.SLOT_MINUTES), required=True, metavar="N")
    add.add_argument("--places", type=int_arg(limits.PLACES), required=True, metavar="N",
                     help=f"places per slot (a session holds at most {limits.PLACES.hi} in all)")
    add.set_defaults(func=cmd_template_add)
    ls = tsub.add_parser("list", parents=[common], help="list templates")
    ls.add_argument("--department", metavar="CODE")
    ls.set_defaults(func=cmd_template_list)

    pub = rsub.add_parser("publish", parents=[common], help="publish sessions from the templates")
    pub.add_argument("--from", dest="start", type=iso_date, required=True, metavar="YYYY-MM-DD")
    pub.add_argument("--to", dest="end", type=iso_date, required=True, metavar="YYYY-MM-DD")
    pub.add_argument("--department", metavar="CODE")
    pub.set_defaults(func=cmd_publish)

    ses = rsub.add_parser("sessions", parents=[common], help="list a day's clinic sessions")
    ses.add_argument("--date", type=iso_date, required=True, metavar="YYYY-MM-DD")
    ses.add_argument("--department", metavar="CODE")
    ses.set_defaults(func=cmd_sessions)

    stop = rsub.add_parser("stop", parents=[common], help="stop a clinic session and notify its patients")
    stop.add_argument("session_id", type=_ID, metavar="SESSION_ID")
    stop.add_argument("--reason", required=True)
    stop.set_defaults(func=cmd_stop)

    subst = rsub.add_parser("substitute", parents=[common], help="let another doctor take a session")
    subst.add_argument("session_id", type=_ID, metavar="SESSION_ID")
    subst.add_argument("--doctor", type=_ID, required=True, metavar="ID")
    subst.add_argument("--note")
    subst.set_defaults(func=cmd_substitute)

    imp = rsub.add_parser("import", parents=[common], help="publish a roster prepared in Excel, all or nothing")
    imp.add_argument("file", metavar="FILE.xlsx")
    imp.set_defaults(func=cmd_import)

    extra = rsub.add_parser("extra", parents=[common], help="add places (加号) to a slot or a session, with a reason")
    where = extra.add_mutually_exclusive_group(required=True)
    where.add_argument("--slot", type=_ID, metavar="ID")
    where.add_argument("--session", type=_ID, metavar="ID", help="the places go to the session's last slot")
    extra.add_argument("--places", type=int_arg(limits.PLACES), required=True, metavar="N")
    extra.add_argument("--reason", required=True)
    extra.set_defaults(func=cmd_extra)


def _department_id(db, code: str | None) -> int | None:
    return None if code is None else masterdata.department_by_code(db, code).id


def cmd_template_add(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        actor = cli_actor(db, args)
        t = templates.save_template(db, actor, args.doctor, templates.parse_weekday(args.weekday), args.period,
                                  args.start, args.end, args.slot_minutes, args.places)
    print(f"模板 {t.id}：{t.doctor_name} {WEEKDAY_LABELS[t.weekday]} {PERIOD_LABELS[t.period]} "
          f"{fmt_time(t.starts_at)}-{fmt_time(t.ends_at)}，每 {t.slot_minutes} 分钟 {t.capacity_per_slot} 个号")
    return 0


def cmd_template_list(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        items = templates.list_templates(db, department_id=_department_id(db, args.department))
    print("ID\t医生ID\t医生\t星期\t时段\t时间\t分钟/段\t号/段\t状态")
    for t in items:
        print(f"{t.id}\t{t.doctor_id}\t{limits.printable(t.doctor_name)}\t{WEEKDAY_LABELS[t.weekday]}\t"
              f"{PERIOD_LABELS[t.period]}\t"
              f"{fmt_time(t.starts_at)}-{fmt_time(t.ends_at)}\t{t.slot_minutes}\t{t.capacity_per_slot}\t"
              f"{'启用' if t.active else '停用'}")
    return 0


def cmd_publish(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        actor = cli_actor(db, args)
        s = templates.publish(db, actor, args.start, args.end, department_id=_department_id(db, args.department))
    print(f"已发布 {args.start} 至 {args.end}：新建出诊 {s.sessions_created} 个、号源时段 {s.slots_created} 个；"
          f"已存在 {s.sessions_existing} 个；草稿转发布 {s.drafts_published} 个；跳过 {len(s.skipped)} 个")
    for line in s.skipped:
        print("  跳过 " + line)
    for line in s.notes:
        print("  注意 " + line)
    return 0


def cmd_sessions(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        items = templates.sessions_for(db, args.date, department_id=_department_id(db, args.department))
    print("出诊ID\t医生\t时段\t时间\t状态\t号源\t已约\t待审\t备注")
    for s in items:
        # names and notes from the database are shown with hidden characters made visible
        print(f"{s.id}\t{limits.printable(s.doctor_name)}\t{PERIOD_LABELS[s.period]}\t"
              f"{fmt_time(s.starts_at)}-{fmt_time(s.ends_at)}\t"
              f"{s.status}\t{s.capacity}\t{s.taken}\t{s.pending}\t{limits.printable(s.note or '')}")
    return 0


def cmd_stop(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        s = templates.stop_session(db, cli_actor(db, args), args.session_id, args.reason)
    print(f"出诊 {s.session_id} 已停诊：{s.bookings_stopped} 个预约已停止，{s.notified} 条通知待发送")
    return 0


def cmd_substitute(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        s = templates.substitute(db, cli_actor(db, args), args.session_id, args.doctor, note=args.note)
    print(f"出诊 {s.id}（{s.day} {PERIOD_LABELS[s.period]}）改由 {s.doctor_name} 出诊：{s.note}；"
          f"{s.notified} 条通知待发送")
    return 0


def cmd_import(args: argparse.Namespace, cfg: Config) -> int:
    from services.rosters import imports  # written separately; loaded only when this command runs
    with open_database(cfg) as db:
        result = imports.import_roster(db, cli_actor(db, args), args.file)
    if result is not None:
        print(result)
    return 0


def cmd_extra(args: argparse.Namespace, cfg: Config) -> int:
    from services.rosters import extra_places
    with open_database(cfg) as db:
        done = extra_places.add_places(db, cli_actor(db, args), args.places, args.reason, slot_id=args.slot,
                                       session_id=args.session)
    print(done.line())
    return 0
