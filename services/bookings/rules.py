"""The hospital's booking rules and the auto-approval that applies them (`regdesk autoapprove`).

The rules live in the ``rules`` table (key -> JSON value) so every console and every autoapprove
process sees the same ones; a missing key means its default.

decide_pending() decides what is pending, oldest first. It loads the context of a batch in a
few set-based queries (the bookings with their slots and sessions, the patients' recent
no-shows), settles from that what cannot change under it (the clock, the booking window, the
blacklist), then decides them in runs of ``CHUNK``, a run in one short transaction
(services.bookings.batch.decide, exactly as one decision a transaction would decide them, oldest first)
that re-checks, under the locks of services.bookings.decisions.lock_and_count, what other writers can
change: the booking's status, the session's status, the slot's free places and the patient's other
bookings that day.
"""
from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import threading
from dataclasses import asdict, dataclass, fields, replace

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services import limits
from services.bookings import batch, decisions, late_cancel, waitlist
from services.clock import as_datetime, local_now, utc_to_local, utcnow
from services.db import Database, first_line
from services.domain import BookingStatus, Role, SessionStatus
from services.errors import ValidationError
from services.jobs.outage import is_outage
from services.models import Booking, ClinicSession, Doctor, Rule, Slot
from services.rosters.calendar import fmt_time, parse_time
from services.staff import audit
from services.staff.actor import AUTOAPPROVE, Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rules:
    booking_window_days: int = 7  # a session may be booked at most N days ahead
    cutoff_minutes: int = 0  # no online decisions for slots starting within N minutes (or past)
    one_per_department_day: bool = True
    noshow_limit: int = 3
    noshow_lookback_days: int = 90
    blacklist_days: int = 90
    autoapprove_enabled: bool = True
    # 放号: a day opens to online requests at this time (HH:MM), booking_window_days before it; None: at 00:00
    release_time: str | None = None
    # 退号: a cancel after this time (HH:MM), late_cancel_days_before the clinic day, is late (services.bookings.late_cancel)
    late_cancel_days_before: int = 1
    late_cancel_time: str = "15:00"
    late_cancel_counts: bool = False  # late cancels count toward the blacklist as no-shows do
    clerks_add_places: bool = False  # 加号 by clerks too (heads and admins always may: services.rosters.extra_places)
    # 候补 (services.bookings.waitlist): a request with no place left waits (pending) instead of being full
    waitlist: bool = False
    waitlist_any_slot: bool = False  # a waiting request takes a place freed in any slot of its session
    waitlist_cutoff_days_before: int = 1  # what still waits at this time (HH:MM), N days before the clinic day,
    waitlist_cutoff_time: str = "18:00"  # becomes full (候补未成功)
    # 号源池 (services.rosters.shares): the places kept for the desk open to online requests at this time
    # (HH:MM), desk_share_opens_days_before the clinic day
    desk_share_opens_days_before: int = 1
    desk_share_opens_time: str = "18:00"
    # the places kept for referrals (转诊/医联体) and follow-ups (复诊) open to everyone the same way
    referral_share_opens_days_before: int = 1
    referral_share_opens_time: str = "18:00"
    followup_share_opens_days_before: int = 1
    followup_share_opens_time: str = "18:00"
    # the online share's unused places open to the desk at this time, N days before the clinic day
    online_share_opens_days_before: int = 0
    online_share_opens_time: str = "00:00"
    followup_days: int = 14  # 复诊: the patient was seen (checked in) in the department within N days
    followup_same_doctor: bool = False  # ... by the same doctor


