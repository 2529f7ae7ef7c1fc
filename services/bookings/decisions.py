"""The booking state machine: decisions, cancellations at the desk, check-in, no-shows and walk-ins.

Legal transitions (shared/CONTRACT.md; ``stopped`` is set by services.rosters.templates when a clinic stops):

    pending   -> confirmed | full | rejected    approve / reject here, or services.bookings.rules.decide_pending
    pending   -> cancelled                      the mini-program, or cancel() at the desk
    confirmed -> cancelled | checked_in | no_show
    checked_in | no_show -> confirmed           a check-in or no-show undone (services.bookings.attendance)

Every change is one conditional UPDATE (``WHERE id = :id AND status IN (...)``) whose row count is
checked, in one transaction with its audit row and its outbox row: a refused or rolled-back change
leaves neither.

Capacity is a write that conflicts. Triggers keep each slot's counter (slot_counters: taken places,
CHECK taken <= capacity; services/migrations/capacity.py) whoever changes a booking, so the database
itself refuses an oversold slot, and two decisions taking places in one slot both write its counter
row. On one server the locks below also make deciders take turns, so what they count is fresh; on a
multi-primary cluster (Galera), where a lock is known to its own node only, the second of two such
decisions fails certification (1213) or the CHECK, and services.db retries it: it then reads the
other's decision. The one-a-day rule likewise writes a guard row per patient, department and day
before it counts the patient's bookings (lock_and_count). Lock order, everywhere: patient row, clinic
session, slot row, the patient's guard row, bookings, then a
booking's slot counter (the trigger, after its booking, as for the mini-program's cancel; see
lock_and_count for how PostgreSQL and MySQL/MariaDB lock them).
On SQLite ``BEGIN IMMEDIATE`` already serializes writers, so the lock statements are skipped there.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from services import limits
from services.clock import hospital_today, local_now, utcnow
from services.db import Database, first_line, is_connection_error
from services.domain import BookingSource, BookingStatus, SessionStatus
from services.errors import Conflict, DatabaseUnavailable, NotFound, RegdeskError, RuleRefused, ValidationError
from services.models import Booking, ClinicSession, Doctor, Patient, Slot, SlotCounter
from services.notify import outbox
from services.rosters import shares
from services.staff import audit
from services.staff.actor import Actor
from services.sync.changes import Changes

log = logging.getLogger(__name__)

STATUS_LABELS = {
    BookingStatus.PENDING: "待审核", BookingStatus.CONFIRMED: "预约成功", BookingStatus.REJECTED: "预约失败",
    BookingStatus.FULL: "预约已满", BookingStatus.CANCELLED: "已取消", BookingStatus.STOPPED: "停诊",
    BookingStatus.CHECKED_IN: "已签到", BookingStatus.NO_SHOW: "爽约",
}
SOURCE_LABELS = {BookingSource.MINIPROGRAM: "小程序", BookingSource.DESK: "窗口"}

# new status -> the statuses it may be reached from (the contract's state machine)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    BookingStatus.CONFIRMED: (BookingStatus.PENDING,),
    BookingStatus.FULL: (BookingStatus.PENDING,),
    BookingStatus.REJECTED: (BookingStatus.PENDING,),
    BookingStatus.CANCELLED: (BookingStatus.PENDING, BookingStatus.CONFIRMED),
    BookingStatus.CHECKED_IN: (BookingStatus.CONFIRMED,),
    BookingStatus.NO_SHOW: (BookingStatus.CONFIRMED,),
}
DECISION_ACTION = "decide"  # the audit action of every pending -> confirmed/full/rejected
FULL_REASON = "该时段号源已满"
MAX_REASON = 200


@dataclass(frozen=True)
class BookingResult:
    id: int
    status: str
    reason: str | None
    slot_id: int
    patient_id: int

    @property
    def changes(self) -> Changes:
        """The booking and its slot's places (its session is not known here)."""
        return Changes(bookings={self.id}, slots={self.slot_id}, unplaced=True)


@dataclass(frozen=True)
class Fresh:
    """What may change under a decider's feet, read after the locks are held."""
    capacity: int
    taken: int
    session_status: str
    duplicates: int  # the patient's other confirmed/checked_in bookings, same department and day


