"""No-shows at the end of a session (``mark_past_no_shows``, the job service's job), and undoing a check-in or
a no-show (撤销签到 / 撤销爽约): a mis-keyed C or N is not for ever.

    checked_in -> confirmed   undo_check_in: the check-in time is cleared
    no_show    -> confirmed   undo_no_show: ``no_show_undone_at`` is set, so the end-of-session job
                              (mark_past_no_shows, below) never marks it again, and the
                              no-show no longer counts toward the blacklist (which counts no_show rows)

On the clinic's own day (the hospital's date, services.clock.hospital_today) whoever may check in
may undo; on a later day only a holder of ``booking.correct`` (heads of the department, admins), and
with a reason. Each undo is one conditional UPDATE whose row count is checked, with its audit row, in
one transaction. The patient is not notified: the booking is back where it was before the desk
touched it, and nothing the patient was told (the confirmation) stops being true.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection

from services.bookings.decisions import BookingResult, clean_reason, label, load_context
from services.clock import hospital_today, local_now, utcnow
from services.db import Database
from services.domain import BookingStatus, Role
from services.errors import Conflict, PermissionDenied
from services.models import Booking, ClinicSession, Doctor, Slot
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

_VERBS = {BookingStatus.CHECKED_IN: "撤销签到", BookingStatus.NO_SHOW: "撤销爽约"}
_JOB_BATCH = 500  # bookings marked per transaction
_ACTIONS = {BookingStatus.CHECKED_IN: "undo_check_in", BookingStatus.NO_SHOW: "undo_no_show"}  # audit actions


def undo_check_in(db: Database, actor: Actor, booking_id: int, reason: str | None = None, *,
                  now: dt.datetime | None = None) -> BookingResult:
    """checked_in -> confirmed (a check-in keyed by mistake)."""
    return _undo(db, actor, booking_id, BookingStatus.CHECKED_IN, {"checked_in_at": None}, reason, now)


def undo_no_show(db: Database, actor: Actor, booking_id: int, reason: str | None = None, *,
                 now: dt.datetime | None = None) -> BookingResult:
    """no_show -> confirmed (the patient came after all, or the no-show was keyed by mistake)."""
    return _undo(db, actor, booking_id, BookingStatus.NO_SHOW, {"no_show_undone_at": utcnow()}, reason, now)


def _undo(db: Database, actor: Actor, booking_id: int, source: str, values: dict, reason: str | None,
          now: dt.datetime | None) -> BookingResult:
    verb = _VERBS[source]
    today = hospital_today(now)

    def work(conn: Connection) -> BookingResult:
        row = load_context(conn, booking_id)
        actor.require("booking.checkin", row.department_id)
        late = row.day != today
        why = None
        if late:
            if actor.can("booking.checkin", row.department_id) and not actor.can("booking.correct", row.department_id):
                raise PermissionDenied(f"就诊日（{row.day.isoformat()}）已过：{verb}需由科主任或管理员办理")
            actor.require("booking.correct", row.department_id)
            why = clean_reason(reason, f"{verb}的理由")
        elif reason and reason.strip():
            why = clean_reason(reason, f"{verb}的理由")
        if row.status != source:
            raise Conflict(f"该预约状态为“{label(row.status)}”，不能{verb}")
        n = conn.execute(update(Booking).where(Booking.id == booking_id, Booking.status == source)
                         .values(status=BookingStatus.CONFIRMED, updated_at=utcnow(), **values)).rowcount
        if n != 1:
            now_status = conn.execute(select(Booking.status).where(Booking.id == booking_id)).scalar()
            raise Conflict(f"该预约状态已变为“{label(now_status)}”，不能{verb}")
        audit.record(conn, actor, _ACTIONS[source], "booking", booking_id,
                     {"from": source, "to": "confirmed", "reason": why, "late": late})
        return BookingResult(id=row.id, status=BookingStatus.CONFIRMED, reason=row.reason, slot_id=row.slot_id,
                             patient_id=row.patient_id)
    result = db.run(work)
    log.info("%s undid %s of booking %s", actor.name, source, booking_id)
    return result


def mark_past_no_shows(db: Database, actor: Actor, now: dt.datetime | None = None) -> int:
    """The end-of-session job: confirmed bookings of sessions that are over -> no_show. Returns how many."""
    actor.require("booking.checkin")
    now = now or local_now()
    today = now.date()
    over = or_(ClinicSession.day < today, and_(ClinicSession.day == today, ClinicSession.ends_at <= now.time()))
    q = (select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
         .join(ClinicSession, ClinicSession.id == Slot.session_id)
         # a no-show undone at the desk (undo_no_show) is never marked again by this job
         .where(Booking.status == BookingStatus.CONFIRMED, Booking.no_show_undone_at.is_(None), over))
    if actor.kind == "staff" and actor.role == Role.HEAD and actor.department_ids:
        q = q.join(Doctor, Doctor.id == ClinicSession.doctor_id).where(Doctor.department_id.in_(actor.department_ids))
    q = q.order_by(Booking.id).limit(_JOB_BATCH)

    def batch(conn: Connection) -> tuple[int, int]:
        candidates = list(conn.execute(q).scalars())
        if not candidates:
            return 0, 0
        # lock only the booking rows (a FOR UPDATE on the join would lock slots and sessions too;
        # NO KEY UPDATE on PostgreSQL leaves outbox inserts, which reference the row, free);
        # a concurrent cancel then either waits for us or has already won
        ids = list(conn.execute(select(Booking.id).where(Booking.id.in_(candidates),
                                                         Booking.status == BookingStatus.CONFIRMED)
                                .with_for_update(key_share=True)).scalars())
        if ids:
            conn.execute(update(Booking).where(Booking.id.in_(ids), Booking.status == BookingStatus.CONFIRMED)
                         .values(status=BookingStatus.NO_SHOW, updated_at=utcnow()))
            audit.record_many(conn, actor, "no_show", "booking", ids, {"to": "no_show", "job": True})
        return len(candidates), len(ids)

    total = 0
    while True:
        seen, changed = db.run(batch)
        total += changed
        if seen < _JOB_BATCH:
            break
    if total:
        log.info("marked %d past bookings as no-show", total)
    return total
