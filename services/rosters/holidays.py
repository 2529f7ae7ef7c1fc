"""Holidays (节假日与调休): which days a roster is published on, and with which weekday's templates.

China's public holidays and make-up working days come from the ``chinese-calendar`` package (the State
Council's yearly arrangement; a year it does not know yet is published as ordinary days, and publishing
says so). On top of it the hospital keeps its own exceptions in ``hospital_days``, edited by admins:

* ``closed``: no sessions that day (a hospital event), for the whole hospital or one department, the
  whole day or one period. A closed exception wins over everything.
* ``open``: sessions as usual (the templates of the day's own weekday) although it is a public holiday,
  e.g. a clinic open on a holiday morning; again for all or one department, a whole day or one period.

A make-up working day (调休上班, e.g. Saturday 2026-10-10) is worked with the templates of the weekday
it replaces: the package lists each holiday's make-up days and its days off in lieu (2026's National
Day: Sunday 09-20 and Saturday 10-10 make up for Tuesday 10-06 and Wednesday 10-07); they are paired in
date order, so 09-20 works Tuesday's roster and 10-10 Wednesday's. A make-up day without a day in lieu
to pair with works the roster of the nearest holiday weekday (Monday to Friday) of the same holiday.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from services import limits
from services.clock import hospital_today, utcnow
from services.db import Database, row_by_id
from services.errors import ValidationError
from services.models import DAY_KINDS, PERIODS, Department, HospitalDay
from services.rosters.calendar import PERIOD_LABELS, WEEKDAY_LABELS
from services.rosters.masterdata import department_in
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

KIND_LABELS = {"open": "照常出诊", "closed": "停诊"}
NOTE_CHARS = 200
LIST_DAYS = 400  # `holidays list` and the admin page show at most this many days at once


# ---------------------------------------------------------------- the public calendar

@dataclass(frozen=True)
class PublicDay:
    """What the State Council's arrangement says of a day."""
    kind: str  # 'holiday' (a day off), 'makeup' (调休上班: a weekend day worked), 'ordinary', 'unknown' (no data)
    name: str = ""  # the holiday's Chinese name (国庆节), for holidays and make-up days
    as_weekday: int | None = None  # a make-up day: the weekday (Monday = 0) whose templates it works


def _cc():
    import chinese_calendar  # imported when needed: the console starts without it
    return chinese_calendar


def _chinese(name: str | None) -> str:
    if not name:
        return ""
    try:
        return _cc().Holiday(name).chinese
    except ValueError:
        return name


def _replaced_weekday(day: dt.date, name: str) -> int:
    cc = _cc()

    def same(table: dict) -> list[dt.date]:
        return sorted(d for d, n in table.items() if n == name and abs((d - day).days) <= 40)
    makeups, in_lieu = same(cc.workdays), same(cc.in_lieu_days)
    if day in makeups and len(makeups) == len(in_lieu):
        return in_lieu[makeups.index(day)].weekday()
    offs = [d for d in same(cc.holidays) if d.weekday() < 5]
    if offs:
        return min(offs, key=lambda d: (abs((d - day).days), d)).weekday()
    return 0


def public_day(day: dt.date) -> PublicDay:
    """The arrangement for ``day``: a public holiday, a make-up working day, an ordinary day, or unknown."""
    cc = _cc()
    try:
        off, name = cc.get_holiday_detail(day)
    except NotImplementedError:  # the package does not know this year's arrangement (yet)
        return PublicDay("unknown")
    if off and name:
        return PublicDay("holiday", _chinese(name))
    if not off and day.weekday() >= 5:  # a weekend day that is worked: 调休上班
        return PublicDay("makeup", _chinese(name), _replaced_weekday(day, name or ""))
    return PublicDay("ordinary")


# ---------------------------------------------------------------- the hospital's exceptions

@dataclass(frozen=True)
class DayException:
    id: int
    day: dt.date
    kind: str  # 'open', 'closed'
    department_id: int | None  # None: the whole hospital
    department_name: str
    period: str | None  # None: the whole day
    note: str
    created_by: str

    def covers(self, department_id: int | None, period: str) -> bool:
        return (self.department_id is None or self.department_id == department_id) and \
            (self.period is None or self.period == period)

    def line(self) -> str:
        who = self.department_name or "全院"
        when = PERIOD_LABELS[self.period] if self.period else "全天"
        return f"{self.day} {who}{when}{KIND_LABELS[self.kind]}：{self.note}"