def label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def clean_reason(reason: str | None, what: str = "原因") -> str:
    return limits.text(reason, what, MAX_REASON)  # a reason reaches the patient: nothing hidden in it


# ---------------------------------------------------------------- building blocks (one transaction)

_CONTEXT = (select(Booking.id, Booking.status, Booking.slot_id, Booking.patient_id, Booking.reason,
                   Slot.session_id, Slot.starts_at.label("slot_starts_at"), ClinicSession.day,
                   ClinicSession.ends_at.label("session_ends_at"), ClinicSession.status.label("session_status"),
                   Doctor.department_id, Booking.created_at.label("requested_at"), Booking.channel,
                   Booking.referral_code)
            .join(Slot, Slot.id == Booking.slot_id)
            .join(ClinicSession, ClinicSession.id == Slot.session_id)
            .join(Doctor, Doctor.id == ClinicSession.doctor_id))


def load_context(conn: Connection, booking_id: int):
    """The booking with its slot, session and department (a Row), or NotFound."""
    row = conn.execute(_CONTEXT.where(Booking.id == booking_id)).one_or_none()
    if row is None:
        raise NotFound(f"预约不存在（编号 {booking_id}）")
    return row


# The hot path's statements, built once: constructing a Core statement costs more Python time
# than SQLite takes to run it, and autoapprove runs these once per decision.
_b2, _s2, _c2, _d2 = (Booking.__table__.alias("b2"), Slot.__table__.alias("s2"),
                      ClinicSession.__table__.alias("c2"), Doctor.__table__.alias("d2"))
_DUPLICATES = (select(func.count())
               .select_from(_b2.join(_s2, _s2.c.id == _b2.c.slot_id).join(_c2, _c2.c.id == _s2.c.session_id)
                            .join(_d2, _d2.c.id == _c2.c.doctor_id))
               .where(_b2.c.patient_id == bindparam("patient"), _b2.c.status.in_((BookingStatus.CONFIRMED,
                                                                                  BookingStatus.CHECKED_IN)),
                      _b2.c.id != bindparam("booking"), _c2.c.day == bindparam("day"),
                      _d2.c.department_id == bindparam("department"))
               .scalar_subquery())
# the slot's taken places from its counter (one row, kept by triggers) rather than a count of bookings
_FRESH = (select(SlotCounter.capacity, ClinicSession.status, SlotCounter.taken).select_from(Slot)
          .join(SlotCounter, SlotCounter.slot_id == Slot.id)
          .join(ClinicSession, ClinicSession.id == Slot.session_id).where(Slot.id == bindparam("slot")))
_FRESH_DUP = (select(SlotCounter.capacity, ClinicSession.status, SlotCounter.taken, _DUPLICATES).select_from(Slot)
              .join(SlotCounter, SlotCounter.slot_id == Slot.id)
              .join(ClinicSession, ClinicSession.id == Slot.session_id).where(Slot.id == bindparam("slot")))
_GUARD_VALUES = "(patient_id, department_id, day, version) VALUES (:patient, :department, :day, 1)"
_GUARD = {
    "postgresql": text(f"INSERT INTO patient_day_guards {_GUARD_VALUES} ON CONFLICT (patient_id, department_id, day)"
                       " DO UPDATE SET version = patient_day_guards.version + 1"),
    "sqlite": text(f"INSERT INTO patient_day_guards {_GUARD_VALUES} ON CONFLICT (patient_id, department_id, day)"
                   " DO UPDATE SET version = version + 1"),
    "mysql": text(f"INSERT INTO patient_day_guards {_GUARD_VALUES} ON DUPLICATE KEY UPDATE version = version + 1"),
}
# PostgreSQL takes the rows' locks in the order of the locking clauses: patient, session, slot
_PG_LOCK = text("SELECT 1 FROM clinic_sessions cs JOIN slots s ON s.session_id = cs.id"
                " WHERE cs.id = :session AND s.id = :slot FOR SHARE OF cs FOR NO KEY UPDATE OF s")
