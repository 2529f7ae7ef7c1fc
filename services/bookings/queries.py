"""Read models for the console: the request queue, a day's bookings, single rows refreshed in place.

Pure services code (no Qt). Each function is one read transaction with a handful of
set-based queries (never one query per row), selecting only the columns the console
shows, so that a day of tens of thousands of bookings loads in one round trip.

The rows are ``NamedTuple`` records rather than frozen dataclasses: they are just as
immutable and plain, but build three to four times faster, which matters on the
30,000-row path (see benchmarks/console.py).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from services.bookings.patients import NO_SHOW_DAYS, age_on, mask_phone
from services.clock import hospital_today, local_now
from services.db import Database
from services.domain import BookingStatus
from services.models import (
    TAKEN_STATUSES,
    Booking,
    ClinicSession,
    Department,
    Doctor,
    Notification,
    Patient,
    Slot,
)
from services.rosters import shares

log = logging.getLogger(__name__)

# bookings that still hold (or may hold) a place: what "other bookings that day" counts
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
# keeps IN lists well under every driver's parameter limit
CHUNK = 900


class OtherBooking(NamedTuple):
    """Another booking of the same patient on the same day (for the queue's history column)."""
    booking_id: int
    status: str
    department_name: str
    doctor_name: str
    starts_at: dt.time
    department_id: int = 0


class _Asked(NamedTuple):
    """What services.bookings.rules.verdict reads of a request."""
    day: dt.date
    slot_starts_at: dt.time
    session_ends_at: dt.time
    patient_id: int
    session_status: str
    requested_at: dt.datetime | None = None  # UTC: the release time (放号) is judged at the request's time


class BookingRow(NamedTuple):
    """One booking as the console shows it (queue and day list).

    ``remaining``/``pending_in_slot`` are the slot's places left and waiting requests;
    ``no_shows`` (last 90 days), ``others`` (same patient, same day) and the rules' verdict
    (``rule``: services.bookings.rules.Refusal's rule, None when the rules allow it; ``rule_reason``: its
    words) are filled for the queue only (day-list rows leave them at 0, () and None).
    ``notify_state`` is the state of the booking's newest WeChat notification
    (services.notify.delivery.STATE_LABELS keys), None if it has none.
    """
    booking_id: int
    status: str
    source: str
    reason: str | None
    created_at: dt.datetime | None  # UTC
    checked_in_at: dt.datetime | None  # UTC
    patient_id: int
    patient_name: str
    gender: str
    age: int | None
    phone: str  # masked: 138****5678
    department_id: int
    department_name: str
    doctor_id: int
    doctor_name: str
    doctor_title: str
    session_id: int
    session_status: str
    day: dt.date
    period: str
    slot_id: int
    starts_at: dt.time
    ends_at: dt.time
    capacity: int
    remaining: int | None = None
    pending_in_slot: int | None = None
    no_shows: int = 0
    others: tuple[OtherBooking, ...] = ()
    notify_state: str | None = None
    rule: str | None = None
    rule_reason: str | None = None
    # the places a walk-in may take in the slot now: before the clinic day only the desk's share (号源池,
    # services.rosters.shares) less what the desk holds, else every free place; None without the counts
    desk_left: int | None = None


# The newest notification's state per booking (the highest id: ids ascend with time), as one more
# column of the same SELECT. A correlated subquery is one probe of ix_notifications_booking per row
# (a booking has a handful of notifications at most), where joining an aggregate over the outbox
# would read years of it. Measured on a 30,000-booking day with as many notifications: +60 to 70 ms
# on SQLite, PostgreSQL and MariaDB alike.
_NOTIFY_STATE = (select(Notification.state).where(Notification.booking_id == Booking.id)
                 .order_by(Notification.id.desc()).limit(1).correlate(Booking).scalar_subquery()
                 .label("notify_state"))

_COLUMNS = (
    Booking.id, Booking.status, Booking.source, Booking.reason, Booking.created_at, Booking.checked_in_at,
    Patient.id, Patient.name, Patient.gender, Patient.birth_date, Patient.phone,
    Department.id, Department.name, Doctor.id, Doctor.name, Doctor.title,
    ClinicSession.id, ClinicSession.status, ClinicSession.day, ClinicSession.period,
    Slot.id, Slot.starts_at, Slot.ends_at, Slot.capacity, _NOTIFY_STATE,
    func.coalesce(ClinicSession.desk_share_pct, Department.desk_share_pct).label("desk_share_pct"),
)


def booking_select():
    """The one joined SELECT behind every row the console shows (benchmarks use it as the baseline)."""
    return (select(*_COLUMNS)
            .select_from(Booking)
            .join(Slot, Slot.id == Booking.slot_id)
            .join(ClinicSession, ClinicSession.id == Slot.session_id)
            .join(Doctor, Doctor.id == ClinicSession.doctor_id)
            .join(Department, Department.id == Doctor.department_id)
            .join(Patient, Patient.id == Booking.patient_id))


def _rows(raw: Iterable[Sequence], today: dt.date,
          counts: dict[int, tuple[int, int, int]] | None = None) -> list[BookingRow]:
    """Build the records in one pass (no ``_replace``: that would rebuild every tuple).

    The records are made with ``tuple.__new__`` directly (what a NamedTuple's generated ``__new__``
    does, minus a Python call per row), and an ordinary 11-digit mobile is masked inline; others go
    through services.bookings.patients.mask_phone. Both matter for a day of 30,000 rows.
    """
    make = BookingRow
    new = tuple.__new__
    ages: dict = {}  # many patients share a birth date; age_on is the costliest per-row step
    places: dict = {}  # slot id -> (remaining, pending, desk_left), worked out once per slot
    nothing = (None, None, None)
    out = []
    append = out.append
    for (bid, status, source, reason, created, checked, pid, pname, gender, birth, phone,
         dep_id, dep_name, doc_id, doc_name, title, sid, sstatus, day, period,
         slot_id, starts, ends, capacity, notify_state, share) in raw:
        if birth is None:
            age = None
        else:
            age = ages.get(birth, -1)
            if age == -1:
                # a raw SQLite column may hand back text
                born = dt.date.fromisoformat(birth) if isinstance(birth, str) else birth
                age = ages[birth] = age_on(born, today)
        if counts is None:
            remaining, pending, desk_left = nothing
        else:
            known = places.get(slot_id)
            if known is None:
                known = places[slot_id] = _places(counts.get(slot_id), capacity, share, day > today)
            remaining, pending, desk_left = known
        masked = phone[:3] + "****" + phone[7:] if len(phone) == 11 and phone.isdigit() else mask_phone(phone)
        append(new(make, (bid, status, source, reason, created, checked, pid, pname, gender, age, masked,
                          dep_id, dep_name, doc_id, doc_name, title, sid, sstatus, day, period,
                          slot_id, starts, ends, capacity, remaining, pending, 0, (), notify_state, None, None,
                          desk_left)))
    return out


def _places(counted: tuple[int, int, int] | None, capacity: int, share, before_the_day: bool) -> tuple[int, int, int]:
    """A slot's (remaining, pending, desk_left) from its (taken, pending, taken by the desk)."""
    taken, pending, desk = counted or (0, 0, 0)
    remaining = capacity - taken
    desk_left = max(remaining, 0)
    if share and before_the_day:  # before the clinic day a walk-in takes only the desk share
        desk_left = min(desk_left, max(shares.kept(capacity, share) - desk, 0))
    return remaining, pending, desk_left


def _chunks(values: Sequence, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _counts():
    """(taken, pending, taken by the desk) of a slot's bookings, as grouped columns."""
    taken = Booking.status.in_(TAKEN_STATUSES)
    return (func.sum(case((taken, 1), else_=0)), func.sum(case((Booking.status == BookingStatus.PENDING, 1), else_=0)),
            func.sum(case((and_(taken, Booking.source == "desk"), 1), else_=0)))


def _slot_counts(conn: Connection, slot_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """slot id -> (taken, pending, taken by the desk), for the given slots only."""
    out: dict[int, tuple[int, int, int]] = {}
    ids = sorted(set(slot_ids))
    for part in _chunks(ids):
        for sid, t, p, d in conn.execute(select(Booking.slot_id, *_counts())
                                         .where(Booking.slot_id.in_(part)).group_by(Booking.slot_id)):
            out[sid] = (int(t or 0), int(p or 0), int(d or 0))
    return out


def _rows_for_ids(conn: Connection, ids: Iterable[int], today: dt.date) -> list[BookingRow]:
    ids = sorted(set(ids))
    raw: list = []
    for part in _chunks(ids):
        raw += conn.execute(booking_select().where(Booking.id.in_(part))).all()
    return _rows(raw, today, _slot_counts(conn, (r[20] for r in raw)))  # r[20]: Slot.id in _COLUMNS


def _with_history(conn: Connection, rows: list[BookingRow], today: dt.date) -> list[BookingRow]:
    """Fill no-shows (last 90 days) and the patient's other bookings on the same day: two queries in all."""
    if not rows:
        return rows
    patients = sorted({r.patient_id for r in rows})
    days = sorted({r.day for r in rows})
    since = today - dt.timedelta(days=NO_SHOW_DAYS)
    no_shows: dict[int, int] = {}
    same_day: dict[tuple[int, dt.date], list[OtherBooking]] = defaultdict(list)
    for part in _chunks(patients):
        q = (select(Booking.patient_id, func.count())
             .select_from(Booking).join(Slot, Slot.id == Booking.slot_id)
             .join(ClinicSession, ClinicSession.id == Slot.session_id)
             .where(Booking.patient_id.in_(part), Booking.status == BookingStatus.NO_SHOW, ClinicSession.day >= since,
                    ClinicSession.day <= today)
             .group_by(Booking.patient_id))
        no_shows.update({pid: int(n) for pid, n in conn.execute(q)})
        q = (select(Booking.id, Booking.patient_id, ClinicSession.day, Booking.status,
                    Department.name, Doctor.name, Slot.starts_at, Department.id)
             .select_from(Booking).join(Slot, Slot.id == Booking.slot_id)
             .join(ClinicSession, ClinicSession.id == Slot.session_id)
             .join(Doctor, Doctor.id == ClinicSession.doctor_id)
             .join(Department, Department.id == Doctor.department_id)
             .where(Booking.patient_id.in_(part), ClinicSession.day.in_(days),
                    Booking.status.in_(ACTIVE_STATUSES))
             .order_by(Slot.starts_at, Booking.id))
        for bid, pid, day, status, dep, doc, starts, dep_id in conn.execute(q):
            same_day[(pid, day)].append(OtherBooking(bid, status, dep, doc, starts, dep_id))
    return [r._replace(no_shows=no_shows.get(r.patient_id, 0),
                       others=tuple(o for o in same_day.get((r.patient_id, r.day), ()) if o.booking_id != r.booking_id))
            for r in rows]


def _scope(q, department_ids: Iterable[int] | None):
    deps = sorted(set(department_ids or ()))
    return q.where(Department.id.in_(deps)) if deps else q


def _with_verdicts(conn: Connection, rows: list[BookingRow], now: dt.datetime) -> list[BookingRow]:
    """Each request's verdict under the hospital's rules (services.bookings.rules.verdict, the very function
    that decides), so the clerk sees what the rules say before deciding: three queries in all."""
    if not rows:
        return rows
    from services.bookings import (
        rules,  # services.bookings.rules imports services.bookings.decisions; keep this module's imports light
    )
    book = rules.read(conn)
    ends: dict[int, dt.time] = {}
    for part in _chunks(sorted({r.session_id for r in rows})):
        ends.update(conn.execute(select(ClinicSession.id, ClinicSession.ends_at)
                                 .where(ClinicSession.id.in_(part))).all())
    blocks = rules.patient_blocks(conn, {r.patient_id for r in rows}, book, now.date())
    out = []
    for r in rows:
        dup = sum(1 for o in r.others if o.department_id == r.department_id and o.status in (BookingStatus.CONFIRMED,
                                                                                             BookingStatus.CHECKED_IN))
        refusal = rules.verdict(_Asked(r.day, r.starts_at, ends.get(r.session_id, r.ends_at), r.patient_id,
                                       r.session_status, r.created_at), book, now, blocks, duplicates=dup)
        out.append(r if refusal is None else r._replace(rule=refusal.rule, rule_reason=refusal.reason))
    return out


def pending_queue(db: Database, limit: int = 1000, department_ids: Iterable[int] | None = None,
                  now: dt.datetime | None = None) -> list[BookingRow]:
    """Pending requests, oldest first, with places left, the patient's recent history and the rules' verdict.

    ``department_ids`` narrows the queue to a head's departments (empty/None: all).
    """
    now = now or local_now()
    today = hospital_today(now)
    q = _scope(booking_select().where(Booking.status == BookingStatus.PENDING),
               department_ids).order_by(Booking.id).limit(limit)
    with db.read() as conn:
        raw = conn.execute(q).all()
        rows = _rows(raw, today, _slot_counts(conn, (r[20] for r in raw)))  # r[20]: Slot.id in _COLUMNS
        return _with_verdicts(conn, _with_history(conn, rows, today), now)


def queue_rows(db: Database, ids: Iterable[int], now: dt.datetime | None = None) -> list[BookingRow]:
    """The queue rows for these bookings, whatever their status now (the caller drops non-pending ones)."""
    now = now or local_now()
    today = hospital_today(now)
    with db.read() as conn:
        return _with_verdicts(conn, _with_history(conn, _rows_for_ids(conn, ids, today), today), now)


def pending_ids_in_slots(db: Database, slot_ids: Iterable[int]) -> list[int]:
    """Pending bookings in these slots: their 'places left' changes when a neighbour is decided."""
    ids = sorted(set(slot_ids))
    out: list[int] = []
    with db.read() as conn:
        for part in _chunks(ids):
            out += conn.execute(select(Booking.id).where(Booking.slot_id.in_(part),
                                                         Booking.status == BookingStatus.PENDING)
                                ).scalars().all()
    return out


def day_list(db: Database, day: dt.date, department_id: int | None = None, doctor_id: int | None = None,
             today: dt.date | None = None) -> list[BookingRow]:
    """Every booking of a clinic day (any status), by slot time, doctor and id: one joined query.

    Places left per slot are counted from the same rows: a slot belongs to one doctor, so a department's
    or a doctor's day holds every booking of each of its slots (what _slot_counts would count, read in
    the same statement).
    """
    today = today or hospital_today()
    q = booking_select().where(ClinicSession.day == day)
    if department_id is not None:
        q = q.where(Department.id == department_id)
    if doctor_id is not None:
        q = q.where(Doctor.id == doctor_id)
    q = q.order_by(Slot.starts_at, Doctor.id, Booking.id)
    with db.read() as conn:
        raw = conn.execute(q).all()
    return _rows(raw, today, _counted(raw))


def _counted(raw: Sequence[Sequence]) -> dict[int, tuple[int, int, int]]:
    """slot id -> (taken, pending, taken by the desk) from booking_select rows holding all of each slot's bookings."""
    taken_statuses, pending_status = frozenset(TAKEN_STATUSES), BookingStatus.PENDING
    counts: dict[int, list[int]] = {}
    for r in raw:  # r[1]: Booking.status, r[2]: Booking.source, r[20]: Slot.id (_COLUMNS)
        c = counts.get(r[20])
        if c is None:
            c = counts[r[20]] = [0, 0, 0]
        status = r[1]
        if status in taken_statuses:
            c[0] += 1
            if r[2] == "desk":
                c[2] += 1
        elif status == pending_status:
            c[1] += 1
    return {sid: tuple(c) for sid, c in counts.items()}


def booking_rows(db: Database, ids: Iterable[int], today: dt.date | None = None) -> list[BookingRow]:
    """Day-list rows for these bookings (to refresh changed rows in place); missing ids are left out."""
    today = today or hospital_today()
    with db.read() as conn:
        return _rows_for_ids(conn, ids, today)


def booking_ids_in_slots(db: Database, slot_ids: Iterable[int]) -> list[int]:
    """All bookings in these slots (a day list refreshes their 'places left' when one of them changes)."""
    ids = sorted(set(slot_ids))
    out: list[int] = []
    with db.read() as conn:
        for part in _chunks(ids):
            out += conn.execute(select(Booking.id).where(Booking.slot_id.in_(part))).scalars().all()
    return out


def notification_states(db: Database, day: dt.date, department_id: int | None = None,
                        doctor_id: int | None = None) -> dict[int, str]:
    """booking id -> state of its newest notification, for the bookings ``day_list`` with the same
    arguments returns (bookings never notified are left out). One grouped query: the day list reads
    it every few seconds, because the sender changes a notification without changing its booking."""
    latest = (select(func.max(Notification.id).label("id")).select_from(Notification)
              .join(Booking, Booking.id == Notification.booking_id).join(Slot, Slot.id == Booking.slot_id)
              .join(ClinicSession, ClinicSession.id == Slot.session_id).where(ClinicSession.day == day))
    if department_id is not None:
        latest = latest.join(Doctor, Doctor.id == ClinicSession.doctor_id).where(Doctor.department_id == department_id)
    if doctor_id is not None:
        latest = latest.where(ClinicSession.doctor_id == doctor_id)
    latest = latest.group_by(Notification.booking_id).subquery()
    with db.read() as conn:
        return dict(conn.execute(select(Notification.booking_id, Notification.state)
                                 .join(latest, latest.c.id == Notification.id)).all())


def latest_booking_id(db: Database) -> int:
    """The highest booking id (a cheap 'anything new?' check while no change feed runs)."""
    with db.read() as conn:
        return int(conn.execute(select(func.max(Booking.id))).scalar() or 0)


__all__ = ["BookingRow", "OtherBooking", "pending_queue", "queue_rows", "day_list", "booking_rows",
           "pending_ids_in_slots", "booking_ids_in_slots", "latest_booking_id", "booking_select",
           "notification_states"]
