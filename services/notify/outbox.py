"""The notification outbox: a row per patient-visible change, written in the change's own transaction.

Delivery (services.notify.delivery) claims and sends these rows later; here we only record them,
so that a committed decision always has its message and a rolled-back one never does.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from services.clock import utc_to_local, utcnow
from services.config import Config
from services.db import Database
from services.domain import BookingStatus
from services.models import Booking, Notification, Patient, Slot

log = logging.getLogger(__name__)

# a notification row's state in words (the day list's 通知 column, the failures page, the command line);
# here, not in services.notify.delivery, so that showing them does not load the WeChat client (requests)
STATE_LABELS = {"waiting": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                "unsubscribed": "未订阅", "skipped": "无需发送"}
# booking status -> notification kind; only these changes are told to the patient
NOTIFY_KINDS = {"confirmed": "confirmed", "rejected": "rejected", "full": "full",
                "stopped": "stopped", "cancelled": "cancelled"}
# changes of a session that its booked patients must hear about (the booking's status stays 'confirmed')
SESSION_KINDS = ("substituted", "rescheduled")


def enqueue(conn: Connection, booking_ids: Iterable[int], kind: str, extra: dict | None = None) -> int:
    """Queue a notification of ``kind`` for each booking. Patients without an openid get a
    'skipped' row (walk-ins), so the console can still show why nothing was sent."""
    ids = list(booking_ids)
    if not ids:
        return 0
    now = utcnow()
    rows = []
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        for b in conn.execute(select(Booking.id, Booking.patient_id, Booking.reason, Patient.openid)
                              .join(Patient, Patient.id == Booking.patient_id)
                              .where(Booking.id.in_(chunk))):
            payload = {"reason": b.reason}
            if extra:
                payload.update(extra)
            rows.append({"booking_id": b.id, "patient_id": b.patient_id, "kind": kind,
                         "state": "waiting" if b.openid else "skipped",
                         "last_error": None if b.openid else "无微信 openid（现场患者）",
                         "attempts": 0, "next_attempt_at": now, "created_at": now,
                         "payload": json.dumps(payload, ensure_ascii=False)})
    if rows:
        conn.execute(insert(Notification), rows)
    return len(rows)


def enqueue_for_session(conn: Connection, session_id: int, kind: str, extra: dict | None = None) -> int:
    """Queue ``kind`` (a SESSION_KINDS change) once for each patient who holds a confirmed booking
    in the session, in the caller's transaction; returns how many rows were written.

    Pending requests are not told: a patient's subscribe consent allows one message, which the
    decision needs (it will show the session as it then is). A patient with two bookings in the
    session gets one message, about the first."""
    if kind not in SESSION_KINDS:
        raise ValueError(f"not a session notification kind: {kind}")
    ids = list(conn.execute(
        select(func.min(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.session_id == session_id, Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.patient_id).order_by(func.min(Booking.id))).scalars())
    return enqueue(conn, ids, kind, {"session_id": session_id, **(extra or {})})


@dataclass(frozen=True)
class OutboxState:
    """What happens to a message queued now: is WeChat set up, does the job service send (for the
    console's confirmations: nothing on the screen may promise a message that nobody sends).
    Consoles do not send; the job service (`regdesk jobs`, services/jobs) does."""
    configured: bool
    waiting: int  # messages due and not yet sent
    stale_since: dt.datetime | None  # local time of the oldest message due for STALE or longer: nobody sends
    last_sent_at: dt.datetime | None  # local time
    sender_running: bool = False  # a job service acting for 'send' has a fresh heartbeat
    sender_seen_at: dt.datetime | None = None  # local time of the newest heartbeat of one that sends


STALE = dt.timedelta(minutes=3)  # a sender passes every few seconds: older due messages mean none runs


def outbox_state(db: Database, cfg: Config) -> OutboxState:
    # imported here: the decisions that queue messages need not load the WeChat client (requests).
    # Whether the secret is set, not the secret itself: a desk PC's account may not read it
    from services.jobs import heartbeat
    from services.notify.wechat_settings import describe_wechat_settings
    configured = describe_wechat_settings(db, cfg).configured
    now = utcnow()
    with db.read() as conn:
        waiting, oldest = conn.execute(
            select(func.count(Notification.id), func.min(Notification.next_attempt_at))
            .where(Notification.state == "waiting", Notification.next_attempt_at <= now)).one()
        last = conn.execute(select(func.max(Notification.sent_at))).scalar()
    senders = [r for r in heartbeat.status(db, now).runners if "send" in r.jobs]
    stale = utc_to_local(oldest) if oldest is not None and oldest <= now - STALE else None
    return OutboxState(configured, int(waiting or 0), stale, utc_to_local(last) if last is not None else None,
                       any(r.fresh and "send" in r.acting for r in senders),
                       max((r.beat_at for r in senders), default=None))