_PG_LOCK_WITH_PATIENT = text(
    "SELECT 1 FROM patients p, clinic_sessions cs JOIN slots s ON s.session_id = cs.id"
    " WHERE p.id = :patient AND cs.id = :session AND s.id = :slot"
    " FOR NO KEY UPDATE OF p FOR SHARE OF cs FOR NO KEY UPDATE OF s")
MY_DAY_SESSIONS = (select(ClinicSession.id).join(Doctor, Doctor.id == ClinicSession.doctor_id)
                    .where(ClinicSession.day == bindparam("day"), Doctor.department_id == bindparam("department")))
MY_LOCK_SESSIONS = (select(ClinicSession.id).where(ClinicSession.id.in_(bindparam("sessions", expanding=True)))
                     .order_by(ClinicSession.id).with_for_update())
_MY_SHARE_SLOT = select(Slot.id).where(Slot.id == bindparam("slot")).with_for_update(read=True)
# target status -> UPDATE ... WHERE id = :b_id AND status IN (its legal sources); SET given at execution
_UPDATES = {to: update(Booking).where(Booking.id == bindparam("b_id"), Booking.status.in_(sources))
            for to, sources in TRANSITIONS.items()}


def lock_and_count(conn: Connection, *, slot_id: int, session_id: int, patient_id: int | None = None,
                   booking_id: int | None = None, day: dt.date | None = None,
                   department_id: int | None = None, day_sessions: Iterable[int] | None = None) -> Fresh:
    """Take the locks a capacity decision needs, then read capacity, taken (the slot's counter) and
    duplicates afresh.

    The locks make deciders on one server take turns, so what they read is what they decide on. On a
    multi-primary cluster they hold on their own node only: there the slot counter (written by the
    confirmation's trigger, CHECK taken <= capacity) and the guard row (below) make two concurrent
    decisions conflict, and services.db retries the later one, which then reads the earlier's result.

    ``patient_id`` given: the patient's other confirmed or checked-in bookings in ``department_id``
    on ``day`` are counted too (the one-a-day rule), under a lock that keeps two deciders from both
    confirming the same patient twice. The counting statement runs after the locks, so under READ
    COMMITTED it sees every decision committed by the previous holder of the lock. Before counting,
    the decision writes the guard row of that patient, department and day (:func:`guard_days`), which
    every such decision writes. On one server the locks already serialize them; on a multi-primary
    cluster it is what makes the count trustworthy: another node's decision on that patient's day
    either was applied here before the guard row was written (so the count sees it), or its
    replication finds the row locked and aborts this transaction, or both are in flight together and
    the later fails certification (1213); services.db retries the loser, which then counts the
    other's booking. Writing the guard only when confirming, after the count, leaves a gap: the other
    node's decision applied between the count and the write conflicts with nothing.

    PostgreSQL: patient FOR NO KEY UPDATE (one-a-day rule only), session FOR SHARE (a stop, which
    updates the session, waits for this decision or is seen by it), slot FOR NO KEY UPDATE: deciders
    of one slot take turns, and nothing the mini-program does (its foreign keys take FOR KEY SHARE)
    is held up.
    MySQL/MariaDB: InnoDB share-locks a booking's patient and slot rows whenever the booking's status
    changes (the foreign keys' indexes hold the status) or a booking is inserted. An exclusive lock
    on either row would make the mini-program's plain cancel UPDATE (booking row first, then those
    share locks) deadlock with a decider of that booking (patient/slot first, then the booking row).
    So deciders take turns on rows the mini-program never touches: the session row (FOR UPDATE), or
    for the one-a-day rule every session of that department that day (in id order), and only
    share-lock the slot, which still keeps a capacity change (slot FOR UPDATE) out. ``day_sessions``
    may give those sessions as read earlier (a batch's context): two deciders of one patient still
    share a lock, since each set holds its decider's own session, and the set read later also holds
    the other's (which existed before the other's booking, hence before either set was read).
    On SQLite ``BEGIN IMMEDIATE`` has already made this the only writer: no lock statements.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        if patient_id is None:
            conn.execute(_PG_LOCK, {"session": session_id, "slot": slot_id})
        else:
            conn.execute(_PG_LOCK_WITH_PATIENT, {"patient": patient_id, "session": session_id, "slot": slot_id})
    elif dialect != "sqlite":
        sessions = {session_id}
        if patient_id is not None:
            if day_sessions is None:
                day_sessions = conn.execute(MY_DAY_SESSIONS, {"day": day, "department": department_id}).scalars()
            sessions.update(day_sessions)
        conn.execute(MY_LOCK_SESSIONS, {"sessions": sorted(sessions)})
        conn.execute(_MY_SHARE_SLOT, {"slot": slot_id})
    if patient_id is None:
        row = conn.execute(_FRESH, {"slot": slot_id}).one()
        return Fresh(capacity=row[0], session_status=row[1], taken=row[2], duplicates=0)
    guard_days(conn, [(patient_id, department_id, day)])
    row = conn.execute(_FRESH_DUP, {"slot": slot_id, "patient": patient_id, "booking": booking_id or 0,
                                    "day": day, "department": department_id}).one()
    return Fresh(capacity=row[0], session_status=row[1], taken=row[2], duplicates=row[3])


def guard_days(conn: Connection, keys: list[tuple[int, int, dt.date]]) -> None:
    """Write the guard row of each (patient, department, day) whose one-a-day rule is about to be checked,
    before its bookings are counted (lock_and_count says why); one row per decision, in the caller's order."""
    if keys:
        conn.execute(_GUARD[conn.dialect.name], [{"patient": p, "department": dep, "day": day} for p, dep, day in keys])


