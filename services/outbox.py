"""The notification outbox: a row per patient-visible change, written in the change's own transaction.

Delivery (services.notify) claims and sends these rows later; here we only record them,
so that a committed decision always has its message and a rolled-back one never does.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from services.clock import utcnow
from services.models import Booking, Notification, Patient

log = logging.getLogger(__name__)

# booking status -> notification kind; only these changes are told to the patient
NOTIFY_KINDS = {"confirmed": "confirmed", "rejected": "rejected", "full": "full",
                "stopped": "stopped", "cancelled": "cancelled"}


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
