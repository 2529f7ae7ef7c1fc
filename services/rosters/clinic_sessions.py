"""Published clinic sessions: reading them with their counts, and changing them afterwards
(hours, a slot's places, stop clinic 停诊, substitute doctor 替诊).

Lock order, the same as services.bookings.decisions.lock_and_count (patient, session, slot, bookings):
doctor rows first (roster_rules.lock_doctors), then the session row, then its slots, then
bookings. A decision share-locks the session before its slot, so stopping takes the session
row (FOR UPDATE) before the slots: an approval either commits before the stop, whose UPDATE
then stops the confirmed booking too, or waits and then sees the session 'stopped'.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from services import limits
from services.clock import utcnow
from services.db import Database, row_by_id
from services.domain import BookingStatus, SessionStatus
from services.errors import Conflict, ValidationError
from services.models import TAKEN_STATUSES, Booking, ClinicSession, Doctor, Slot
from services.notify import outbox
from services.rosters.calendar import PERIOD_LABELS, check_hours, fmt_time, lock_doctors, overlaps, parse_time
from services.rosters.masterdata import doctor_in
from services.staff import audit
from services.staff.actor import Actor
from services.sync.changes import Changes

log = logging.getLogger(__name__)

STOPPABLE = (BookingStatus.PENDING,
             BookingStatus.CONFIRMED)  # the bookings a stop clinic ends (and tells the patient about)
RosteredDoctor = aliased(Doctor, name="rostered_doctor")


@dataclass(frozen=True)
class SessionInfo:
    id: int
    doctor_id: int  # who sees the patients (the substitute after a substitution)
    doctor_name: str
    rostered_doctor_id: int  # who the roster was published for
    department_id: int
    day: dt.date
    period: str
    starts_at: dt.time
    ends_at: dt.time
    status: str  # draft, published, stopped
    note: str | None
    capacity: int  # sum over the slots
    taken: int  # confirmed + checked_in + no_show
    pending: int
    rostered_doctor_name: str = ""
    notified: int = 0  # set by a change that told the booked patients (hours, substitution): how many

    @property
    def substituted(self) -> bool:
        return self.doctor_id != self.rostered_doctor_id

    @property
    def changes(self) -> Changes:
        """The session (its hours, doctor, places: every booking in it shows them)."""
        return Changes(sessions={self.id})


@dataclass(frozen=True)
class SlotInfo:
    id: int
    session_id: int
    starts_at: dt.time
    ends_at: dt.time
    capacity: int
    taken: int
    pending: int
    remaining: int

    @property
    def changes(self) -> Changes:
        return Changes(slots={self.id}, around={self.session_id})


@dataclass(frozen=True)
class StopSummary:
    session_id: int
    bookings_stopped: int
    notified: int  # notifications queued (patients without an openid get a 'skipped' row, see outbox)

    @property
    def changes(self) -> Changes:
        return Changes(sessions={self.session_id})  # and every booking in it


# ---------------------------------------------------------------- reading

def _count_in_session(statuses) -> object:
    return (select(func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.session_id == ClinicSession.id, Booking.status.in_(statuses))
            .correlate(ClinicSession).scalar_subquery())


def session_select():
    """Sessions with their doctors and counts, one row each (correlated subqueries, no N+1)."""
    capacity = (select(func.coalesce(func.sum(Slot.capacity), 0)).where(Slot.session_id == ClinicSession.id)
                .correlate(ClinicSession).scalar_subquery())
    return (select(ClinicSession, Doctor.name.label("doctor_name"), Doctor.department_id,
                   RosteredDoctor.name.label("rostered_doctor_name"), capacity.label("capacity"),
                   _count_in_session(TAKEN_STATUSES).label("taken"),
                   _count_in_session((BookingStatus.PENDING,)).label("pending"))
            .join(Doctor, Doctor.id == ClinicSession.doctor_id)
            .join(RosteredDoctor, RosteredDoctor.id == ClinicSession.rostered_doctor_id))


def session_info(r) -> SessionInfo:
    return SessionInfo(r.id, r.doctor_id, r.doctor_name, r.rostered_doctor_id, r.department_id, r.day, r.period,
                       r.starts_at, r.ends_at, r.status, r.note, int(r.capacity or 0), int(r.taken or 0),
                       int(r.pending or 0), r.rostered_doctor_name)


def session_in(conn: Connection, session_id: int) -> SessionInfo:
    return session_info(row_by_id(conn, session_select().where(ClinicSession.id == session_id), session_id, "出诊 ID"))


def get_session(db: Database, session_id: int) -> SessionInfo:
    with db.read() as conn:
        return session_in(conn, session_id)


def sessions_for(db: Database, day: dt.date, department_id: int | None = None, doctor_id: int | None = None,
                 published_only: bool = False) -> list[SessionInfo]:
    """The day's sessions (for the walk-in dialog: department -> doctor -> session -> slot)."""
    q = session_select().where(ClinicSession.day == day)
    if department_id is not None:
        q = q.where(Doctor.department_id == department_id)
    if doctor_id is not None:
        q = q.where(ClinicSession.doctor_id == doctor_id)
    if published_only:
        q = q.where(ClinicSession.status == SessionStatus.PUBLISHED)
    q = q.order_by(ClinicSession.starts_at, Doctor.name, ClinicSession.id)
    with db.read() as conn:
        return [session_info(r) for r in conn.execute(q)]


