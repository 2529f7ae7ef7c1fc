"""Deciding pending requests in batches (the crush at release time, 放号): many decisions in one transaction,
exactly as one decision per transaction would decide them, one after another, oldest first.

:func:`decide` takes a run of pending requests (consecutive in id order, as services.bookings.rules.decide_pending
loads them) and, in the caller's transaction:

1. takes the locks of every decision of the run at once, in the one lock order of
   services.bookings.decisions.lock_and_count (patients, then sessions, then slots, each in id order; then
   the bookings still pending), so deciders of one server still take turns on a slot and never deadlock
   with each other, a clerk or the waitlist;
2. reads each slot's counter (capacity, taken), session status and shares (services.rosters.shares.read_shares:
   who holds its places, by share), and each patient's confirmed or checked-in bookings per department
   and day, once;
3. decides each request in id order with the very rules of a single decision (:func:`decide_one`:
   services.bookings.rules.verdict, services.rosters.shares.place_for, services.bookings.waitlist.queues),
   counting what the run itself confirms: a slot's taken places, the share each confirmation took
   (SlotShares.after), a patient's booking that day (the one-a-day rule);
4. writes the bookings a conditional UPDATE for each (status, reason, kept share), and the same audit rows,
   outbox rows and waitlist positions as single decisions write.

Between 1 and 2, as each single decision does in lock_and_count, the run writes the one-a-day guard row
(services.bookings.decisions.guard_days) of each request it is about to check, before it counts anything.

:func:`decide_one` is the single decision, in its own transaction: the reference the batches decide
exactly as, and what a run that fails is decided with again, one request a transaction.

On a multi-primary cluster (Galera) the run writes every counter and guard row its decisions need, as
single decisions do: a run that raced another node's decision fails certification (or the counter's
CHECK, or is aborted by the other's replication finding its guard row locked) as a whole, and services.db
retries it, reading the other's decisions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection

from services.bookings import decisions, rules, waitlist
from services.clock import utcnow
from services.domain import BookingStatus
from services.errors import Conflict
from services.models import Booking, ClinicSession, Doctor, Slot, SlotCounter
from services.notify import outbox
from services.rosters import shares
from services.staff import audit
from services.staff.actor import Actor

_PG_PATIENTS = text("SELECT 1 FROM patients WHERE id IN :ids ORDER BY id FOR NO KEY UPDATE"
                    ).bindparams(bindparam("ids", expanding=True))
_PG_SESSIONS = text("SELECT 1 FROM clinic_sessions WHERE id IN :ids ORDER BY id FOR SHARE"
                    ).bindparams(bindparam("ids", expanding=True))
_PG_SLOTS = text("SELECT 1 FROM slots WHERE id IN :ids ORDER BY id FOR NO KEY UPDATE"
                 ).bindparams(bindparam("ids", expanding=True))
_MY_SHARE_SLOTS = (select(Slot.id).where(Slot.id.in_(bindparam("ids", expanding=True)))
                   .order_by(Slot.id).with_for_update(read=True))
_COUNTERS = (select(Slot.id, SlotCounter.capacity, ClinicSession.status, SlotCounter.taken).select_from(Slot)
             .join(SlotCounter, SlotCounter.slot_id == Slot.id)
             .join(ClinicSession, ClinicSession.id == Slot.session_id)
             .where(Slot.id.in_(bindparam("ids", expanding=True))))
_PENDING = (select(Booking.id).where(Booking.id.in_(bindparam("ids", expanding=True)), Booking.status == BookingStatus.PENDING)
            .order_by(Booking.id).with_for_update(key_share=True))
_HELD = (select(Booking.patient_id, Doctor.department_id, ClinicSession.day, func.count())
         .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
         .join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .where(Booking.patient_id.in_(bindparam("patients", expanding=True)),
                Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)),
                ClinicSession.day.in_(bindparam("days", expanding=True)),
                Doctor.department_id.in_(bindparam("departments", expanding=True)))
         .group_by(Booking.patient_id, Doctor.department_id, ClinicSession.day))


@dataclass
class _Slot:
    capacity: int
    session_status: str
    taken: int


def decide_one(conn: Connection, actor: Actor, row, reason: str | None, r: rules.Rules, now: dt.datetime,
               day_sessions: list[int] | None = None) -> str | None:
    """One decision in its own transaction (the reference of :func:`decide`, and its fallback); returns the new
    status ('waiting': it waits), or None if no longer pending."""
    values = None
    if reason is None:
        dup = r.one_per_department_day
        fresh = decisions.lock_and_count(
            conn, slot_id=row.slot_id, session_id=row.session_id, patient_id=row.patient_id if dup else None,
            booking_id=row.id, day=row.day, department_id=row.department_id, day_sessions=day_sessions)
        refusal = rules.verdict(row, r, now, {}, session_status=fresh.session_status, duplicates=fresh.duplicates)
        if refusal is not None:
            to, reason = BookingStatus.REJECTED, refusal.reason
        else:  # 号源池: which share this request may take a place from
            place = shares.place_for(conn, row.slot_id, fresh.capacity, fresh.taken, row, now=now, r=r)
            queued = waitlist.queues(conn, row, r, now, place.left, place.share)
            if queued is not None:
                return "waiting" if waitlist.hold(conn, actor, row.id, queued) else None
            if place.left <= 0:  # no place left, or none of the shares this request may take
                to, reason = BookingStatus.FULL, decisions.FULL_REASON
            else:
                to, values = BookingStatus.CONFIRMED, place.values
    else:
        to = BookingStatus.REJECTED  # a rejection takes no place: no lock needed, the conditional UPDATE suffices
    if not decisions.transition(conn, actor, row.id, to, reason=reason, action=decisions.DECISION_ACTION,
                                values=values):
        return None
    return to


def _lock(conn: Connection, rows, one_a_day: bool, day_sessions: dict) -> None:
    """lock_and_count's locks for every row at once, in its order (see the module's text). On MySQL/MariaDB
    ``day_sessions`` holds a department's sessions of a day as read when the run was loaded: why that is
    enough, lock_and_count says (its ``day_sessions``)."""
    dialect = conn.dialect.name
    slots = sorted({r.slot_id for r in rows})
    sessions = {r.session_id for r in rows}
    if dialect == "postgresql":
        if one_a_day:
            conn.execute(_PG_PATIENTS, {"ids": sorted({r.patient_id for r in rows})})
        conn.execute(_PG_SESSIONS, {"ids": sorted(sessions)})
        conn.execute(_PG_SLOTS, {"ids": slots})
    elif dialect != "sqlite":  # MySQL/MariaDB: the sessions (all of a department's day for the one-a-day rule)
        if one_a_day:
            for r in rows:
                found = day_sessions.get((r.day, r.department_id))
                if found is None:
                    found = day_sessions[(r.day, r.department_id)] = list(conn.execute(
                        decisions.MY_DAY_SESSIONS, {"day": r.day, "department": r.department_id}).scalars())
                sessions.update(found)
        conn.execute(decisions.MY_LOCK_SESSIONS, {"sessions": sorted(sessions)})
        conn.execute(_MY_SHARE_SLOTS, {"ids": slots})


def _read(conn: Connection, rows, one_a_day: bool) -> tuple[dict[int, _Slot], dict[tuple, int]]:
    """After the locks: each slot's counter and session status, and (one-a-day rule) each patient's
    confirmed or checked-in bookings per (patient, department, day)."""
    slots = {sid: _Slot(cap, status, taken) for sid, cap, status, taken in
             conn.execute(_COUNTERS, {"ids": sorted({r.slot_id for r in rows})})}
    held: dict[tuple, int] = {}
    if one_a_day:
        params = {"patients": sorted({r.patient_id for r in rows}), "days": sorted({r.day for r in rows}),
                  "departments": sorted({r.department_id for r in rows})}
        held = {(p, dep, day): n for p, dep, day, n in conn.execute(_HELD, params)}
    return slots, held


def decide(conn: Connection, actor: Actor, rows, refused: dict[int, str | None], r: rules.Rules, now: dt.datetime,
           day_sessions: dict | None = None) -> dict[int, str | None]:
    """Decide ``rows`` (decisions context rows, pending when loaded, in id order) in the caller's
    transaction; ``refused``: booking -> the reason the rules refuse it with, known before any lock (the
    clock, the window, the blacklist), or None. Returns booking -> 'confirmed', 'full', 'rejected',
    'waiting', or None (no longer pending)."""
    open_rows = [row for row in rows if refused.get(row.id) is None]
    one_a_day = r.one_per_department_day
    slots, held, infos = {}, {}, {}
    if open_rows:  # a rejection takes no place: it needs no lock of its slot
        _lock(conn, open_rows, one_a_day, {} if day_sessions is None else day_sessions)
    # the bookings still pending, locked (after their slots, as every decision locks them): each is decided
    # here, and no other decider's conditional UPDATE can take one from under this one's feet
    pending = set(conn.execute(_PENDING, {"ids": [row.id for row in rows]}).scalars())
    if open_rows:
        checked = [row for row in open_rows if row.id in pending]
        if one_a_day:
            decisions.guard_days(conn, [(row.patient_id, row.department_id, row.day) for row in checked])
        slots, held = _read(conn, checked, one_a_day)
        infos = shares.read_shares(conn, slots)
    out: dict[int, str | None] = {}
    todo = _Writes(conn, actor)
    for row in rows:
        if row.id not in pending:
            out[row.id] = None  # cancelled, or decided elsewhere, since it was loaded
            continue
        reason, values = refused.get(row.id), {}
        to = BookingStatus.REJECTED
        if reason is None:
            sid = row.slot_id
            slot = slots[sid]
            day_key = (row.patient_id, row.department_id, row.day)
            refusal = rules.verdict(row, r, now, {}, session_status=slot.session_status,
                                    duplicates=held.get(day_key, 0))
            if refusal is not None:
                reason = refusal.reason
            else:  # 号源池: which share this request may take a place from, as decide_one asks
                place = shares.place_for(conn, sid, slot.capacity, slot.taken, row, now=now, r=r, known=infos[sid])
                queued = waitlist.queues(conn, row, r, now, place.left, place.share)
                if queued is not None:
                    out[row.id] = "waiting" if waitlist.hold(conn, actor, row.id, queued) else None
                    continue
                if place.left <= 0:  # no place left, or none of the shares this request may take
                    to, reason = BookingStatus.FULL, decisions.FULL_REASON
                else:
                    to, values = BookingStatus.CONFIRMED, place.values
                    slot.taken += 1
                    infos[sid] = infos[sid].after(place)
                    if one_a_day:
                        held[day_key] = held.get(day_key, 0) + 1
        todo.add(row.id, to, reason, values.get("share_kind"))
        out[row.id] = to
    todo.flush()
    todo.record()
    return out


class _Writes:
    """The decisions of a batch, written a statement for each (status, reason, kept share: Place.values) rather
    than for each booking:
    the bookings (locked, pending), then each decision's audit row and outbox row, as decisions.transition
    writes them."""

    def __init__(self, conn: Connection, actor: Actor):
        self.conn, self.actor = conn, actor
        self.stamp = utcnow()
        self.waiting: dict[tuple[str, str | None, str | None], list[int]] = {}
        self.done: list[tuple[int, str, str | None]] = []

    def add(self, booking_id: int, to: str, reason: str | None, share_kind: str | None) -> None:
        self.waiting.setdefault((to, reason, share_kind), []).append(booking_id)
        self.done.append((booking_id, to, reason))

    def flush(self) -> None:
        for (to, reason, share_kind), ids in self.waiting.items():
            kept = {"share_kind": share_kind} if share_kind else {}
            n = self.conn.execute(update(Booking).where(Booking.id.in_(ids), Booking.status == BookingStatus.PENDING).values(
                status=to, reason=reason, updated_at=self.stamp, decided_at=self.stamp,
                decided_by=self.actor.name, **kept)).rowcount
            if n != len(ids):  # they are locked: only a broken lock could get here
                raise Conflict("预约状态在审核中被改变")
        self.waiting.clear()

    def record(self) -> None:
        conn, done = self.conn, self.done
        if not done:
            return
        audit.record_each(conn, self.actor, decisions.DECISION_ACTION, "booking",
                          [(b, {"to": to, "reason": reason}) for b, to, reason in done])
        for kind in dict.fromkeys(outbox.NOTIFY_KINDS.get(to) for _b, to, _r in done):
            if kind:
                outbox.enqueue(conn, [b for b, to, _r in done if outbox.NOTIFY_KINDS.get(to) == kind], kind)
