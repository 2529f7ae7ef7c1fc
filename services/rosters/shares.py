"""Shares of a slot's places (号源池): the desk's share (现场号) kept from online requests.

A department keeps ``desk_share_pct`` % of each slot's places for the desk (``capacity * pct // 100``
places; none when unset), and a session may override its department's share. Online requests take only
the rest: a decider confirms an online request only while the slot has a place left *and* its online
bookings hold fewer than ``capacity - kept`` places (:func:`online_left`). Walk-ins take the desk share
first: before the clinic day a walk-in takes only the desk share (:func:`desk_refusal`); on the day the
online share's unused places are the desk's too. At the hospital's cut-off (rules
``desk_share_opens_days_before``, ``desk_share_opens_time``; by default 18:00 the day before) the job
service opens the session's share (:func:`open_due`): its unused kept places are then everyone's, and the
waitlist (services.bookings.waitlist) fills from them.

The share is enforced as capacity is: a decision reads it after services.bookings.decisions.lock_and_count,
so deciders on one server take turns; on a multi-primary cluster every confirmation in a slot writes the
slot's counter row (services/migrations/capacity.py), so two racing confirmations in one slot conflict and
the retried one counts the other's. The view slot_availability says the same in ``online_remaining``
(services/migrations/shares.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, false, func, select, update
from sqlalchemy.engine import Connection

from services import limits
from services.clock import local_now, utcnow
from services.db import Database
from services.domain import TAKEN, BookingSource
from services.errors import NotFound, ValidationError
from services.models import Booking, ClinicSession, Department, Doctor, Slot
from services.staff import audit
from services.staff.actor import Actor

_SHARE = (select(func.coalesce(ClinicSession.desk_share_pct, Department.desk_share_pct, 0),
                 ClinicSession.desk_share_open, ClinicSession.day)
          .select_from(Slot).join(ClinicSession, ClinicSession.id == Slot.session_id)
          .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
          .where(Slot.id == bindparam("slot")))
_HELD = (select(func.count()).select_from(Booking)
         .where(Booking.slot_id == bindparam("slot"), Booking.status.in_(tuple(TAKEN)),
                Booking.source == bindparam("source")))
_SHARES = (select(Slot.id, func.coalesce(ClinicSession.desk_share_pct, Department.desk_share_pct, 0),
                  ClinicSession.desk_share_open)
           .select_from(Slot).join(ClinicSession, ClinicSession.id == Slot.session_id)
           .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
           .where(Slot.id.in_(bindparam("slots", expanding=True))))
_HELD_MANY = (select(Booking.slot_id, func.count()).select_from(Booking)
              .where(Booking.slot_id.in_(bindparam("slots", expanding=True)), Booking.status.in_(tuple(TAKEN)),
                     Booking.source == BookingSource.MINIPROGRAM).group_by(Booking.slot_id))
DESK_FULL = "该时段的现场号已用完（其余为网上预约号，就诊当天起窗口也可挂）"


def kept(capacity: int, pct: int | None) -> int:
    """The places of a slot kept for the desk."""
    return capacity * (pct or 0) // 100


def online_left(conn: Connection, slot_id: int, capacity: int, taken: int) -> int:
    """Inside a decision, after lock_and_count: the places an online request may still take."""
    return online_left_many(conn, {slot_id: (capacity, taken)})[slot_id]


def online_left_many(conn: Connection, counters: dict[int, tuple[int, int]]) -> dict[int, int]:
    """:func:`online_left` of many slots (slot -> (capacity, taken)) in two statements (a batch of decisions,
    services.bookings.batch)."""
    found = {sid: (pct, is_open) for sid, pct, is_open in conn.execute(_SHARES, {"slots": sorted(counters)})}
    keeping = sorted(sid for sid, (pct, is_open) in found.items() if pct and not is_open)
    online = dict(conn.execute(_HELD_MANY, {"slots": keeping}).all()) if keeping else {}
    out = {}
    for sid, (capacity, taken) in counters.items():
        pct, is_open = found[sid]
        left = capacity - taken
        out[sid] = left if not pct or is_open else min(left, capacity - kept(capacity, pct) - online.get(sid, 0))
    return out


def desk_refusal(conn: Connection, slot_id: int, capacity: int, today: dt.date) -> str | None:
    """Inside a walk-in, after lock_and_count: why the desk may not take a place (before the clinic day
    only the desk share), or None."""
    pct, _open, day = conn.execute(_SHARE, {"slot": slot_id}).one()
    if not pct or day <= today:
        return None
    desk = conn.execute(_HELD, {"slot": slot_id, "source": BookingSource.DESK}).scalar_one()
    return DESK_FULL if desk >= kept(capacity, pct) else None


def desk_left(db: Database, slot_ids: list[int], today: dt.date) -> dict[int, int]:
    """slot -> the desk share's places left, for the slots that keep one before their clinic day (the
    walk-in dialog; on the day every free place is the desk's)."""
    out: dict[int, int] = {}
    with db.read() as conn:
        for sid in slot_ids:
            pct, _open, day = conn.execute(_SHARE, {"slot": sid}).one()
            if pct and day > today:
                cap = conn.execute(select(Slot.capacity).where(Slot.id == sid)).scalar_one()
                desk = conn.execute(_HELD, {"slot": sid, "source": BookingSource.DESK}).scalar_one()
                out[sid] = max(kept(cap, pct) - desk, 0)
    return out


