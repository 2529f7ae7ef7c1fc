"""Delivery of the notification outbox as WeChat subscribe messages, and what staff see of it.

A pass (``deliver_due``) walks the due rows in id order and claims each with one
conditional UPDATE (state 'waiting' and due, or 'sending' with an expired claim ->
'sending', claimed by this worker); only a worker whose UPDATE changed the row sends it,
so two workers never send the same message. The HTTP call happens outside any
transaction; the outcome is written with an UPDATE conditional on still holding the claim.

States of a notification row (``STATE_LABELS``): waiting -> sending -> sent | waiting
(retry after back-off) | failed | unsubscribed; 'skipped' rows (no openid) are never sent.

A timeout is retried like any network error, although WeChat may have delivered the
message before the answer was lost: WeChat offers no idempotency key, so in that one
case a patient may get a message twice. Every other path sends at most once.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import Connection

from services.clock import hospital_today, utc_to_local, utcnow
from services.config import Config
from services.db import Database
from services.domain import BookingStatus, Role, SessionStatus
from services.errors import ConfigError, Conflict, NotFound, ValidationError
from services.models import (
    AppSetting,
    Booking,
    ClinicSession,
    Department,
    Doctor,
    Hospital,
    Notification,
    Patient,
    Slot,
)
from services.notify import outbox
from services.notify.outbox import STATE_LABELS
from services.notify.wechat import (
    CONFIG,
    TRANSIENT,
    UNSUBSCRIBED,
    WeChatClient,
    WeChatError,
    ensure_setting_rows,
    template_data,
)

# re-exported: the settings the console edits live in services.notify.wechat_settings
from services.notify.wechat_settings import check_settings, load_wechat_settings
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

# what the patient reads in the template's result field (phrase: 5 Chinese characters at most)
KIND_LABELS = {"confirmed": "预约成功", "rejected": "预约失败", "full": "预约已满", "stopped": "停诊",
               "cancelled": "已取消", "reminder": "就诊提醒", "substituted": "更换医生", "rescheduled": "时间变更",
               "waitlisted": "候补成功"}
# said in the reason field when the change carries no reason of its own
DEFAULT_REASONS = {"confirmed": "请按预约时间到院就诊", "rejected": "医院未通过您的预约申请",
                   "full": "该时段号已约满，请改约其他时段", "stopped": "医生停诊，请改约其他时间",
                   "cancelled": "医院已为您取消本次预约", "reminder": "明天请按预约时间到院就诊",
                   "substituted": "出诊医生有变更，预约仍有效", "rescheduled": "出诊时间有调整，预约仍有效",
                   "waitlisted": "您候补的号已预约成功，请按预约时间到院就诊"}
# kinds about a visit that still stands: not sent once the booking or the session changed again
STANDING_KINDS = ("reminder",) + outbox.SESSION_KINDS
REMINDER_LOCK_KEY = "notify_reminder_lock"


# ---------------------------------------------------------------- message values

def _visit_time(day: dt.date, start: dt.time) -> str:
    # WeChat's time/date types accept "2019年10月1日 15:01"
    return f"{day.year}年{day.month}月{day.day}日 {start:%H:%M}"


def booking_values(conn: Connection, booking_id: int, kind: str, payload: dict | None) -> dict[str, str] | None:
    """The values a template field can be mapped to (see docs/wechat.md for the keys)."""
    row = conn.execute(
        select(Patient.name.label("patient"), Hospital.name.label("hospital"),
               Department.name.label("department"), Doctor.name.label("doctor"), Doctor.title,
               ClinicSession.day, Slot.starts_at, Slot.ends_at, Booking.reason)
        .select_from(Booking).join(Patient, Patient.id == Booking.patient_id)
        .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
        .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
        .join(Hospital, Hospital.id == Department.hospital_id).where(Booking.id == booking_id)).first()
    if row is None:
        return None
    reason = (payload or {}).get("reason") or (row.reason if kind not in ("confirmed", "waitlisted") else None)
    return {
        "patient_name": row.patient, "hospital": row.hospital, "department": row.department,
        "doctor": f"{row.doctor} {row.title}", "doctor_name": row.doctor,
        "visit_time": _visit_time(row.day, row.starts_at),
        "visit_date": f"{row.day.year}年{row.day.month}月{row.day.day}日",
        "visit_period": f"{row.starts_at:%H:%M}~{row.ends_at:%H:%M}",
        "result": KIND_LABELS.get(kind, kind), "reason": reason or DEFAULT_REASONS.get(kind, ""),
        "remark": DEFAULT_REASONS.get(kind, ""), "booking_no": str(booking_id),
    }


# ---------------------------------------------------------------- delivery

@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 6
    backoff_base: dt.timedelta = dt.timedelta(seconds=30)
    backoff_max: dt.timedelta = dt.timedelta(hours=1)
    # how long a claim holds: longer than one send with a token refresh (3 requests + timeouts)
    lease: dt.timedelta = dt.timedelta(minutes=2)
    batch: int = 50

    def backoff(self, attempts: int) -> dt.timedelta:
        return min(self.backoff_max, self.backoff_base * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class PassResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unsubscribed: int = 0
    skipped: int = 0
    lost: int = 0  # our claim expired and someone else took the row over

    def __str__(self) -> str:
        return (f"sent {self.sent}, retry later {self.retrying}, failed {self.failed}, "
                f"unsubscribed {self.unsubscribed}, skipped {self.skipped}")


@dataclass(frozen=True)
class _Job:
    id: int
    booking_id: int
    kind: str
    openid: str
    attempts: int
    values: dict


def _due(now: dt.datetime):
    return or_(and_(Notification.state == "waiting", Notification.next_attempt_at <= now),
               and_(Notification.state == "sending", Notification.claimed_until < now))


def _claim(db: Database, nid: int, worker: str, now: dt.datetime, policy: DeliveryPolicy) -> _Job | str | None:
    """Claim one row; None if another worker has it, 'skipped' if there is nothing to send."""
    def fn(conn: Connection):
        n = conn.execute(update(Notification).where(Notification.id == nid, _due(now)).values(
            state="sending", claimed_by=worker, claimed_until=now + policy.lease,
            attempts=Notification.attempts + 1)).rowcount
        if n != 1:
            return None
        row = conn.execute(
            select(Notification.booking_id, Notification.kind, Notification.attempts, Notification.payload,
                   Patient.openid, Booking.status, ClinicSession.status.label("session_status"))
            .join(Patient, Patient.id == Notification.patient_id).join(Booking, Booking.id == Notification.booking_id)
            .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
            .where(Notification.id == nid)).one()
        why = None
        if not row.openid:
            why = "无微信 openid"
        elif row.kind in STANDING_KINDS and (row.status != BookingStatus.CONFIRMED
                                             or row.session_status != SessionStatus.PUBLISHED):
            why = "预约已变更，不再发送"  # about the visit as it stands when sent
        payload = json.loads(row.payload) if row.payload else {}
        values = None if why else booking_values(conn, row.booking_id, row.kind, payload)
        if why or values is None:
            conn.execute(update(Notification).where(Notification.id == nid).values(
                state="skipped", last_error=why or "预约不存在", claimed_by=None, claimed_until=None))
            return "skipped"
        return _Job(nid, row.booking_id, row.kind, row.openid, row.attempts, values)
    return db.run(fn)


def _finish(db: Database, job: _Job, worker: str, **values) -> bool:
    """Write the outcome if we still hold the claim."""
    def fn(conn: Connection) -> bool:
        return conn.execute(update(Notification).where(
            Notification.id == job.id, Notification.state == "sending", Notification.claimed_by == worker
        ).values(claimed_by=None, claimed_until=None, **values)).rowcount == 1
    return db.run(fn)


def deliver_due(db: Database, client: WeChatClient, *, worker: str | None = None,
                policy: DeliveryPolicy = DeliveryPolicy(), now: dt.datetime | None = None,
                stop: threading.Event | None = None) -> PassResult:
    """Send every notification due now, once each; returns what happened.

    ``now`` (naive UTC) fixes the pass's clock (tests use it to step past a back-off).
    ``stop`` ends the pass early, but only between messages: a message WeChat accepted is
    always recorded as sent, else it would be sent again once its claim expired.
    Raises WeChatError (category 'config') when the token endpoint refuses our app
    credentials: the row in hand goes back to waiting uncharged and the pass stops.
    """
    worker = worker or client.me
    clock = (lambda: now) if now is not None else utcnow
    counts = dict.fromkeys(PassResult.__dataclass_fields__, 0)
    settings = client.settings
    try:
        check_settings(settings)  # before anything is claimed: a bad base URL must not cost attempts
    except ConfigError as exc:
        raise WeChatError(str(exc), category=CONFIG) from None
    cursor = 0
    while True:
        with db.read() as c:
            ids = list(c.execute(select(Notification.id).where(Notification.id > cursor, _due(clock()))
                                 .order_by(Notification.id).limit(policy.batch)).scalars())
        if not ids:
            break
        for nid in ids:
            if stop is not None and stop.is_set():
                return PassResult(**counts)
            cursor = nid
            t = clock()
            job = _claim(db, nid, worker, t, policy)
            if job is None:
                continue  # another worker got it
            if job == "skipped":
                counts["skipped"] += 1
                continue
            page = settings.page.replace("{booking_id}", str(job.booking_id))
            try:
                client.send_subscribe(job.openid, template_data(settings.field_map, job.values), page)
            except WeChatError as exc:
                if exc.category == CONFIG:
                    _finish(db, job, worker, state="waiting", attempts=job.attempts - 1, last_error=str(exc)[:500])
                    raise
                outcome, values = _failure(exc, job, t, policy)
                counts[outcome if _finish(db, job, worker, **values) else "lost"] += 1
                log.info("notification %s (%s) for booking %s: %s", job.id, job.kind, job.booking_id, exc)
                continue
            ok = _finish(db, job, worker, state="sent", sent_at=utcnow(), last_error=None)
            counts["sent" if ok else "lost"] += 1
    return PassResult(**counts)


def _failure(exc: WeChatError, job: _Job, now: dt.datetime, policy: DeliveryPolicy) -> tuple[str, dict]:
    msg = str(exc)[:500]
    if exc.category == UNSUBSCRIBED:
        return "unsubscribed", {"state": "unsubscribed", "last_error": msg}
    if exc.category == TRANSIENT and job.attempts < policy.max_attempts:
        return "retrying", {"state": "waiting", "last_error": msg,
                            "next_attempt_at": now + policy.backoff(job.attempts)}
    if exc.category == TRANSIENT:
        msg = f"共尝试 {job.attempts} 次：{msg}"[:500]  # the same count as the attempts column
    return "failed", {"state": "failed", "last_error": msg}


# ---------------------------------------------------------------- reminders

def enqueue_reminders(db: Database, day: dt.date) -> int:
    """Queue a reminder for every confirmed booking on ``day`` that has none yet; returns how many.

    Idempotent, also when two processes run it at once: a lock row serializes them, and the
    second finds the first one's rows.
    """
    ensure_setting_rows(db, [REMINDER_LOCK_KEY])

    def fn(conn: Connection) -> int:
        conn.execute(select(AppSetting.key).where(AppSetting.key == REMINDER_LOCK_KEY).with_for_update()).first()
        already = exists().where(Notification.booking_id == Booking.id, Notification.kind == "reminder")
        ids = list(conn.execute(
            select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
            .join(ClinicSession, ClinicSession.id == Slot.session_id).join(Patient, Patient.id == Booking.patient_id)
            .where(ClinicSession.day == day, ClinicSession.status == SessionStatus.PUBLISHED,
                   Booking.status == BookingStatus.CONFIRMED,
                   Patient.openid.is_not(None), ~already).order_by(Booking.id)).scalars())
        return outbox.enqueue(conn, ids, "reminder")
    n = db.run(fn)
    log.info("queued %d reminders for %s", n, day)
    return n


# ---------------------------------------------------------------- what staff see

@dataclass(frozen=True)
class Failure:
    id: int
    booking_id: int
    patient_name: str
    department: str
    visit: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    attempts: int
    reason: str
    created_at: dt.datetime  # local wall-clock time


def _scope(q, actor: Actor | None):
    """A head sees the notifications of their own departments only; an admin sees all."""
    if actor is not None and actor.role == Role.HEAD and actor.department_ids:
        q = q.where(Department.id.in_(sorted(actor.department_ids)))
    return q


def list_failures(db: Database, actor: Actor | None = None, limit: int = 500) -> list[Failure]:
    """Notifications that will not be sent unless someone retries them, newest first (for ``actor``:
    a head's departments only)."""
    with db.read() as conn:
        rows = conn.execute(_scope(
            select(Notification.id, Notification.booking_id, Notification.kind, Notification.state,
                   Notification.attempts, Notification.last_error, Notification.created_at,
                   Patient.name.label("patient"), Department.name.label("department"), ClinicSession.day,
                   Slot.starts_at)
            .join(Patient, Patient.id == Notification.patient_id).join(Booking, Booking.id == Notification.booking_id)
            .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
            .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
            .where(Notification.state.in_(("failed", "unsubscribed"))), actor)
            .order_by(Notification.id.desc()).limit(limit)).all()
    return [Failure(r.id, r.booking_id, r.patient, r.department, f"{r.day:%Y-%m-%d} {r.starts_at:%H:%M}",
                    r.kind, KIND_LABELS.get(r.kind, r.kind), r.state, STATE_LABELS.get(r.state, r.state),
                    r.attempts, r.last_error or "", utc_to_local(r.created_at)) for r in rows]


def retry(db: Database, actor: Actor, notification_id: int) -> None:
    """Send a failed (or unsubscribed) notification again at the next pass."""
    actor.require("notify.manage")

    def fn(conn: Connection) -> None:
        department_id = conn.execute(
            select(Doctor.department_id).select_from(Notification)
            .join(Booking, Booking.id == Notification.booking_id).join(Slot, Slot.id == Booking.slot_id)
            .join(ClinicSession, ClinicSession.id == Slot.session_id)
            .join(Doctor, Doctor.id == ClinicSession.doctor_id).where(Notification.id == notification_id)).scalar()
        if department_id is None:
            raise NotFound(f"通知 {notification_id} 不存在")
        actor.require("notify.manage", department_id)
        n = conn.execute(update(Notification).where(
            Notification.id == notification_id, Notification.state.in_(("failed", "unsubscribed"))).values(
            state="waiting", attempts=0, next_attempt_at=utcnow(), claimed_by=None, claimed_until=None,
            last_error=None)).rowcount
        if n != 1:
            state = conn.execute(select(Notification.state).where(Notification.id == notification_id)).scalar()
            raise Conflict(f"通知 {notification_id} 当前状态为「{STATE_LABELS.get(state, state)}」，无需重发")
        audit.record(conn, actor, "notify.retry", "notification", notification_id)
    db.run(fn)


def send_test(db: Database, actor: Actor, openid: str, *, cfg: Config | None = None,
              timeout: float = 10.0) -> None:
    """Send a sample message to ``openid`` now (not through the outbox). Raises WeChatError
    with WeChat's message when it is refused, ConfigError when WeChat is not set up."""
    actor.require("wechat.settings")
    openid = (openid or "").strip()
    if not openid or not openid.isascii() or len(openid) > 64 or " " in openid:
        raise ValidationError("请输入接收测试消息的微信 openid", field="openid")
    from services import config as config_mod
    settings = load_wechat_settings(db, cfg or config_mod.load())
    if not settings.configured:
        raise ConfigError("微信尚未配置：需要 AppID、AppSecret 和模板 ID")
    today = hospital_today()
    values = {"patient_name": "测试患者", "hospital": "测试医院", "department": "测试科室",
              "doctor": "测试医生 主治医师", "doctor_name": "测试医生",
              "visit_time": _visit_time(today, dt.time(8, 0)),
              "visit_date": f"{today:%Y}年{today.month}月{today.day}日",
              "visit_period": "08:00~08:30", "result": KIND_LABELS["confirmed"], "reason": "这是一条测试消息",
              "remark": "这是一条测试消息", "booking_no": "0"}
    page = settings.page.split("?")[0] if "{booking_id}" in settings.page else settings.page
    with WeChatClient(db, settings, timeout=timeout) as client:
        client.send_subscribe(openid, template_data(settings.field_map, values), page)
    with db.write() as conn:
        audit.record(conn, actor, "wechat.test", "setting", "wechat", {"openid": openid})

