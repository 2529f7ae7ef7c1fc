"""Late cancellations (退号): which cancels came after the hospital's deadline.

The database stamps every cancel with its time (bookings.cancelled_at, UTC, set by a trigger on the
status change, so the mini-program's plain-SQL cancels are timed as they happen; revision 0009_supply).
A cancel is late when it came after ``late_cancel_time`` on the day ``late_cancel_days_before`` days
before the clinic day (default: after 15:00 the day before), in the hospital's local time. The rules in
force when the question is asked decide; a booking cancelled before the column existed is never late.
When the hospital chooses (rule ``late_cancel_counts``) late cancels count toward the blacklist as
no-shows do (services.bookings.rules.patient_blocks), and the queue's patient history marks them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Connection

from services.clock import as_datetime, utc_to_local
from services.domain import BookingStatus
from services.models import Booking, ClinicSession, Slot


def deadline(day: dt.date, rules) -> dt.datetime:
    """The hospital local time after which cancelling a booking for ``day`` is late."""
    return dt.datetime.combine(day - dt.timedelta(days=rules.late_cancel_days_before),
                               dt.time.fromisoformat(rules.late_cancel_time))


def is_late(cancelled_at, day: dt.date, rules) -> bool:
    if cancelled_at is None:
        return False
    return utc_to_local(as_datetime(cancelled_at)) > deadline(day, rules)


def late_days(conn: Connection, patient_ids: list[int], since: dt.date, until: dt.date,
              rules) -> dict[int, list[dt.date]]:
    """patient -> the clinic days of their late cancels in [since, until], in one query."""
    out: dict[int, list[dt.date]] = {}
    if not patient_ids:
        return out
    q = (select(Booking.patient_id, ClinicSession.day, Booking.cancelled_at)
         .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
         .where(Booking.status == BookingStatus.CANCELLED, Booking.cancelled_at.is_not(None),
                Booking.patient_id.in_(patient_ids), ClinicSession.day.between(since, until)))
    for pid, day, at in conn.execute(q):
        if is_late(at, day, rules):
            out.setdefault(pid, []).append(day)
    return out