DEFAULTS = Rules()
# key -> (label, help) for the admin page
RULE_LABELS: dict[str, tuple[str, str]] = {
    "booking_window_days": ("可预约天数", "患者最多可提前多少天预约（按就诊日期计算）"),
    "cutoff_minutes": ("截止时间（分钟）", "就诊时段开始前多少分钟停止网上预约审核；0 表示时段开始即截止"),
    "one_per_department_day": ("同科室每日限一个号", "同一患者同一天在同一科室只能有一个有效预约"),
    "noshow_limit": ("爽约次数上限", "在回溯天数内爽约达到此次数，暂停网上预约"),
    "noshow_lookback_days": ("爽约回溯天数", "统计爽约次数的时间范围（天）"),
    "blacklist_days": ("暂停预约天数", "自最近一次爽约起暂停网上预约的天数"),
    "autoapprove_enabled": ("自动审核", "开启后按以上规则自动审核小程序的预约申请"),
    "release_time": ("放号时间", "每天几点放出第“可预约天数”天的号（如 07:00）；留空表示零点放号"),
    "late_cancel_days_before": ("退号截止（提前天数）", "就诊前第几天的截止时间之后取消算晚退号（1 表示前一天）"),
    "late_cancel_time": ("退号截止时间", "该天几点之后取消算晚退号（如 15:00）"),
    "late_cancel_counts": ("晚退号计入爽约", "开启后晚退号与爽约一样计入暂停网上预约的次数"),
    "clerks_add_places": ("挂号员可加号", "开启后挂号员也可为出诊加号（科主任和管理员始终可以）"),
    "waitlist": ("候补", "开启后号源已满的网上申请进入候补（保持待审核），有号释放时按先后自动预约成功"),
    "waitlist_any_slot": ("候补同一出诊任一时段", "开启后候补的申请可得到同一出诊任一时段释放的号"),
    "waitlist_cutoff_days_before": ("候补截止（提前天数）", "就诊前第几天的候补截止时间仍未候补成功的，按预约已满处理"),
    "waitlist_cutoff_time": ("候补截止时间", "该天几点候补截止（如 18:00）"),
    "desk_share_opens_days_before": ("现场号开放（提前天数）", "就诊前第几天的开放时间起，未用完的现场号也可网上预约"),
    "desk_share_opens_time": ("现场号开放时间", "该天几点起未用完的现场号开放给网上预约（如 18:00）"),
    "referral_share_opens_days_before": ("转诊号开放（提前天数）", "就诊前第几天的开放时间起，未用完的转诊号开放给所有人"),
    "referral_share_opens_time": ("转诊号开放时间", "该天几点起未用完的转诊号开放给所有人（如 18:00）"),
    "followup_share_opens_days_before": ("复诊号开放（提前天数）", "就诊前第几天的开放时间起，未用完的复诊号开放给所有人"),
    "followup_share_opens_time": ("复诊号开放时间", "该天几点起未用完的复诊号开放给所有人（如 18:00）"),
    "online_share_opens_days_before": ("网上号开放给窗口（提前天数）", "就诊前第几天的开放时间起，未用完的网上号窗口也可挂（0 表示就诊当天）"),
    "online_share_opens_time": ("网上号开放给窗口时间", "该天几点起未用完的网上号窗口也可挂（如 00:00）"),
    "followup_days": ("复诊天数", "患者在此天数内在同一科室就诊（已签到）过，其预约算复诊，可用复诊号"),
    "followup_same_doctor": ("复诊限同一医生", "开启后须在此天数内看过同一位医生才算复诊"),
}
# key -> (min, max) for the whole-number rules
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "booking_window_days": (1, 365), "cutoff_minutes": (0, 24 * 60), "noshow_limit": (1, 100),
    "noshow_lookback_days": (1, 3650), "blacklist_days": (0, 3650), "late_cancel_days_before": (0, 30),
    "waitlist_cutoff_days_before": (0, 30), "desk_share_opens_days_before": (0, 30),
    "referral_share_opens_days_before": (0, 30), "followup_share_opens_days_before": (0, 30),
    "online_share_opens_days_before": (0, 30), "followup_days": (1, 365),
}
TIME_RULES = {"release_time": True, "late_cancel_time": False, "waitlist_cutoff_time": False,
              "desk_share_opens_time": False, "referral_share_opens_time": False, "followup_share_opens_time": False,
              "online_share_opens_time": False}  # rule -> may be empty (None)
_TYPES = {f.name: (dt.time if f.name in TIME_RULES else type(getattr(DEFAULTS, f.name))) for f in fields(Rules)}

STOPPED_REASON = "该门诊已停诊"
UNPUBLISHED_REASON = "该门诊未开放预约"
OVER_REASON = "该门诊已结束，无法预约"
DUPLICATE_REASON = "同一科室同一天只能预约一个号"
BATCH = 500  # requests loaded at a time
CHUNK = 100  # decided in one transaction (services.bookings.batch)


def _check(key: str, value) -> object:
    if key not in _TYPES:
        raise ValidationError(f"未知的规则：{key}", field=key)
    name = RULE_LABELS[key][0]
    if _TYPES[key] is dt.time:
        if value is None or (isinstance(value, str) and not value.strip()):
            if TIME_RULES[key]:
                return None
            raise ValidationError(f"“{name}”不能为空", field=key)
        if not isinstance(value, str):
            raise ValidationError(f"“{name}”应为 HH:MM 格式的时间", field=key)
        return fmt_time(parse_time(value, f"“{name}”", field=key))
    if _TYPES[key] is bool:
        if not isinstance(value, bool):
            raise ValidationError(f"“{name}”只能是开或关", field=key)
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"“{name}”必须是整数", field=key)
    lo, hi = RULE_LIMITS[key]
    if not lo <= value <= hi:
        raise ValidationError(f"“{name}”必须在 {lo} 到 {hi} 之间", field=key)
    return value