def _query():
    return (select(HospitalDay, Department.name.label("department_name"))
            .outerjoin(Department, Department.id == HospitalDay.department_id))


def _info(r) -> DayException:
    return DayException(r.id, r.day, r.kind, r.department_id, r.department_name or "", r.period, r.note,
                        r.created_by)


def exceptions_in(conn: Connection, start: dt.date, end: dt.date) -> list[DayException]:
    q = _query().where(HospitalDay.day.between(start, end)).order_by(HospitalDay.day, HospitalDay.id)
    return [_info(r) for r in conn.execute(q)]


def check_range(start: dt.date, end: dt.date) -> None:
    """A range of days to list: 1 to LIST_DAYS days."""
    if end < start or (end - start).days >= LIST_DAYS:
        raise ValidationError(f"日期范围应为 1 至 {LIST_DAYS} 天：{start} 至 {end}", field="end")


def list_exceptions(db: Database, start: dt.date, end: dt.date) -> list[DayException]:
    check_range(start, end)
    with db.read() as conn:
        return exceptions_in(conn, start, end)


def add_exception(db: Database, actor: Actor, day: dt.date, kind: str, note: str, *,
                  department_id: int | None = None, period: str | None = None,
                  today: dt.date | None = None) -> DayException:
    """Record a day (or one period of it) the hospital opens on a public holiday or closes (admins).
    It applies to what is published afterwards; sessions already published stay as they are (stop them
    with 停诊, which tells their patients)."""
    actor.require("holidays.edit")
    if kind not in DAY_KINDS:
        raise ValidationError(f"类型应为 open（照常出诊）或 closed（停诊）：{limits.shown(kind)}", field="kind")
    if period is not None and period not in PERIODS:
        raise ValidationError(f"时段 {limits.shown(period)} 无效，应为 am、pm 或 evening", field="period")
    note = limits.text(note, "原因", NOTE_CHARS, field="note")
    problem = limits.roster_day_problem(day, today or hospital_today())
    if problem:
        raise ValidationError(problem, field="day")

    def tx(conn: Connection) -> DayException:
        if department_id is not None:
            department_in(conn, department_id)
        for e in exceptions_in(conn, day, day):
            if e.department_id == department_id and e.period == period:
                raise ValidationError(f"已有这一天的例外（编号 {e.id}）：{e.line()}；请先删除它", field="day")
        new_id = conn.execute(insert(HospitalDay).values(
            day=day, kind=kind, department_id=department_id, period=period, note=note, created_at=utcnow(),
            created_by=actor.name)).inserted_primary_key[0]
        audit.record(conn, actor, "create", "hospital_day", new_id,
                     {"day": day, "kind": kind, "department_id": department_id, "period": period, "note": note})
        return _info(conn.execute(_query().where(HospitalDay.id == new_id)).one())

    return db.run(tx)


def remove_exception(db: Database, actor: Actor, exception_id: int) -> DayException:
    actor.require("holidays.edit")

    def tx(conn: Connection) -> DayException:
        e = _info(row_by_id(conn, _query().where(HospitalDay.id == exception_id), exception_id, "节假日例外"))
        conn.execute(delete(HospitalDay).where(HospitalDay.id == exception_id))
        audit.record(conn, actor, "delete", "hospital_day", exception_id,
                     {"day": e.day, "kind": e.kind, "department_id": e.department_id, "period": e.period,
                      "note": e.note})
        return e

    return db.run(tx)


# ---------------------------------------------------------------- what publishing does with a day

