"""Extra places (加号): a doctor agrees to see more patients, so a slot or a session gets more places.

A head or an admin may add them (permission ``session.extra``), and a clerk too when the hospital allows
it (rule ``clerks_add_places``); always with a reason, audited (action ``extra``). Places added to a
session go to its last slot (加号 patients are seen at the end). The places of a session stay within
services/limits.PLACES, and a stopped or finished session gets none.

The slot's capacity grows in the same transaction as the audit row; the change feed's row for the slot
update (revision 0002's trigger) is what wakes those who wait for a place: today the clerks' screens and
the deciders (a pending request that was short of a place may now be confirmed); the waitlist (候补,
issue 14 part 2) fills from that same change, so nothing here needs to change when it comes.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from services import limits
from services.bookings import rules
from services.clock import local_now
from services.db import Database, row_by_id
from services.domain import Role, SessionStatus
from services.errors import ValidationError
from services.models import ClinicSession, Slot
from services.rosters.calendar import PERIOD_LABELS, fmt_time
from services.rosters.clinic_sessions import session_in
from services.staff import audit
from services.staff.actor import Actor
from services.sync.changes import Changes

log = logging.getLogger(__name__)

REASON_CHARS = 200


@dataclass(frozen=True)
class ExtraPlaces:
    session_id: int
    slot_id: int
    slot_starts_at: dt.time
    added: int
    capacity: int  # the slot's places now
    session_capacity: int  # the session's places now

    @property
    def changes(self) -> Changes:
        return Changes(slots={self.slot_id}, around={self.session_id})

    def line(self) -> str:
        return (f"出诊 {self.session_id} 的 {fmt_time(self.slot_starts_at)} 时段加号 {self.added} 个："
                f"该时段共 {self.capacity} 号，本次出诊共 {self.session_capacity} 号")


def allowed(actor: Actor, department_id: int | None, clerks_add_places: bool) -> bool:
    """Whether ``actor`` may add places in a department (None: in some department), under the hospital's
    rule ``clerks_add_places``: the one answer for the services and the screens that offer 加号."""
    if actor.can("session.extra", department_id):
        return True
    return actor.kind == "staff" and actor.role == Role.CLERK and clerks_add_places \
        and actor.can("booking.walkin", department_id)


@dataclass(frozen=True)
class Right:
    """Who may add places, read once for a screen (the rule may change later: the service checks again)."""
    actor: Actor
    clerks_add_places: bool

    def allows(self, department_id: int | None = None) -> bool:
        return allowed(self.actor, department_id, self.clerks_add_places)


def right(db: Database, actor: Actor) -> Right:
    return Right(actor, rules.load(db).clerks_add_places)


def _require(conn: Connection, actor: Actor, department_id: int) -> None:
    if not allowed(actor, department_id, rules.read(conn).clerks_add_places):
        actor.require("session.extra", department_id)  # refuses, naming the permission


def add_places(db: Database, actor: Actor, places: int, reason: str, *, slot_id: int | None = None,
               session_id: int | None = None, now: dt.datetime | None = None) -> ExtraPlaces:
    """Add ``places`` to a slot, or to a session (its last slot). Exactly one of slot_id, session_id."""
    if (slot_id is None) == (session_id is None):
        raise ValidationError("请指定一个时段或一个出诊（二选一）", field="slot_id")
    places = limits.PLACES.check(places, field="places")
    reason = limits.text(reason, "加号原因", REASON_CHARS, field="reason")
    now = now or local_now()

    def tx(conn: Connection) -> ExtraPlaces:
        if slot_id is not None:
            sid = row_by_id(conn, select(Slot.session_id).where(Slot.id == slot_id), slot_id, "时段 ID").session_id
        else:
            sid = session_id
        s = session_in(conn, sid)
        _require(conn, actor, s.department_id)
        what = f"{s.day} {s.doctor_name} {PERIOD_LABELS[s.period]}"
        if s.status != SessionStatus.PUBLISHED:
            raise ValidationError(f"{what} 的出诊{'已停诊' if s.status == SessionStatus.STOPPED else '未发布'}，不能加号")
        if dt.datetime.combine(s.day, s.ends_at) <= now:
            raise ValidationError(f"{what} 的出诊已结束，不能加号")
        # the decisions' lock order: the session row, then the slot
        conn.execute(select(ClinicSession.id).where(ClinicSession.id == s.id).with_for_update())
        target = slot_id if slot_id is not None else conn.execute(
            select(Slot.id).where(Slot.session_id == s.id).order_by(Slot.starts_at.desc()).limit(1)).scalar()
        if target is None:
            raise ValidationError(f"{what} 的出诊没有号源时段，不能加号")
        before, starts = conn.execute(select(Slot.capacity, Slot.starts_at).where(Slot.id == target)
                                      .with_for_update()).one()
        total = conn.execute(select(func.sum(Slot.capacity)).where(Slot.session_id == s.id)).scalar_one()
        if total + places > limits.PLACES.hi:
            raise ValidationError(f"本次出诊已有 {total} 号，加 {places} 号后超过上限 {limits.PLACES.hi} 号",
                                  field="places")
        conn.execute(update(Slot).where(Slot.id == target).values(capacity=Slot.capacity + places))
        audit.record(conn, actor, "extra", "slot", target,
                     {"session_id": s.id, "places": places, "before": before, "capacity": before + places,
                      "reason": reason})
        log.info("%s added %d places to slot %s (session %s)", actor.name, places, target, s.id)
        return ExtraPlaces(s.id, target, starts, places, before + places, total + places)

    return db.run(tx)
