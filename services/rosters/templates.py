"""Rosters (排班): weekly templates -> published clinic sessions -> bookable slots. The week grid is services.rosters.week.

A template says "doctor D works on weekday W, period P, from A to B, in slots of N minutes
with C places each". ``publish`` turns the active templates into ``published`` clinic
sessions and their slots for a range of days; the mini-program shows those to patients.
Changing a session once it is published (hours, places, stop clinic, substitute) lives in
services.rosters.clinic_sessions and is re-exported here, so callers import everything from here.

Rules chosen here (documented for the console and the Excel import):
- a template's slot length must divide its hours exactly (no shortened last slot: every
  slot of a session is the same length, which is what patients and the desk expect);
- am sessions start before 12:00, pm sessions between 12:00 and 18:00, evening from 17:00;
- a doctor's templates on one weekday never overlap, and at most one per period.

Locking: whoever creates sessions or moves a doctor into one locks that doctor's row first
(``lock_doctors``, in id order), so two heads publishing at once, or a publish racing a
substitution, serialize on the doctor and then see each other's committed sessions.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from services import limits
from services.clock import hospital_today, utcnow
from services.db import Database
from services.domain import SessionStatus
from services.errors import NotFound, ValidationError
from services.limits import PLACES, SLOT_MINUTES
from services.models import PERIODS, ClinicSession, Department, Doctor, RosterTemplate, Slot
from services.rosters import holidays
from services.rosters.calendar import (
    PERIOD_LABELS,
    WEEKDAY_LABELS,
    check_hours,
    fmt_time,
    lock_doctors,
    minutes,
    overlaps,
    parse_date,
    parse_time,
    parse_weekday,
    slot_times,
)

# the operations on one published session live in clinic_sessions; callers reach them as rosters.X
from services.rosters.clinic_sessions import (
    StopSummary as StopSummary,
    affected_count as affected_count,
    get_session as get_session,
    list_slots as list_slots,
    notice_count as notice_count,
    sessions_for as sessions_for,
    set_slot_capacity as set_slot_capacity,
    stop_session as stop_session,
    substitute as substitute,
    update_session as update_session,
)
from services.rosters.masterdata import department_in, doctor_in
from services.staff import audit
from services.staff.actor import Actor
from services.sync.changes import Changes

log = logging.getLogger(__name__)

MAX_PUBLISH_DAYS = limits.MAX_PUBLISH_DAYS


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    doctor_id: int
    weekday: int  # Monday = 0
    period: str  # 'am', 'pm', 'evening'
    starts_at: dt.time
    ends_at: dt.time
    slot_minutes: int
    capacity_per_slot: int
    active: bool
    doctor_name: str = ""
    department_id: int | None = None


@dataclass(frozen=True)
class SessionSpec:
    """One session to create: what publish() derives from a template (or an import from a sheet)."""
    doctor_id: int
    day: dt.date
    period: str
    starts_at: dt.time
    ends_at: dt.time
    slot_minutes: int
    capacity_per_slot: int


@dataclass(frozen=True)
class PublishSummary:
    sessions_created: int
    slots_created: int
    sessions_existing: int  # already there (published or stopped): left as they are
    drafts_published: int = 0  # draft sessions that became published
    skipped: tuple[str, ...] = ()  # one line each: why a session (or a holiday's) was not created
    notes: tuple[str, ...] = ()  # make-up working days (调休) and what they worked; unknown holiday years

    @property
    def changes(self) -> Changes:
        """Sessions created or published, in weeks the summary does not name."""
        return Changes(new_sessions=bool(self.sessions_created or self.drafts_published))


# ---------------------------------------------------------------- templates

def _template_query():
    return (select(RosterTemplate, Doctor.name.label("doctor_name"), Doctor.department_id)
            .join(Doctor, Doctor.id == RosterTemplate.doctor_id))


def _tpl_info(r) -> TemplateInfo:
    return TemplateInfo(r.id, r.doctor_id, r.weekday, r.period, r.starts_at, r.ends_at, r.slot_minutes,
                        r.capacity_per_slot, bool(r.active), r.doctor_name, r.department_id)


def list_templates(db: Database, department_id: int | None = None, doctor_id: int | None = None) -> list[TemplateInfo]:
    q = _template_query().order_by(Doctor.name, RosterTemplate.doctor_id, RosterTemplate.weekday,
                                   RosterTemplate.starts_at)
    if department_id is not None:
        q = q.where(Doctor.department_id == department_id)
    if doctor_id is not None:
        q = q.where(RosterTemplate.doctor_id == doctor_id)
    with db.read() as conn:
        return [_tpl_info(r) for r in conn.execute(q)]


def _template_in(conn: Connection, template_id: int) -> TemplateInfo:
    r = conn.execute(_template_query().where(RosterTemplate.id == template_id)).first()
    if r is None:
        raise NotFound(f"没有排班模板 ID {template_id}")
    return _tpl_info(r)


def _check_slots(starts_at: dt.time, ends_at: dt.time, slot_minutes, capacity) -> tuple[int, int]:
    if isinstance(slot_minutes, bool) or not isinstance(slot_minutes, int) or slot_minutes <= 0:
        raise ValidationError(f"每个时段的分钟数必须是正整数：{slot_minutes}", field="slot_minutes")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
        raise ValidationError(f"每个时段的号源必须大于 0：{capacity}", field="capacity_per_slot")
    slot_minutes = SLOT_MINUTES.check(slot_minutes, field="slot_minutes")
    capacity = PLACES.check(capacity, field="capacity_per_slot")
    length = minutes(ends_at) - minutes(starts_at)
    if length % slot_minutes:
        raise ValidationError(f"出诊时长 {length} 分钟不能按每段 {slot_minutes} 分钟均分"
                              f"（{fmt_time(starts_at)}-{fmt_time(ends_at)}）", field="slot_minutes")
    total = capacity * (length // slot_minutes)
    if total > PLACES.hi:  # what the exported roster shows as 共N号 must be importable again
        raise ValidationError(f"每段 {capacity} 号共 {length // slot_minutes} 段，一次出诊 {total} 号，"
                              f"最多 {PLACES.hi} 号", field="capacity_per_slot")
    return slot_minutes, capacity


def save_template(db: Database, actor: Actor, doctor_id: int, weekday: int, period: str,
                  starts_at, ends_at, slot_minutes: int, capacity_per_slot: int,
                  template_id: int | None = None, active: bool = True) -> TemplateInfo:
    """Create (template_id None) or change a doctor's weekly template. Times: dt.time or 'HH:MM'."""
    actor.require("roster.edit")
    weekday = parse_weekday(weekday)
    if period not in PERIODS:
        raise ValidationError(f"时段 {period} 无效，应为 am（上午）、pm（下午）或 evening（晚上）", field="period")
    starts_at = parse_time(starts_at, "开始时间", field="starts_at")
    ends_at = parse_time(ends_at, "结束时间", field="ends_at")
    check_hours(period, starts_at, ends_at)
    slot_minutes, capacity_per_slot = _check_slots(starts_at, ends_at, slot_minutes, capacity_per_slot)

    def tx(conn: Connection) -> TemplateInfo:
        before = _template_in(conn, template_id) if template_id is not None else None
        lock_doctors(conn, [doctor_id] + ([before.doctor_id] if before else []))
        doc = doctor_in(conn, doctor_id)
        actor.require("roster.edit", doc.department_id)
        if before is not None and before.department_id != doc.department_id:
            actor.require("roster.edit", before.department_id)
        if not doc.active:
            raise ValidationError(f"医生 {doc.name} 已停用，不能排班")
        others = [_tpl_info(r) for r in conn.execute(
            _template_query().where(RosterTemplate.doctor_id == doctor_id, RosterTemplate.weekday == weekday))]
        others = [o for o in others if o.id != template_id]
        for o in others:
            if active and o.active and overlaps(starts_at, ends_at, o.starts_at, o.ends_at):
                raise ValidationError(f"与 {WEEKDAY_LABELS[weekday]} {PERIOD_LABELS[o.period]} "
                                      f"{fmt_time(o.starts_at)}-{fmt_time(o.ends_at)} 的排班重叠", field="starts_at")
        for o in others:
            if o.period == period:
                raise ValidationError(f"{doc.name} {WEEKDAY_LABELS[weekday]} {PERIOD_LABELS[period]} "
                                      f"已有排班模板（ID {o.id}），请修改该模板", field="period")
        values = {"doctor_id": doctor_id, "weekday": weekday, "period": period, "starts_at": starts_at,
                  "ends_at": ends_at, "slot_minutes": slot_minutes, "capacity_per_slot": capacity_per_slot,
                  "active": bool(active)}
        if before is None:
            tid = conn.execute(insert(RosterTemplate).values(**values)).inserted_primary_key[0]
            audit.record(conn, actor, "create", "template", tid, values)
        else:
            tid = template_id
            conn.execute(update(RosterTemplate).where(RosterTemplate.id == tid).values(**values))
            audit.record(conn, actor, "update", "template", tid,
                         {"before": {k: getattr(before, k) for k in values}, **values})
        return _template_in(conn, tid)

    return db.run(tx)