def release_at(day: dt.date, rules: Rules) -> dt.datetime:
    """When a clinic day opens to online requests (放号): booking_window_days before it, at the release
    time (00:00 without one). The view slot_availability says the same in its ``opens_at`` column."""
    at = dt.time.fromisoformat(rules.release_time) if rules.release_time else dt.time(0, 0)
    return dt.datetime.combine(day - dt.timedelta(days=rules.booking_window_days), at)


def read(conn: Connection) -> Rules:
    """The rules as stored, inside the caller's transaction (a missing or bad key: its default)."""
    values = {}
    for key, raw in conn.execute(select(Rule.key, Rule.value)):
        if key not in _TYPES:
            continue
        try:
            values[key] = _check(key, json.loads(raw))
        except (ValueError, ValidationError):
            log.warning("ignoring bad stored rule %s=%r; using the default", key, raw)
    return replace(DEFAULTS, **values)


def load(db: Database) -> Rules:
    with db.read() as conn:
        return read(conn)


def save(db: Database, actor: Actor, **changes) -> Rules:
    """Change some rules (admin only). All values are checked first; nothing changes if one is bad."""
    actor.require("rules.edit")
    checked = {key: _check(key, value) for key, value in changes.items()}

    def work(conn: Connection) -> Rules:
        old = read(conn)
        now = utcnow()
        for key, value in checked.items():
            before = getattr(old, key)
            raw = json.dumps(value)
            n = conn.execute(update(Rule).where(Rule.key == key)
                             .values(value=raw, updated_at=now, updated_by=actor.name)).rowcount
            if n == 0:
                conn.execute(insert(Rule).values(key=key, value=raw, updated_at=now, updated_by=actor.name))
            if before != value:
                audit.record(conn, actor, "update", "rule", key, {"old": before, "new": value})
        return replace(old, **checked)

    try:
        return db.run(work)
    except IntegrityError:
        # two admins inserted the same missing key at once: the second try finds it and updates
        return db.run(work)


# ---------------------------------------------------------------- auto-approval

@dataclass(frozen=True)
class DecideSummary:
    confirmed: int = 0
    full: int = 0
    rejected: int = 0
    skipped: int = 0  # no longer pending when its turn came (cancelled, decided elsewhere)
    errors: int = 0
    waiting: int = 0  # put on the waitlist (候补, services.bookings.waitlist): still pending, with its position

    @property
    def decided(self) -> int:
        return self.confirmed + self.full + self.rejected

    def __add__(self, other: DecideSummary) -> DecideSummary:
        return DecideSummary(**{k: v + getattr(other, k) for k, v in asdict(self).items()})

    def line(self) -> str:
        waiting = f", {self.waiting} waiting" if self.waiting else ""
        return (f"{self.confirmed} confirmed, {self.full} full, {self.rejected} rejected, "
                f"{self.skipped} skipped, {self.errors} errors{waiting}")


def blocked_until(days: list[dt.date], rules: Rules) -> tuple[dt.date, int] | None:
    """The last day a patient with no-shows on ``days`` (sorted) is blocked, and the count behind it.

    ``noshow_limit`` no-shows within ``noshow_lookback_days`` block online booking through the
    ``blacklist_days``-th day after the latest of them. None when no such group exists.
    """
    best = None
    for i, latest in enumerate(days):
        # the lookback window is the N days ending on ``latest``: (latest - N, latest]
        first = bisect.bisect_right(days, latest - dt.timedelta(days=rules.noshow_lookback_days))
        count = i + 1 - first
        if count >= rules.noshow_limit:
            until = latest + dt.timedelta(days=rules.blacklist_days)
            if best is None or until >= best[0]:
                best = (until, count)
    return best


@dataclass(frozen=True)
class Refusal:
    """What the rules refuse, in the rule's own words (``reason`` is what the patient reads).

    ``rule`` names the rule: stopped, unpublished, over (facts about the session, which nobody can
    override), cutoff, release, window, blacklist, duplicate (the hospital's policy, which a head or an admin
    may override for one request with a reason; see services.bookings.decisions.approve). Capacity is not a
    rule here: a request with no place left is decided ``full``, never overridden.
    """
    rule: str
    reason: str

    @property
    def overridable(self) -> bool:
        return self.rule in OVERRIDABLE


OVERRIDABLE = frozenset({"cutoff", "release", "window", "blacklist", "duplicate"})


