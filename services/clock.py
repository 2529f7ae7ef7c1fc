"""Time: the database stores UTC timestamps; clinic days and times are the hospital's local wall clock."""
from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC 'now', the form stored in timestamp columns."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_now() -> dt.datetime:
    """Naive local wall-clock 'now' (the clinic PC's time zone is the hospital's)."""
    return dt.datetime.now()


def hospital_today(now: dt.datetime | None = None) -> dt.date:
    """The hospital's local date: what "today" means for check-in, undo and the day list.

    The one place that says it, so that making it time-zone aware (a hospital whose PCs run in
    another zone) changes this function only. ``now``: a local wall-clock time to take the date of.
    """
    return (now or local_now()).date()


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


def as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