def transition(conn: Connection, actor: Actor, booking_id: int, to: str, *, reason: str | None = None,
               action: str, values: dict | None = None, keep_reason: bool = False, kind: str | None = None) -> bool:
    """The conditional UPDATE from any legal previous status to ``to``, with its audit and outbox rows
    (the outbox's kind for ``to``, or ``kind``: a waiting request confirmed is told 候补成功).

    Returns False (and writes nothing) when the booking is no longer in a status ``to`` may follow.
    """
    now = utcnow()
    vals = {"b_id": booking_id, "status": to, "updated_at": now, **(values or {})}
    if not keep_reason:
        vals["reason"] = reason
    if to in (BookingStatus.CONFIRMED, BookingStatus.FULL, BookingStatus.REJECTED):
        vals.update(decided_at=now, decided_by=actor.name)
    if conn.execute(_UPDATES[to], vals).rowcount != 1:
        return False
    audit.record(conn, actor, action, "booking", booking_id, {"to": to, "reason": reason})
    kind = kind or outbox.NOTIFY_KINDS.get(to)
    if kind:
        outbox.enqueue(conn, [booking_id], kind)
    return True


def _current_status(conn: Connection, booking_id: int) -> str | None:
    return conn.execute(select(Booking.status).where(Booking.id == booking_id)).scalar()


def _result(row, status: str, reason: str | None) -> BookingResult:
    return BookingResult(id=row.id, status=status, reason=reason, slot_id=row.slot_id, patient_id=row.patient_id)


def _unpublished_message(session_status: str, verb: str) -> str:
    if session_status == SessionStatus.STOPPED:
        return f"该门诊已停诊，不能{verb}"
    return f"该门诊尚未发布，不能{verb}"


# ---------------------------------------------------------------- decisions by a clerk

