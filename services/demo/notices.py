"""The demo's notification history: what a working hospital's outbox would hold (sent, refused, failed)."""
from __future__ import annotations

import random

from sqlalchemy import select

from services.clock import utcnow
from services.db import Database
from services.models import Booking, Notification
from services.notify import outbox

_TOLD = {"confirmed": "confirmed", "checked_in": "confirmed", "no_show": "confirmed",
         "rejected": "rejected", "full": "full", "stopped": "stopped"}
# (state, WeChat's answer, attempts): the attempts column and the reason's count agree
_WECHAT_REFUSALS = [("unsubscribed", "微信返回 43101：用户拒绝接受消息（订阅次数已用完）", 1),
                    ("failed", "微信返回 40003：不合法的 openid", 1),
                    ("failed", "共尝试 6 次：微信返回 -1：系统繁忙", 6)]


def notification_history(db: Database, rng: random.Random) -> None:
    """The outbox as a working hospital would have it: the directly inserted history gets the
    messages its decisions sent (mostly 已发送, a few refusals and failures), so the day list's
    通知 column and the failures page have something to show. Rows the services queued while
    seeding stay 待发送 until the job service (`regdesk jobs`) sends them."""
    with db.read() as conn:
        told = select(Notification.booking_id)
        rows = conn.execute(select(Booking.id, Booking.status).where(Booking.status.in_(tuple(_TOLD)),
                                                                     Booking.id.not_in(told))
                            .order_by(Booking.id)).all()
    if not rows:
        return
    by_kind: dict[str, list[int]] = {}
    for booking_id, status in rows:
        by_kind.setdefault(_TOLD[status], []).append(booking_id)
    with db.write() as conn:
        for kind, ids in by_kind.items():
            outbox.enqueue(conn, ids, kind)
        waiting = [nid for start in range(0, len(rows), 500) for nid in conn.execute(
            select(Notification.id).where(Notification.booking_id.in_([r[0] for r in rows[start:start + 500]]),
                                          Notification.state == "waiting").order_by(Notification.id)).scalars()]
        sent_at = utcnow()
        refused: dict[tuple[str, str, int], list[int]] = {}
        for nid in waiting:
            roll = rng.random()
            if roll < 0.06:
                refused.setdefault(rng.choice(_WECHAT_REFUSALS), []).append(nid)
        plain = sorted(set(waiting) - {n for ids in refused.values() for n in ids})
        for start in range(0, len(plain), 500):
            conn.execute(Notification.__table__.update().where(Notification.id.in_(plain[start:start + 500]))
                         .values(state="sent", attempts=1, sent_at=sent_at))
        for (state, message, attempts), ids in refused.items():
            conn.execute(Notification.__table__.update().where(Notification.id.in_(ids))
                         .values(state=state, attempts=attempts, last_error=message))


