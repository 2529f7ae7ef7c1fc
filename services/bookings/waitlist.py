"""The waitlist (候补): a request with no place left waits, and the oldest waiting takes a freed place.

While the hospital's rule ``waitlist`` is on, the decider (services.bookings.rules.decide_pending) does
not refuse an online request whose slot has no place left: the request stays ``pending`` and its
``reason`` says 候补中（第 N 位）, so the mini-program's statements and its cancel work on it unchanged.
A request also queues, behind them, when older requests already wait for its slot (a freed place goes
to the oldest). With ``waitlist_any_slot`` a request waits for any slot of its session, and a place
freed in another slot moves it there.

:func:`fill` (the job service's ``waitlist`` job, every round) then:

1. turns what still waits at the cut-off (``waitlist_cutoff_time``, ``waitlist_cutoff_days_before`` the
   clinic day) into ``full`` with 候补未成功 (the patient hears it as any ``full``);
2. gives every free place of a slot that has a queue (a cancellation by anyone, 加号, a larger
   capacity) to the oldest waiting request: in one transaction, under the decisions' locks
   (services.bookings.decisions.lock_and_count) and the rules' verdict, a conditional UPDATE from
   ``pending`` with its audit row and one outbox row of kind ``waitlisted`` (候补成功): exactly once,
   whoever else acts. A request the rules now refuse (the patient was blacklisted meanwhile, or got
   another place that day) is rejected with the rule's words and the place goes to the next;
3. keeps the positions in the reasons current.

A waiting request is a pending one whose reason starts with :data:`WAITING`; nothing else writes such
a reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from services.bookings import decisions, rules
from services.clock import local_now, utcnow
from services.db import Database
from services.domain import BookingStatus, SessionStatus
from services.models import Booking, Slot, SlotCounter
from services.rosters import shares
from services.staff import audit
from services.staff.actor import AUTOAPPROVE, Actor

log = logging.getLogger(__name__)

WAITING = "候补中"
FAILED_REASON = "候补未成功"
_LOOK = 50  # the waiting requests of a queue looked at for one freed place
KIND = "waitlisted"  # the outbox kind of a waiting request confirmed (候补成功)
ACTION = "waitlist"  # the audit action of a request put on the waitlist
IS_WAITING = and_(Booking.status == BookingStatus.PENDING, Booking.reason.like(f"{WAITING}%"))
# not waiting (with SQL's NULL in mind: a new request has no reason)
NOT_WAITING = or_(Booking.reason.is_(None), ~Booking.reason.like(f"{WAITING}%"))


def reason(position: int) -> str:
    return f"{WAITING}（第 {position} 位）"


def is_waiting(status: str, text: str | None) -> bool:
    return status == BookingStatus.PENDING and bool(text) and text.startswith(WAITING)


def position_of(text: str | None) -> int | None:
    """N of a waiting request's reason 候补中（第 N 位）; None for any other reason."""
    m = re.fullmatch(rf"{WAITING}（第 (\d+) 位）", text or "")
    return int(m.group(1)) if m else None


def cutoff_at(day: dt.date, r: rules.Rules) -> dt.datetime:
    """When what still waits for a place on ``day`` becomes ``full`` (候补未成功)."""
    at = dt.time.fromisoformat(r.waitlist_cutoff_time)
    return dt.datetime.combine(day - dt.timedelta(days=r.waitlist_cutoff_days_before), at)


def _same_queue(r: rules.Rules, slot_id: int, session_id: int):
    return Slot.session_id == session_id if r.waitlist_any_slot else Booking.slot_id == slot_id


def ahead(conn: Connection, row, r: rules.Rules, *, referrals: bool = False) -> int:
    """How many requests wait before ``row`` (a decisions context row) in its queue (only the referrals)."""
    q = (select(func.count()).select_from(Booking).join(Slot, Slot.id == Booking.slot_id)
         .where(IS_WAITING, Booking.id < row.id, _same_queue(r, row.slot_id, row.session_id)))
    if referrals:
        q = q.where(Booking.channel == shares.REFERRAL, Booking.referral_code.is_not(None))
    return conn.execute(q).scalar_one()


def queues(conn: Connection, row, r: rules.Rules, now: dt.datetime, left: int, share: str | None = None) -> int | None:
    """Inside a decision (after lock_and_count): the position ``row`` takes on the waitlist, or None when it
    does not wait: the waitlist is off, it is past the cut-off, or ``left`` > 0 places are free for it
    (services.rosters.shares.place_for) and nobody waits before it who could take the place (its ``share``:
    a place of the referral share is for a referral waiting before it, not for the others)."""
    if not r.waitlist or now >= cutoff_at(row.day, r):
        return None
    before = ahead(conn, row, r)
    if left > 0 and (not before or (share == "referral" and not ahead(conn, row, r, referrals=True))):
        return None
    return before + 1


def hold(conn: Connection, actor: Actor, booking_id: int, position: int) -> bool:
    """Keep a pending request waiting at ``position`` (its reason), with an audit row."""
    text = reason(position)
    n = conn.execute(update(Booking).where(Booking.id == booking_id, Booking.status == BookingStatus.PENDING)
                     .values(reason=text, updated_at=utcnow())).rowcount
    if n == 1:
        audit.record(conn, actor, ACTION, "booking", booking_id, {"reason": text})
    return n == 1