def verdict(row, rules: Rules, now: dt.datetime, blocks: dict, *, session_status: str | None = None,
            duplicates: int = 0) -> Refusal | None:
    """The one place that says what the rules refuse: None when they allow ``row``.

    ``row`` carries ``day``, ``session_ends_at``, ``slot_starts_at``, ``patient_id``,
    ``session_status`` (``session_status=`` overrides it with one read under the decision's locks), and
    ``requested_at`` (UTC, optional: the release time is judged at it, else at ``now``);
    ``blocks`` is what :func:`patient_blocks` answers; ``duplicates`` the patient's other confirmed or
    checked-in bookings in the department that day. Autoapprove, a clerk's approval and the queue's
    verdict column all ask this function.
    """
    status = row.session_status if session_status is None else session_status
    if status == SessionStatus.STOPPED:
        return Refusal("stopped", STOPPED_REASON)
    if status != SessionStatus.PUBLISHED:
        return Refusal("unpublished", UNPUBLISHED_REASON)
    if dt.datetime.combine(row.day, row.session_ends_at) <= now:
        return Refusal("over", OVER_REASON)
    if dt.datetime.combine(row.day, row.slot_starts_at) - dt.timedelta(minutes=rules.cutoff_minutes) <= now:
        if rules.cutoff_minutes:
            return Refusal("cutoff", f"已过网上预约截止时间（就诊前{rules.cutoff_minutes}分钟）")
        return Refusal("cutoff", "该时段已开始，无法预约")
    if rules.release_time is not None:  # 放号: judged at the time of the request, not of the decision
        asked = getattr(row, "requested_at", None)
        asked = now if asked is None else utc_to_local(as_datetime(asked))
        opens = release_at(row.day, rules)
        if asked < opens:
            return Refusal("release", f"尚未放号，放号时间 {opens:%Y-%m-%d %H:%M}")
    if (row.day - now.date()).days > rules.booking_window_days:
        return Refusal("window", f"只能预约{rules.booking_window_days}天内的号源")
    block = blocks.get(row.patient_id)
    if block and now.date() <= block[0]:
        what = "爽约或晚退号" if rules.late_cancel_counts else "爽约"
        return Refusal("blacklist", f"近{rules.noshow_lookback_days}天{what}{block[1]}次，"
                                    f"暂停网上预约至{block[0].isoformat()}")
    if rules.one_per_department_day and duplicates:
        return Refusal("duplicate", DUPLICATE_REASON)
    return None


def patient_blocks(conn: Connection, patient_ids: set[int], rules: Rules,
                   today: dt.date) -> dict[int, tuple[dt.date, int]]:
    """patient -> (blocked through, no-show count) for these patients, in one query (for :func:`verdict`)."""
    if not patient_ids:
        return {}
    since = today - dt.timedelta(days=rules.noshow_lookback_days + rules.blacklist_days)
    days: dict[int, list[dt.date]] = {}
    q = (select(Booking.patient_id, ClinicSession.day).join(Slot, Slot.id == Booking.slot_id)
         .join(ClinicSession, ClinicSession.id == Slot.session_id)
         .where(Booking.status == BookingStatus.NO_SHOW, Booking.patient_id.in_(sorted(patient_ids)),
                ClinicSession.day >= since, ClinicSession.day <= today))
    for pid, day in conn.execute(q):
        days.setdefault(pid, []).append(day)
    if rules.late_cancel_counts:  # 退号: a late cancel counts as a no-show does
        # known when it happens, before the clinic day: a late cancel for next week counts already
        ahead = today + dt.timedelta(days=limits.ROSTER_DAYS_AHEAD)
        for pid, late in late_cancel.late_days(conn, sorted(patient_ids), since, ahead, rules).items():
            days.setdefault(pid, []).extend(late)
    out = {}
    for pid, ds in days.items():
        found = blocked_until(sorted(ds), rules)
        if found:
            out[pid] = found
    return out


def _day_sessions(conn: Connection, rows) -> dict[tuple[dt.date, int], list[int]]:
    """(day, department) -> its sessions, for the batch's bookings (MySQL/MariaDB's one-a-day lock)."""
    days, deps = {r.day for r in rows}, {r.department_id for r in rows}
    out: dict[tuple[dt.date, int], list[int]] = {}
    if rows:
        q = (select(ClinicSession.id, ClinicSession.day, Doctor.department_id)
             .join(Doctor, Doctor.id == ClinicSession.doctor_id)
             .where(ClinicSession.day.in_(sorted(days)), Doctor.department_id.in_(sorted(deps))))
        for sid, day, dep in conn.execute(q):
            out.setdefault((day, dep), []).append(sid)
    return out