def _slot_select():
    def count(statuses):
        return (select(func.count(Booking.id)).where(Booking.slot_id == Slot.id, Booking.status.in_(statuses))
                .correlate(Slot).scalar_subquery())
    return select(Slot, count(TAKEN_STATUSES).label("taken"), count((BookingStatus.PENDING,)).label("pending"))


def _slot_info(r) -> SlotInfo:
    taken, pending = int(r.taken or 0), int(r.pending or 0)
    return SlotInfo(r.id, r.session_id, r.starts_at, r.ends_at, r.capacity, taken, pending, r.capacity - taken)


def list_slots(db: Database, session_id: int) -> list[SlotInfo]:
    with db.read() as conn:
        session_in(conn, session_id)
        return [_slot_info(r) for r in conn.execute(_slot_select().where(Slot.session_id == session_id)
                                                    .order_by(Slot.starts_at))]


def affected_count(db: Database, session_id: int) -> int:
    """How many patients a stop clinic would tell now (pending + confirmed bookings)."""
    with db.read() as conn:
        session_in(conn, session_id)
        return conn.execute(select(func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
                            .where(Slot.session_id == session_id, Booking.status.in_(STOPPABLE))).scalar_one()


def notice_count(db: Database, session_id: int) -> int:
    """How many patients a substitution or new hours would tell now (services.notify.outbox.enqueue_for_session)."""
    with db.read() as conn:
        session_in(conn, session_id)
        return conn.execute(select(func.count(func.distinct(Booking.patient_id)))
                            .join(Slot, Slot.id == Booking.slot_id)
                            .where(Slot.session_id == session_id,
                                   Booking.status == BookingStatus.CONFIRMED)).scalar_one()


def _doctor_clash(conn: Connection, doctor_id: int, day: dt.date, starts_at: dt.time, ends_at: dt.time,
                  exclude_session: int) -> SessionInfo | None:
    """Another live session of this doctor that day overlapping these hours, if any."""
    rows = conn.execute(session_select().where(ClinicSession.doctor_id == doctor_id, ClinicSession.day == day,
                                               ClinicSession.status != SessionStatus.STOPPED,
                                               ClinicSession.id != exclude_session)).all()
    for r in rows:
        if overlaps(starts_at, ends_at, r.starts_at, r.ends_at):
            return session_info(r)
    return None


def _locked_session(conn: Connection, session_id: int, doctor_id: int) -> SessionInfo:
    """Lock the session row and re-read it; refuse if its doctor changed since we looked."""
    conn.execute(select(ClinicSession.id).where(ClinicSession.id == session_id).with_for_update())
    s = session_in(conn, session_id)
    if s.doctor_id != doctor_id:
        raise Conflict(f"出诊 {session_id} 刚被他人修改（医生已变更），请刷新后重试")
    return s


# ---------------------------------------------------------------- changes

def update_session(db: Database, actor: Actor, session_id: int, *, starts_at=None, ends_at=None,
                   note: str | None = None) -> SessionInfo:
    """Change a session's hours (they must still hold all its slots) and/or its note.

    None leaves a field as it is; note='' clears the note. When the hours change, each patient
    holding a booking is told (a 'rescheduled' notification, same transaction)."""
    actor.require("roster.edit")
    new_start = parse_time(starts_at, "开始时间", field="starts_at") if starts_at is not None else None
    new_end = parse_time(ends_at, "结束时间", field="ends_at") if ends_at is not None else None
    if note is not None:
        note = limits.text(note, "备注", 500, required=False, field="note") or ""

    def tx(conn: Connection) -> SessionInfo:
        first = session_in(conn, session_id)
        actor.require("roster.edit", first.department_id)
        lock_doctors(conn, [first.doctor_id])
        s = _locked_session(conn, session_id, first.doctor_id)
        if s.status == SessionStatus.STOPPED:
            raise ValidationError("该出诊已停诊，不能修改")
        a, b = new_start or s.starts_at, new_end or s.ends_at
        check_hours(s.period, a, b)
        lo, hi = conn.execute(select(func.min(Slot.starts_at), func.max(Slot.ends_at))
                              .where(Slot.session_id == session_id)).one()
        if lo is not None and (a > lo or b < hi):
            raise ValidationError(f"出诊时间 {fmt_time(a)}-{fmt_time(b)} 须包含全部号源时段（{fmt_time(lo)}-{fmt_time(hi)}）",
                                  field="starts_at" if a > lo else "ends_at")
        clash = _doctor_clash(conn, s.doctor_id, s.day, a, b, session_id)
        if clash is not None:
            raise ValidationError(f"与 {s.doctor_name} 当天 {PERIOD_LABELS[clash.period]} "
                                  f"{fmt_time(clash.starts_at)}-{fmt_time(clash.ends_at)} 的出诊重叠", field="starts_at")
        values = {"starts_at": a, "ends_at": b, "updated_at": utcnow()}
        if note is not None:
            values["note"] = note or None
        rc = conn.execute(update(ClinicSession)
                          .where(ClinicSession.id == session_id, ClinicSession.status != SessionStatus.STOPPED)
                          .values(**values)).rowcount
        if rc != 1:
            raise Conflict(f"出诊 {session_id} 刚被他人停诊")
        notified = 0
        if (a, b) != (s.starts_at, s.ends_at):
            notified = outbox.enqueue_for_session(conn, session_id, "rescheduled",
                                                  {"reason": f"出诊时间改为{fmt_time(a)}-{fmt_time(b)}"})
        audit.record(conn, actor, "update", "session", session_id,
                     {"before": {"starts_at": s.starts_at, "ends_at": s.ends_at, "note": s.note},
                      **{k: v for k, v in values.items() if k != "updated_at"}, "notified": notified})
        return replace(session_in(conn, session_id), notified=notified)

    return db.run(tx)


def set_slot_capacity(db: Database, actor: Actor, slot_id: int, capacity: int) -> SlotInfo:
    """Change a slot's places; never below the places already taken (checked under the slot's lock)."""
    actor.require("roster.edit")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
        raise ValidationError(f"号源必须是大于 0 的整数：{capacity}", field="capacity")
    capacity = limits.PLACES.check(capacity, field="capacity")

    def tx(conn: Connection) -> SlotInfo:
        row = row_by_id(conn, select(Slot.session_id).where(Slot.id == slot_id).with_for_update(), slot_id, "时段 ID")
        s = session_in(conn, row.session_id)
        actor.require("roster.edit", s.department_id)
        if s.status == SessionStatus.STOPPED:
            raise ValidationError("该出诊已停诊，不能修改号源")
        taken_q = (select(func.count(Booking.id))
                   .where(Booking.slot_id == slot_id, Booking.status.in_(TAKEN_STATUSES)).scalar_subquery())
        taken = conn.execute(select(taken_q)).scalar_one()
        if capacity < taken:
            raise ValidationError(f"该时段已有 {taken} 人预约，号源不能少于 {taken}", field="capacity")
        before = conn.execute(select(Slot.capacity).where(Slot.id == slot_id)).scalar_one()
        # conditional on the count as well: safe even for a writer that confirms without the slot lock
        rc = conn.execute(update(Slot).where(Slot.id == slot_id, taken_q <= capacity)
                          .values(capacity=capacity)).rowcount
        if rc != 1:
            raise Conflict("该时段的预约人数刚刚发生变化，请刷新后重试")
        audit.record(conn, actor, "capacity", "slot", slot_id, {"before": before, "capacity": capacity})
        return _slot_info(conn.execute(_slot_select().where(Slot.id == slot_id)).one())

    return db.run(tx)


def stop_session(db: Database, actor: Actor, session_id: int, reason: str) -> StopSummary:
    """Stop clinic (停诊): the session and all its pending/confirmed bookings become 'stopped'
    with the reason, and each of those patients gets a notification, in one transaction."""
    actor.require("session.stop")
    reason = limits.text(reason, "停诊原因", 500, field="reason")  # told to every patient of the session: nothing hidden in it

    def tx(conn: Connection) -> StopSummary:
        s = session_in(conn, session_id)
        actor.require("session.stop", s.department_id)
        # session, then slots (the decisions' order): a decision in progress finishes first, or sees 'stopped'.
        # On MySQL/MariaDB the slots are only share-locked, since the mini-program's cancel share-locks
        # the slot row (InnoDB's foreign-key check) while holding its booking; the deciders there take
        # turns on the session row, which the exclusive session lock below already covers.
        conn.execute(select(ClinicSession.id).where(ClinicSession.id == session_id).with_for_update())
        slot_ids = list(conn.execute(select(Slot.id).where(Slot.session_id == session_id).order_by(Slot.id)
                                     .with_for_update(read=conn.dialect.name == "mysql")).scalars())
        now = utcnow()
        rc = conn.execute(update(ClinicSession)
                          .where(ClinicSession.id == session_id, ClinicSession.status.in_((SessionStatus.DRAFT,
                                                                                           SessionStatus.PUBLISHED)))
                          .values(status=SessionStatus.STOPPED, updated_at=now)).rowcount
        if rc != 1:
            raise Conflict(f"出诊 {session_id} 已经停诊")
        # Read the ids first, then update by primary key. An UPDATE that finds its rows through the
        # (slot_id, status) index locks that index's records before the rows, while the mini-program's
        # cancel holds its row and then rewrites the same index record: InnoDB deadlocks the two and
        # may pick the mini-program, which does not retry. A request that arrives after this read is
        # decided by the rules and refused for the stopped session like any later one.
        candidates = list(conn.execute(select(Booking.id).where(Booking.slot_id.in_(slot_ids),
                                                                Booking.status.in_(STOPPABLE))
                                       .order_by(Booking.id)).scalars()) if slot_ids else []
        ids: list[int] = []
        for start in range(0, len(candidates), 500):
            chunk = candidates[start:start + 500]
            # lock the chunk's rows (by primary key) before changing any: each change moves its slot's
            # counter (a trigger), and a stop holding a counter while it waits for a booking the
            # mini-program is cancelling (which then wants that counter) would deadlock with it
            conn.execute(select(Booking.id).where(Booking.id.in_(chunk)).order_by(Booking.id)
                         .with_for_update(key_share=True))
            conn.execute(update(Booking).where(Booking.id.in_(chunk), Booking.status.in_(STOPPABLE))
                         .values(status=BookingStatus.STOPPED, reason=reason, updated_at=now, decided_at=now,
                                 decided_by=actor.name))
            # a patient may have cancelled meanwhile: only the rows this stop changed are told (only
            # this stop ever sets 'stopped' on this session's bookings: a session is stopped once)
            ids += conn.execute(select(Booking.id).where(Booking.id.in_(chunk), Booking.status == BookingStatus.STOPPED)
                                .order_by(Booking.id)).scalars()
        notified = outbox.enqueue(conn, ids, "stopped", {"session_id": session_id})
        audit.record(conn, actor, "stop", "session", session_id,
                     {"reason": reason, "bookings": len(ids), "slots": len(slot_ids)})
        audit.record_many(conn, actor, "stop", "booking", ids, {"reason": reason, "session_id": session_id})
        log.info("session %s stopped by %s: %d bookings", session_id, actor.name, len(ids))
        return StopSummary(session_id, len(ids), notified)

    return db.run(tx)


def substitute(db: Database, actor: Actor, session_id: int, new_doctor_id: int,
               note: str | None = None) -> SessionInfo:
    """Another doctor of the same department takes this session (替诊); the roster's doctor is kept.
    Each patient holding a booking in it is told (a 'substituted' notification, same transaction)."""
    actor.require("session.substitute")
    note = limits.text(note, "备注", 500, required=False, field="note")

    def tx(conn: Connection) -> SessionInfo:
        first = session_in(conn, session_id)
        actor.require("session.substitute", first.department_id)
        lock_doctors(conn, [new_doctor_id])  # no publish or other substitution can place them meanwhile
        new = doctor_in(conn, new_doctor_id)
        s = _locked_session(conn, session_id, first.doctor_id)
        if s.status == SessionStatus.STOPPED:
            raise ValidationError("该出诊已停诊，不能替诊")
        if new.id == s.doctor_id:
            raise ValidationError(f"该出诊已由 {new.name} 出诊", field="new_doctor_id")
        if not new.active:
            raise ValidationError(f"医生 {new.name} 已停用，不能替诊", field="new_doctor_id")
        if new.department_id != s.department_id:
            raise ValidationError(f"替诊医生须在同一科室：{new.name} 属于 {new.department_name}", field="new_doctor_id")
        clash = _doctor_clash(conn, new.id, s.day, s.starts_at, s.ends_at, session_id)
        if clash is not None:
            raise ValidationError(f"{new.name} 当天 {PERIOD_LABELS[clash.period]} "
                                  f"{fmt_time(clash.starts_at)}-{fmt_time(clash.ends_at)} 已有出诊，时间重叠",
                                  field="new_doctor_id")
        text = note or (f"原医生 {s.rostered_doctor_name}，由 {new.name} 替诊" if new.id != s.rostered_doctor_id
                        else f"恢复原医生 {new.name} 出诊")
        rc = conn.execute(update(ClinicSession)
                          .where(ClinicSession.id == session_id, ClinicSession.doctor_id == s.doctor_id,
                                 ClinicSession.status != SessionStatus.STOPPED)
                          .values(doctor_id=new.id, note=text, updated_at=utcnow())).rowcount
        if rc != 1:
            raise Conflict(f"出诊 {session_id} 刚被他人修改，请刷新后重试")
        notified = outbox.enqueue_for_session(conn, session_id, "substituted", {"reason": f"改由{new.name}医生出诊"})
        audit.record(conn, actor, "substitute", "session", session_id,
                     {"from_doctor_id": s.doctor_id, "to_doctor_id": new.id, "note": text, "notified": notified})
        return replace(session_in(conn, session_id), notified=notified)

    return db.run(tx)