def approve(db: Database, actor: Actor, booking_id: int, *, override: str | None = None,
            now: dt.datetime | None = None) -> BookingResult:
    """pending -> confirmed, or -> full when the slot has no place left, if the hospital's rules allow it.

    What the rules refuse (services.bookings.rules.verdict: booking window, blacklist, one a day per
    department, cut-off, a session not published or over) raises RuleRefused with the rule's own
    words and changes nothing. ``override`` (a reason) lets a holder of ``booking.override`` approve
    past a policy rule (window, blacklist, one a day, cut-off); the audit row names the rule and the
    reason. Nobody overrides a stopped, unpublished or finished session, nor the slot's capacity.
    """
    from services.bookings import rules, waitlist  # they build on this module; imported here to avoid a cycle
    now = now or local_now()
    why = clean_reason(override, "越过规则的理由") if override is not None else None

    def work(conn: Connection) -> BookingResult:
        row = load_context(conn, booking_id)
        actor.require("booking.decide", row.department_id)
        if row.status != BookingStatus.PENDING:
            raise Conflict(f"该预约已被处理：{label(row.status)}")
        fresh, refusal = rules.judge(conn, row, now)
        detail = None
        if refusal is not None:
            if why is None or not refusal.overridable:
                raise RuleRefused(refusal.reason, refusal.rule, refusal.overridable and why is None)
            actor.require("booking.override", row.department_id)
            detail = {"rule": refusal.rule, "rule_text": refusal.reason, "reason": why}
        place = shares.place_for(conn, row.slot_id, fresh.capacity, fresh.taken, row, now=now)  # 号源池
        to, reason = (BookingStatus.FULL, FULL_REASON) if place.left <= 0 else (BookingStatus.CONFIRMED, None)
        if to == BookingStatus.FULL and waitlist.is_waiting(row.status, row.reason):  # its wait is not ended at one key
            raise Conflict(f"该申请{row.reason}，有号释放时将按先后自动预约成功；不需要时请拒绝")
        if not transition(conn, actor, booking_id, to, reason=reason, action=DECISION_ACTION,
                          values=place.values if to == "confirmed" else None):
            raise Conflict(f"该预约已被处理：{label(_current_status(conn, booking_id))}")
        if detail is not None and to == BookingStatus.CONFIRMED:
            audit.record(conn, actor, "override", "booking", booking_id, detail)
        return _result(row, to, reason)
    return db.run(work)


R = TypeVar("R")


class Interrupted(DatabaseUnavailable):
    """The database went away in the middle of several actions: what was done before is kept (``done``)."""

    def __init__(self, message: str, done: list):
        super().__init__(message)
        self.done = done


def each(ids: Iterable[int], act: Callable[[int], R]) -> list[tuple[int, R | str]]:
    """``act(id)`` for each booking, one transaction each: a refusal (a colleague decided first, the slot
    is full, the clinic stopped) becomes that booking's message and the others go on. A lost database
    stops the run: DatabaseUnavailable when nothing was done yet, else Interrupted carrying what was,
    so a caller reports exactly what reached the database."""
    out: list[tuple[int, R | str]] = []
    for booking_id in ids:
        try:
            out.append((booking_id, act(booking_id)))
        except DatabaseUnavailable as exc:
            if not out:
                raise
            raise Interrupted(str(exc), out) from exc
        except RegdeskError as exc:
            out.append((booking_id, str(exc)))
        except DBAPIError as exc:
            if not is_connection_error(exc):
                raise
            message = "数据库连接中断：" + first_line(exc)
            if not out:
                raise DatabaseUnavailable(message) from exc
            raise Interrupted(message, out) from exc
    return out


def approve_many(db: Database, actor: Actor, ids: Iterable[int]) -> list[tuple[int, BookingResult | str]]:
    """approve() each booking in its own transaction (``each``)."""
    return each(ids, lambda booking_id: approve(db, actor, booking_id))


def reject(db: Database, actor: Actor, booking_id: int, reason: str) -> BookingResult:
    """pending -> rejected with a reason the patient will read."""
    text = clean_reason(reason, "拒绝原因")

    def work(conn: Connection) -> BookingResult:
        row = load_context(conn, booking_id)
        actor.require("booking.decide", row.department_id)
        if not transition(conn, actor, booking_id, BookingStatus.REJECTED, reason=text, action=DECISION_ACTION):
            raise Conflict(f"该预约已被处理：{label(_current_status(conn, booking_id))}")
        return _result(row, BookingStatus.REJECTED, text)
    return db.run(work)


def _simple(db: Database, actor: Actor, booking_id: int, permission: str, to: str, action: str, verb: str,
            *, reason: str | None = None, values: dict | None = None, keep_reason: bool = False,
            check=None) -> BookingResult:
    def work(conn: Connection) -> BookingResult:
        row = load_context(conn, booking_id)
        actor.require(permission, row.department_id)
        if row.status not in TRANSITIONS[to]:
            raise Conflict(f"该预约状态为“{label(row.status)}”，不能{verb}")
        if check:
            check(row)
        if not transition(conn, actor, booking_id, to, reason=reason, action=action, values=values,
                          keep_reason=keep_reason):
            raise Conflict(f"该预约状态已变为“{label(_current_status(conn, booking_id))}”，不能{verb}")
        return _result(row, to, reason if not keep_reason else row.reason)
    return db.run(work)