def judge(conn: Connection, row, now: dt.datetime) -> tuple[decisions.Fresh, Refusal | None]:
    """Inside a decision's transaction: take its locks (the patient's too under the one-a-day rule),
    then the rules' verdict on ``row`` (a services.bookings.decisions.load_context row) with what they read."""
    rules = read(conn)
    blocks = patient_blocks(conn, {row.patient_id}, rules, now.date())
    dup = rules.one_per_department_day
    fresh = decisions.lock_and_count(
        conn, slot_id=row.slot_id, session_id=row.session_id, patient_id=row.patient_id if dup else None,
        booking_id=row.id, day=row.day, department_id=row.department_id)
    return fresh, verdict(row, rules, now, blocks, session_status=fresh.session_status, duplicates=fresh.duplicates)


def _decide_run(db: Database, actor: Actor, run: list, refused: dict, rules: Rules, now: dt.datetime,
                day_sessions: dict) -> list:
    """Decide ``run`` in one transaction (services.bookings.batch.decide); each booking's outcome. A run that
    fails (not for an outage) is decided again one booking a transaction, so one bad booking stays pending
    (``_ERROR``) for the next round and the others are decided."""
    try:
        if len(run) == 1:  # one decision a transaction: the reference the batches decide exactly as
            row = run[0]
            sessions = day_sessions.get((row.day, row.department_id))
            return [db.run(lambda conn: batch.decide_one(conn, actor, row, refused.get(row.id), rules, now, sessions))]
        return list(db.run(lambda conn: batch.decide(conn, actor, run, refused, rules, now, day_sessions)).values())
    except Exception as exc:
        if is_outage(exc):  # the database being away stops the round: nothing else can be decided
            raise
        if len(run) == 1:
            log.exception("could not decide booking %s", run[0].id)
            return [_ERROR]
        log.warning("could not decide %d requests in one transaction (%s); deciding them one at a time",
                    len(run), first_line(exc))
    return [outcome for row in run for outcome in _decide_run(db, actor, [row], refused, rules, now, day_sessions)]


_ERROR = object()


def decide_pending(db: Database, actor: Actor = AUTOAPPROVE, *, now: dt.datetime | None = None,
                   limit: int | None = None, stop: threading.Event | None = None, chunk: int = CHUNK) -> DecideSummary:
    """Decide the bookings pending now (oldest first; at most ``limit``) by the rules, ``chunk`` of them a
    transaction (services.bookings.batch: as one a transaction would, oldest first). ``now``: the hospital's
    wall-clock time (services.clock.local_now); ``stop`` ends the run between transactions."""
    actor.require("booking.decide")
    if limit is not None:
        limit = limits.DECIDE_LIMIT.check(limit)
    now = now or local_now()
    rules = load(db)
    counts = dict(confirmed=0, full=0, rejected=0, skipped=0, errors=0, waiting=0)
    with db.read() as conn:
        ceiling = conn.execute(select(Booking.id).where(Booking.status == BookingStatus.PENDING)
                               .order_by(Booking.id.desc()).limit(1)).scalar()
    cursor, left = 0, limit
    while ceiling is not None and (left is None or left > 0):
        size = BATCH if left is None else min(BATCH, left)
        q = (decisions._CONTEXT.where(Booking.status == BookingStatus.PENDING, Booking.id > cursor,
                                      Booking.id <= ceiling)
             .order_by(Booking.id).limit(size))
        if rules.waitlist:  # what waits is the waitlist job's (services.bookings.waitlist.fill)
            q = q.where(waitlist.NOT_WAITING)
        if actor.kind == "staff" and actor.role == Role.HEAD and actor.department_ids:
            q = q.where(Doctor.department_id.in_(actor.department_ids))
        with db.read() as conn:
            rows = conn.execute(q).all()
            blocks = patient_blocks(conn, {r.patient_id for r in rows}, rules, now.date())
            day_sessions = _day_sessions(conn, rows) if db.dialect == "mysql" else {}
        if not rows:
            break
        cursor = rows[-1].id
        if left is not None:
            left -= len(rows)
        for start in range(0, len(rows), chunk):
            if stop is not None and stop.is_set():
                left = 0
                break
            run = rows[start:start + chunk]
            refused = {row.id: (x.reason if (x := verdict(row, rules, now, blocks)) else None) for row in run}
            for outcome in _decide_run(db, actor, run, refused, rules, now, day_sessions):
                counts["errors" if outcome is _ERROR else (outcome or "skipped")] += 1
    summary = DecideSummary(**counts)
    if summary.decided or summary.errors:
        log.info("autoapprove: %s", summary.line())
    return summary