@dataclass(frozen=True)
class FillSummary:
    confirmed: int = 0  # 候补成功
    failed: int = 0  # past the cut-off: full, 候补未成功
    rejected: int = 0  # refused by the rules when their turn came
    waiting: int = 0  # still waiting after the pass

    def line(self) -> str | None:
        if not (self.confirmed or self.failed or self.rejected):
            return None
        return (f"{self.confirmed} confirmed from the waitlist, {self.failed} failed at the cut-off, "
                f"{self.rejected} rejected, {self.waiting} waiting")


def _give(conn: Connection, actor: Actor, r: rules.Rules, now: dt.datetime, slot_id: int, session_id: int,
          queue) -> str | None:
    """One free place of ``slot_id`` to the oldest request of ``queue`` that may take it (号源池: a place kept
    for referrals is not an ordinary request's): 'confirmed', 'rejected', 'gone' (it stopped waiting
    meanwhile: try again), or None (no place or nobody waiting who may take it)."""
    waiting = conn.execute(decisions._CONTEXT.where(IS_WAITING, queue).order_by(Booking.id).limit(_LOOK)).all()
    cap, taken = conn.execute(select(SlotCounter.capacity, SlotCounter.taken).where(SlotCounter.slot_id == slot_id)).one()
    # who may take it, read before the locks (taken in the decisions' order, the patient's first) and checked again
    oldest = next((w for w in waiting if shares.place_for(conn, slot_id, cap, taken, w, now=now, r=r).left > 0), None)
    if oldest is None:
        return None
    dup = r.one_per_department_day
    fresh = decisions.lock_and_count(
        conn, slot_id=slot_id, session_id=session_id, patient_id=oldest.patient_id if dup else None,
        booking_id=oldest.id, day=oldest.day, department_id=oldest.department_id)
    if fresh.session_status != SessionStatus.PUBLISHED:
        return None
    place = shares.place_for(conn, slot_id, fresh.capacity, fresh.taken, oldest, now=now, r=r)
    if place.left <= 0:
        return None
    blocks = rules.patient_blocks(conn, {oldest.patient_id}, r, now.date())
    refusal = rules.verdict(oldest, r, now, blocks, session_status=fresh.session_status,
                            duplicates=fresh.duplicates)
    if refusal is not None:
        done = decisions.transition(conn, actor, oldest.id, BookingStatus.REJECTED, reason=refusal.reason,
                                    action=decisions.DECISION_ACTION)
        return "rejected" if done else "gone"
    moved = {"slot_id": slot_id} if slot_id != oldest.slot_id else None
    done = decisions.transition(conn, actor, oldest.id, BookingStatus.CONFIRMED, action=decisions.DECISION_ACTION,
                                values={**(moved or {}), **place.values}, kind=KIND)
    return "confirmed" if done else "gone"


def _waiting(conn: Connection):
    return conn.execute(decisions._CONTEXT.where(IS_WAITING).order_by(Booking.id)).all()


def fill(db: Database, actor: Actor = AUTOAPPROVE, *, now: dt.datetime | None = None,
         stop: threading.Event | None = None) -> FillSummary:
    """One pass of the waitlist (see the module's text); ``now``: the hospital's wall-clock time."""
    actor.require("booking.decide")
    now = now or local_now()
    counts = dict(confirmed=0, failed=0, rejected=0, waiting=0)
    with db.read() as conn:
        r = rules.read(conn)
        if not r.waitlist:
            return FillSummary()
        rows = _waiting(conn)
    live = []
    for row in rows:  # 1. the cut-off
        if now < cutoff_at(row.day, r):
            live.append(row)
        elif db.run(lambda conn, b=row.id: decisions.transition(
                conn, actor, b, BookingStatus.FULL, reason=FAILED_REASON, action=decisions.DECISION_ACTION)):
            counts["failed"] += 1
    # 2. free places: (slot, session) with a free place, for every queue that has a waiting request
    keys = {(row.session_id if r.waitlist_any_slot else row.slot_id) for row in live}
    if keys:
        key_col = Slot.session_id if r.waitlist_any_slot else Slot.id
        with db.read() as conn:
            free = conn.execute(select(Slot.id, Slot.session_id).join(SlotCounter, SlotCounter.slot_id == Slot.id)
                                .where(key_col.in_(sorted(keys)), SlotCounter.taken < SlotCounter.capacity)
                                .order_by(Slot.session_id, Slot.starts_at, Slot.id)).all()
        for slot_id, session_id in free:
            queue = _same_queue(r, slot_id, session_id)
            for _ in range(len(live) + 1):  # each turn gives a place or ends a request's wait
                if stop is not None and stop.is_set():
                    break
                got = db.run(lambda conn, s=slot_id, ss=session_id, q=queue: _give(conn, actor, r, now, s, ss, q))
                if got is None:
                    break
                if got != "gone":
                    counts[got] += 1
    counts["waiting"] = renumber(db)
    summary = FillSummary(**counts)
    if summary.line():
        log.info("waitlist: %s", summary.line())
    return summary


def renumber(db: Database) -> int:
    """Keep every waiting request's position (its reason) current; returns how many wait."""
    def work(conn: Connection) -> int:
        r = rules.read(conn)
        seen: dict[int, int] = {}
        rows = _waiting(conn)
        stamp = utcnow()
        for row in rows:
            key = row.session_id if r.waitlist_any_slot else row.slot_id
            seen[key] = seen.get(key, 0) + 1
            text = reason(seen[key])
            if row.reason != text:
                conn.execute(update(Booking).where(Booking.id == row.id, IS_WAITING)
                             .values(reason=text, updated_at=stamp))
        return len(rows)
    return db.run(work)