def delete_template(db: Database, actor: Actor, template_id: int) -> None:
    """Remove a template; sessions already published from it stay as they are."""
    actor.require("roster.edit")

    def tx(conn: Connection) -> None:
        t = _template_in(conn, template_id)
        actor.require("roster.edit", t.department_id)
        conn.execute(delete(RosterTemplate).where(RosterTemplate.id == template_id))
        audit.record(conn, actor, "delete", "template", template_id,
                     {"doctor_id": t.doctor_id, "weekday": t.weekday, "period": t.period,
                      "starts_at": t.starts_at, "ends_at": t.ends_at})

    db.run(tx)


# ---------------------------------------------------------------- publishing

def publish(db: Database, actor: Actor, start: dt.date, end: dt.date, department_id: int | None = None,
            doctor_ids: Iterable[int] | None = None, *, today: dt.date | None = None) -> PublishSummary:
    """Create published sessions and slots from the active templates for every day in [start, end].

    Idempotent: what exists already is counted, not created again; a draft becomes published.
    A session that would overlap another session of the same doctor that day is skipped and reported.
    Days before ``today`` get nothing (reported as skipped) and a range past the roster's horizon is
    refused: the rule the roster import keeps too (services/limits.py). ``today`` defaults to the
    real one; the demo passes an earlier day to write its history.
    """
    actor.require("roster.publish", department_id)
    start, end = parse_date(start, "开始日期", "start"), parse_date(end, "结束日期", "end")
    if start > end:
        raise ValidationError(f"开始日期 {start} 晚于结束日期 {end}", field="end")
    n_days = (end - start).days + 1
    if n_days > MAX_PUBLISH_DAYS:
        raise ValidationError(f"一次最多发布 {MAX_PUBLISH_DAYS} 天（{start} 至 {end} 共 {n_days} 天）", field="end")
    today = today or hospital_today()
    if end < today:
        raise ValidationError(f"{start} 至 {end} 已过去，不能发布（今天是 {today}）", field="end")
    if end > limits.roster_horizon(today):
        raise ValidationError(f"不能发布到 {end}：排班最远到 {limits.roster_horizon(today)}"
                              f"（{limits.ROSTER_DAYS_AHEAD} 天内）", field="end")
    first = max(start, today)
    wanted = None if doctor_ids is None else sorted(set(doctor_ids))
    for i in wanted or ():
        if not limits.is_row_id(i):
            raise NotFound(f"没有医生 ID {limits.shown(i)}")

    def tx(conn: Connection) -> PublishSummary:
        if department_id is not None:
            department_in(conn, department_id)
        if wanted:
            found = set(conn.execute(select(Doctor.id).where(Doctor.id.in_(wanted))).scalars())
            missing = [i for i in wanted if i not in found]
            if missing:
                raise NotFound(f"没有医生 ID {missing[0]}")
        q = (select(RosterTemplate, Doctor.department_id)
             .join(Doctor, Doctor.id == RosterTemplate.doctor_id)
             .join(Department, Department.id == Doctor.department_id)
             .where(RosterTemplate.active.is_(True), Doctor.active.is_(True), Department.active.is_(True)))
        if department_id is not None:
            q = q.where(Doctor.department_id == department_id)
        if wanted is not None:
            q = q.where(RosterTemplate.doctor_id.in_(wanted or [-1]))
        templates = conn.execute(q).all()
        for dep in sorted({t.department_id for t in templates}):
            actor.require("roster.publish", dep)
        # public holidays are skipped, make-up days work the weekday they replace (services/rosters/holidays.py)
        cal = holidays.apply(holidays.plans(conn, first, end), templates)
        specs = [SessionSpec(t.doctor_id, day, t.period, t.starts_at, t.ends_at, t.slot_minutes,
                             t.capacity_per_slot) for day, t in cal.work]
        summary = publish_sessions(conn, actor, specs)
        summary = replace(summary, skipped=cal.skipped + summary.skipped, notes=cal.notes)
        if first > start:
            past = f"{start} 至 {first - dt.timedelta(days=1)} 已过去，未发布"
            summary = replace(summary, skipped=(past,) + summary.skipped)
        audit.record(conn, actor, "publish", "roster", f"{start}~{end}",
                     {"department_id": department_id, "doctor_ids": wanted, "created": summary.sessions_created,
                      "slots": summary.slots_created, "existing": summary.sessions_existing,
                      "drafts": summary.drafts_published, "skipped": list(summary.skipped)})
        log.info("published %s..%s: %s", start, end, summary)
        return summary

    return db.run(tx)