def cancel(db: Database, actor: Actor, booking_id: int, reason: str) -> BookingResult:
    """Cancel for the patient at the desk: pending or confirmed -> cancelled, the reason kept."""
    text = clean_reason(reason, "取消原因")
    return _simple(db, actor, booking_id, "booking.cancel", BookingStatus.CANCELLED, "cancel", "取消", reason=text)


def check_in(db: Database, actor: Actor, booking_id: int, *, now: dt.datetime | None = None) -> BookingResult:
    """confirmed -> checked_in: the patient arrived at the desk, on the day of the clinic (the hospital's
    local date, services.clock.hospital_today), never on another day."""
    today = hospital_today(now)

    def on_its_day(row) -> None:
        if row.day != today:
            raise ValidationError(f"只能在就诊当天签到（该预约的就诊日是 {row.day.isoformat()}）")
    return _simple(db, actor, booking_id, "booking.checkin", BookingStatus.CHECKED_IN, "check_in", "签到",
                   values={"checked_in_at": utcnow()}, keep_reason=True, check=on_its_day)


def mark_no_show(db: Database, actor: Actor, booking_id: int, *, now: dt.datetime | None = None) -> BookingResult:
    """confirmed -> no_show; only once the slot's time has come."""
    now = now or local_now()

    def not_before_slot(row) -> None:
        if dt.datetime.combine(row.day, row.slot_starts_at) > now:
            raise ValidationError("就诊时间未到，不能标记爽约")
    return _simple(db, actor, booking_id, "booking.checkin", BookingStatus.NO_SHOW, "no_show", "标记爽约",
                   keep_reason=True, check=not_before_slot)


def walk_in(db: Database, actor: Actor, slot_id: int, patient_id: int, *,
            now: dt.datetime | None = None) -> BookingResult:
    """A desk booking, confirmed at once if the slot has a free place (published session not over)."""
    now = now or local_now()

    def work(conn: Connection) -> BookingResult:
        slot = conn.execute(select(Slot.id, Slot.session_id, ClinicSession.day, ClinicSession.ends_at,
                                   Doctor.department_id)
                            .join(ClinicSession, ClinicSession.id == Slot.session_id)
                            .join(Doctor, Doctor.id == ClinicSession.doctor_id).where(Slot.id == slot_id)).one_or_none()
        if slot is None:
            raise NotFound(f"号源不存在（编号 {slot_id}）")
        actor.require("booking.walkin", slot.department_id)
        if conn.execute(select(Patient.id).where(Patient.id == patient_id)).scalar() is None:
            raise NotFound(f"患者不存在（编号 {patient_id}）")
        if dt.datetime.combine(slot.day, slot.ends_at) <= now:
            raise ValidationError("该门诊已结束，不能现场挂号")
        fresh = lock_and_count(conn, slot_id=slot_id, session_id=slot.session_id)
        if fresh.session_status != SessionStatus.PUBLISHED:
            raise ValidationError(_unpublished_message(fresh.session_status, "现场挂号"))
        if fresh.taken >= fresh.capacity:
            raise ValidationError("该时段已满")
        desk = shares.desk_refusal(conn, slot_id, fresh.capacity, fresh.taken, now)  # 号源池
        if desk:
            raise ValidationError(desk)
        stamp = utcnow()
        new_id = conn.execute(insert(Booking).values(
            slot_id=slot_id, patient_id=patient_id, status=BookingStatus.CONFIRMED, source=BookingSource.DESK,
            updated_at=stamp, decided_at=stamp, decided_by=actor.name)).inserted_primary_key[0]
        audit.record(conn, actor, "walk_in", "booking", new_id, {"to": "confirmed", "slot_id": slot_id})
        outbox.enqueue(conn, [new_id], "confirmed")
        return BookingResult(id=new_id, status=BookingStatus.CONFIRMED, reason=None, slot_id=slot_id,
                             patient_id=patient_id)
    return db.run(work)