@dataclass(frozen=True)
class DayPlan:
    """A day as publishing and the week grid see it."""
    day: dt.date
    public: PublicDay
    exceptions: tuple[DayException, ...] = ()

    def weekday_for(self, department_id: int | None, period: str) -> int | None:
        """The weekday whose templates a (department, period) works this day; None: no sessions."""
        mine = [e for e in self.exceptions if e.covers(department_id, period)]
        if any(e.kind == "closed" for e in mine):
            return None
        if self.public.kind == "holiday":
            return self.day.weekday() if any(e.kind == "open" for e in mine) else None
        if self.public.kind == "makeup":
            return self.public.as_weekday
        return self.day.weekday()

    def mark(self, department_id: int | None = None) -> str:
        """One character for a crowded header: 休 (a holiday), 班 (a make-up day), 停 (closed by the
        hospital, whole day), 例 (another exception); '' for an ordinary day."""
        mine = [e for e in self.exceptions if e.department_id is None or e.department_id == department_id]
        if any(e.kind == "closed" and e.period is None for e in mine):
            return "停"
        if mine:
            return "例"
        return {"holiday": "休", "makeup": "班"}.get(self.public.kind, "")

    def label(self, department_id: int | None = None) -> str:
        """A short note for the week grid's and the workbook's day header ('' for an ordinary day)."""
        parts = []
        if self.public.kind == "holiday":
            parts.append(f"{self.public.name}休息")
        elif self.public.kind == "makeup":
            parts.append(f"{self.public.name}调休上班（按{WEEKDAY_LABELS[self.public.as_weekday]}排班）")
        for e in self.exceptions:
            if e.department_id is None or department_id is None or e.department_id == department_id:
                # one department's exception in a hospital-wide line (publishing, `holidays list`) names it
                who = e.department_name if department_id is None and e.department_id is not None else ""
                when = PERIOD_LABELS[e.period] if e.period else ""
                parts.append(f"{who}{when}{KIND_LABELS[e.kind]}：{e.note}")
        return "；".join(parts)


def plans(conn: Connection, start: dt.date, end: dt.date) -> dict[dt.date, DayPlan]:
    """Every day of [start, end] with the public arrangement and the hospital's exceptions."""
    by_day: dict[dt.date, list[DayException]] = {}
    for e in exceptions_in(conn, start, end):
        by_day.setdefault(e.day, []).append(e)
    out = {}
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        out[day] = DayPlan(day, public_day(day), tuple(by_day.get(day, ())))
    return out


def unknown_years(days) -> list[int]:
    """The years among ``days`` whose public holidays the package does not know."""
    return sorted({d.year for d in days if public_day(d).kind == "unknown"})


@dataclass(frozen=True)
class Calendar:
    """What publishing [first, end] does with its templates, day by day."""
    work: list[tuple[dt.date, object]]  # (day, template row) to publish
    skipped: tuple[str, ...]  # one line a day: what was not published, and why
    notes: tuple[str, ...]  # make-up days and years the package does not know


def apply(plans_by_day: dict[dt.date, DayPlan], templates) -> Calendar:
    """The templates (rows with weekday, period, department_id) to publish on each planned day."""
    work, skipped, notes = [], [], []
    for day, plan in sorted(plans_by_day.items()):
        base = plan.public.as_weekday if plan.public.kind == "makeup" else day.weekday()
        usual = [t for t in templates if t.weekday == base]
        chosen = [t for t in templates if t.weekday == plan.weekday_for(t.department_id, t.period)]
        work += [(day, t) for t in chosen]
        if not plan.exceptions and plan.public.kind in ("ordinary", "unknown"):
            continue
        dropped = len([t for t in usual if t not in chosen])
        why = plan.label() or "休息"
        if plan.public.kind == "makeup":
            notes.append(f"{day} {why}：{len(chosen)} 个出诊")
        if dropped or (plan.public.kind == "holiday" and usual):
            kept = f"，照常出诊 {len(chosen)} 个" if chosen else ""
            skipped.append(f"{day} {why}：未发布 {dropped} 个出诊{kept}")
    years = unknown_years(plans_by_day)
    if years:
        notes.append("、".join(str(y) for y in years) + " 年的法定节假日安排尚未收录（chinese-calendar），按平常排班")
    return Calendar(work, tuple(skipped), tuple(notes))


@dataclass(frozen=True)
class DayRow:
    """One line of the admin page's holidays tab: a day's public arrangement, with one of its exceptions."""
    id: str  # 'x<exception id>' or 'd<day>' (a public holiday or make-up day without an exception)
    day: dt.date
    public: str  # 国庆节休息, 国庆节调休上班（按周三排班）, or ''
    exception: DayException | None
    active: bool = True  # (the admin page's lists grey out inactive rows; every day here is shown plainly)


def overview(db: Database, start: dt.date, end: dt.date) -> list[DayRow]:
    """The days of [start, end] with a public holiday, a make-up day or an exception of the hospital."""
    check_range(start, end)
    with db.read() as conn:
        by_day = plans(conn, start, end)
    rows = []
    for day, plan in by_day.items():
        public = DayPlan(day, plan.public).label()
        rows += [DayRow(f"x{e.id}", day, public, e) for e in plan.exceptions]
        if public and not plan.exceptions:
            rows.append(DayRow(f"d{day}", day, public, None))
    return rows