@dataclass(frozen=True)
class Share:
    department_id: int | None
    session_id: int | None
    pct: int | None


def set_share(db: Database, actor: Actor, pct: int | None, *, department_id: int | None = None,
              session_id: int | None = None) -> Share:
    """Set a department's desk share (admin), or a session's (None: its department's again; a head of
    its department too). Exactly one of department_id, session_id."""
    if (department_id is None) == (session_id is None):
        raise ValidationError("请指定一个科室或一个出诊（二选一）", field="department_id")
    if pct is not None:
        pct = limits.DESK_SHARE.check(pct, field="pct")

    def tx(conn: Connection) -> Share:
        if department_id is not None:
            actor.require("rules.edit")
            n = conn.execute(update(Department).where(Department.id == department_id).values(desk_share_pct=pct)).rowcount
            if n != 1:
                raise NotFound(f"没有科室 ID {limits.shown(department_id)}")
            audit.record(conn, actor, "share", "department", department_id, {"desk_share_pct": pct})
        else:
            dep = conn.execute(select(Doctor.department_id).join(ClinicSession, ClinicSession.doctor_id == Doctor.id)
                               .where(ClinicSession.id == session_id)).scalar()
            if dep is None:
                raise NotFound(f"没有出诊 ID {limits.shown(session_id)}")
            actor.require("session.extra", dep)
            conn.execute(update(ClinicSession).where(ClinicSession.id == session_id)
                         .values(desk_share_pct=pct, updated_at=utcnow()))
            audit.record(conn, actor, "share", "session", session_id, {"desk_share_pct": pct})
        return Share(department_id, session_id, pct)
    return db.run(tx)


# ---------------------------------------------------------------- what the console shows

@dataclass(frozen=True)
class SessionSupply:
    """A session's desk share and waitlist, as the week grid and the session dialog show them."""
    pct: int | None  # the share in force: the session's own, else its department's; None: nothing kept
    own: bool  # the session overrides its department's share
    department_pct: int | None
    open: bool  # the cut-off passed: the share's unused places are everyone's
    waiting: int  # requests on the waitlist (候补) for the session's slots


def session_supply(conn: Connection, session_ids) -> dict[int, SessionSupply]:
    """session -> its SessionSupply, for these sessions: one grouped query per 900 sessions."""
    from services.bookings.waitlist import IS_WAITING  # the waitlist builds on this module
    ids = sorted(set(session_ids))
    out: dict[int, SessionSupply] = {}
    for i in range(0, len(ids), 900):
        q = (select(ClinicSession.id, ClinicSession.desk_share_pct, Department.desk_share_pct,
                    ClinicSession.desk_share_open, func.count(Booking.id))
             .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
             .outerjoin(Slot, Slot.session_id == ClinicSession.id)
             .outerjoin(Booking, and_(Booking.slot_id == Slot.id, IS_WAITING))
             .where(ClinicSession.id.in_(ids[i:i + 900]))
             .group_by(ClinicSession.id, ClinicSession.desk_share_pct, Department.desk_share_pct,
                       ClinicSession.desk_share_open))
        for sid, own, dep, is_open, waiting in conn.execute(q):
            pct = own if own is not None else dep
            out[sid] = SessionSupply(pct or None, own is not None, dep, bool(is_open), int(waiting))
    return out


def supply_of(db: Database, session_id: int) -> SessionSupply:
    """One session's SessionSupply (the session dialog)."""
    with db.read() as conn:
        found = session_supply(conn, [session_id])
    if session_id not in found:
        raise NotFound(f"没有出诊 ID {limits.shown(session_id)}")
    return found[session_id]


@dataclass(frozen=True)
class DepartmentShare:
    id: int
    code: str
    name: str
    active: bool
    pct: int | None  # None: no share kept


def department_shares(db: Database) -> list[DepartmentShare]:
    """Every department with its desk share (the admin page), by code."""
    with db.read() as conn:
        rows = conn.execute(select(Department.id, Department.code, Department.name, Department.active,
                                   Department.desk_share_pct).order_by(Department.code)).all()
    return [DepartmentShare(r.id, r.code, r.name, bool(r.active), r.desk_share_pct) for r in rows]


def opens_at(day: dt.date, r) -> dt.datetime:
    """When the desk share of a session on ``day`` opens to online requests (``r``: the rules)."""
    at = dt.time.fromisoformat(r.desk_share_opens_time)
    return dt.datetime.combine(day - dt.timedelta(days=r.desk_share_opens_days_before), at)


def open_due(db: Database, now: dt.datetime | None = None) -> int:
    """Open the desk shares whose cut-off has passed (the job service); returns how many sessions opened."""
    from services.bookings import rules  # it builds on the decisions, which use this module
    now = now or local_now()

    def tx(conn: Connection) -> int:
        r = rules.read(conn)
        # the latest clinic day whose share is due: opens_at(day) <= now
        last = now.date() + dt.timedelta(days=r.desk_share_opens_days_before)
        if opens_at(last, r) > now:
            last -= dt.timedelta(days=1)
        return conn.execute(update(ClinicSession).where(and_(ClinicSession.day <= last,
                                                             ClinicSession.desk_share_open == false()))
                            .values(desk_share_open=True, updated_at=utcnow())).rowcount
    return db.run(tx)
