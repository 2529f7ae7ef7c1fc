"""Small rules shared by the roster modules: clinic hours per period, times, weekdays, ISO weeks,
and the doctor lock that every session-creating or doctor-moving transaction takes first.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from services.domain import Period
from services.errors import ValidationError
from services.limits import is_row_id, shown
from services.models import Doctor

log = logging.getLogger(__name__)

PERIOD_LABELS = {Period.AM: "上午", Period.PM: "下午", Period.EVENING: "晚上"}
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAY_NAMES = {
    **{n: i for i, n in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{n: i for i, n in enumerate(WEEKDAY_LABELS)},
    "周天": 6, "星期日": 6, "星期天": 6,
    **{f"星期{c}": i for i, c in enumerate("一二三四五六")},
}
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")

NOON = dt.time(12, 0)
PM_LATEST_START = dt.time(18, 0)
EVENING_EARLIEST_START = dt.time(17, 0)


def fmt_time(t: dt.time) -> str:
    return t.strftime("%H:%M")


def minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def parse_time(value, what: str = "时间", field: str | None = None) -> dt.time:
    """A wall-clock time from a dt.time or 'H:MM'/'HH:MM' (minutes only; seconds are not used).
    ``field``: the caller's parameter the value came from (a form shows the error by it)."""
    if isinstance(value, dt.time):
        if value.second or value.microsecond:
            raise ValidationError(f"{what}只精确到分钟：{shown(value)}", field=field)
        return value.replace(tzinfo=None)
    m = _TIME_RE.match(str(value or "").strip())
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h < 24 and mi < 60:
            return dt.time(h, mi)
    raise ValidationError(f"{what}不是有效时间（应为 HH:MM）：{shown(value)}", field=field)


def parse_date(value, what: str, field: str) -> dt.date:
    """A date from a date, a datetime or "YYYY-MM-DD"; bad input raises ValidationError naming ``what``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what}不是有效日期（应为 YYYY-MM-DD）：{value}", field=field) from None


def parse_weekday(value) -> int:
    """Monday = 0. Accepts 0-6 as int, '1'-'7' (Monday = 1) as text, mon..sun, 周一..周日."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 6:
            return value
        raise ValidationError(f"星期应为 0（周一）到 6（周日）：{shown(value)}", field="weekday")
    s = str(value or "").strip().lower()
    if len(s) == 1 and s in "1234567":
        return int(s) - 1
    if s in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[s]
    raise ValidationError(f"星期无效：{shown(value)}（应为 1-7、mon-sun 或 周一-周日）", field="weekday")


def check_hours(period: str, starts_at: dt.time, ends_at: dt.time) -> None:
    """The end is after the start and the start fits the period (am/pm/evening). The errors name the
    field at fault as the callers' parameters do (``starts_at``, ``ends_at``)."""
    if ends_at <= starts_at:
        if ends_at == starts_at:
            raise ValidationError(f"结束时间 {fmt_time(ends_at)} 与开始时间相同", field="ends_at")
        raise ValidationError(f"结束时间 {fmt_time(ends_at)} 早于开始时间 {fmt_time(starts_at)}", field="ends_at")
    if period == Period.AM and starts_at >= NOON:
        raise ValidationError(f"上午出诊须在 12:00 前开始（开始时间 {fmt_time(starts_at)}）", field="starts_at")
    if period == Period.PM and not NOON <= starts_at < PM_LATEST_START:
        raise ValidationError(f"下午出诊须在 12:00 至 18:00 之间开始（开始时间 {fmt_time(starts_at)}）",
                              field="starts_at")
    if period == Period.EVENING and starts_at < EVENING_EARLIEST_START:
        raise ValidationError(f"晚上出诊须在 17:00 或以后开始（开始时间 {fmt_time(starts_at)}）", field="starts_at")


def overlaps(a1: dt.time, b1: dt.time, a2: dt.time, b2: dt.time) -> bool:
    """Half-open intervals: 08:00-12:00 and 12:00-17:00 do not overlap."""
    return a1 < b2 and a2 < b1


def slot_times(starts_at: dt.time, ends_at: dt.time, slot_minutes: int) -> list[tuple[dt.time, dt.time]]:
    """Consecutive slots of slot_minutes from start to end (a remainder, if any, ends at ``ends_at``)."""
    out = []
    t, end = minutes(starts_at), minutes(ends_at)
    while t < end:
        u = min(t + slot_minutes, end)
        out.append((dt.time(t // 60, t % 60), dt.time(u // 60, u % 60)))
        t = u
    return out


def lock_doctors(conn: Connection, doctor_ids: Iterable[int]) -> dict[int, str]:
    """Lock these doctors' rows (id order, so two transactions never wait on each other in a cycle).

    Taken by every transaction that creates sessions for a doctor or moves a doctor into a
    session, before it looks for overlaps. Returns {id: name}. On SQLite BEGIN IMMEDIATE
    already serializes writers and FOR UPDATE compiles to nothing.
    """
    ids = sorted({int(i) for i in doctor_ids if is_row_id(i)})  # no such doctor: the caller's lookup says so
    if not ids:
        return {}
    rows = conn.execute(select(Doctor.id, Doctor.name).where(Doctor.id.in_(ids))
                        .order_by(Doctor.id).with_for_update()).all()
    return {r.id: r.name for r in rows}