def publish_sessions(conn: Connection, actor: Actor, specs: Sequence[SessionSpec],
                     status: str = SessionStatus.PUBLISHED) -> PublishSummary:
    """Create these sessions (and their slots) inside the caller's transaction.

    The caller has checked permissions. Sessions are keyed by (rostered doctor, day, period):
    an existing one is left alone (a draft is published), so this is safe to repeat. The doctors'
    rows are locked first, so concurrent publishers serialize and never both insert a session.
    """
    if not specs:
        return PublishSummary(0, 0, 0)
    doctor_ids = sorted({s.doctor_id for s in specs})
    names = lock_doctors(conn, doctor_ids)
    day_min, day_max = min(s.day for s in specs), max(s.day for s in specs)
    # read after the locks: under READ COMMITTED this sees whatever a publisher before us committed
    rows = conn.execute(select(ClinicSession.id, ClinicSession.doctor_id, ClinicSession.rostered_doctor_id,
                               ClinicSession.day, ClinicSession.period, ClinicSession.starts_at,
                               ClinicSession.ends_at, ClinicSession.status)
                        .where(ClinicSession.day.between(day_min, day_max),
                               ClinicSession.doctor_id.in_(doctor_ids)
                               | ClinicSession.rostered_doctor_id.in_(doctor_ids))).all()
    by_key = {(r.rostered_doctor_id, r.day, r.period): r for r in rows}
    busy: dict[tuple[int, dt.date], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for r in rows:
        if r.status != SessionStatus.STOPPED:  # a stopped session no longer takes the doctor's time
            busy[(r.doctor_id, r.day)].append((r.starts_at, r.ends_at))
    new_specs: dict[tuple, SessionSpec] = {}
    drafts: list[tuple[int, SessionSpec]] = []
    existing = 0
    skipped: list[str] = []
    for s in sorted(specs, key=lambda s: (s.day, s.doctor_id, s.starts_at)):
        key = (s.doctor_id, s.day, s.period)
        what = f"{s.day} {names.get(s.doctor_id, s.doctor_id)} {PERIOD_LABELS[s.period]} " \
               f"{fmt_time(s.starts_at)}-{fmt_time(s.ends_at)}"
        if key in by_key:
            if by_key[key].status == SessionStatus.DRAFT and status == SessionStatus.PUBLISHED:
                drafts.append((by_key[key].id, s))
            else:
                existing += 1
            continue
        if key in new_specs:
            skipped.append(f"{what}：同一医生同一时段重复，未发布")
            continue
        clash = next(((a, b) for a, b in busy[(s.doctor_id, s.day)] if overlaps(s.starts_at, s.ends_at, a, b)), None)
        if clash is not None:
            skipped.append(f"{what}：与当天 {fmt_time(clash[0])}-{fmt_time(clash[1])} 的出诊重叠，未发布")
            continue
        new_specs[key] = s
        busy[(s.doctor_id, s.day)].append((s.starts_at, s.ends_at))

    now = utcnow()
    if new_specs:
        conn.execute(insert(ClinicSession), [
            {"doctor_id": s.doctor_id, "rostered_doctor_id": s.doctor_id, "day": s.day, "period": s.period,
             "starts_at": s.starts_at, "ends_at": s.ends_at, "status": status, "note": None, "updated_at": now}
            for s in new_specs.values()])
    ids = {}
    if new_specs:
        for r in conn.execute(select(ClinicSession.id, ClinicSession.rostered_doctor_id, ClinicSession.day,
                                     ClinicSession.period)
                              .where(ClinicSession.day.between(day_min, day_max),
                                     ClinicSession.rostered_doctor_id.in_(doctor_ids))):
            ids[(r.rostered_doctor_id, r.day, r.period)] = r.id
    slot_rows = []
    for key, s in new_specs.items():
        slot_rows += _slot_rows(ids[key], s)
    published_drafts = []
    for sid, s in drafts:
        if conn.execute(update(ClinicSession).where(ClinicSession.id == sid,
                                                    ClinicSession.status == SessionStatus.DRAFT)
                        .values(status=SessionStatus.PUBLISHED, updated_at=now)).rowcount == 1:
            published_drafts.append(sid)
            # a draft with no slots yet (e.g. kept from an unfinished import) gets the template's
            if conn.execute(select(Slot.id).where(Slot.session_id == sid).limit(1)).first() is None:
                slot_rows += _slot_rows(sid, s)
    if slot_rows:
        conn.execute(insert(Slot), slot_rows)
    created_ids = [ids[k] for k in new_specs]
    audit.record_many(conn, actor, "create" if status == SessionStatus.DRAFT else "publish", "session", created_ids)
    audit.record_many(conn, actor, "publish", "session", published_drafts, {"from": "draft"})
    return PublishSummary(len(created_ids), len(slot_rows), existing, len(published_drafts), tuple(skipped))


def _slot_rows(session_id: int, s: SessionSpec) -> list[dict]:
    return [{"session_id": session_id, "starts_at": a, "ends_at": b, "capacity": s.capacity_per_slot}
            for a, b in slot_times(s.starts_at, s.ends_at, s.slot_minutes)]
