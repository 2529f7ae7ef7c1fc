"""Time: the database stores UTC timestamps; clinic days and times are the hospital's local wall clock."""
from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC 'now', the form stored in timestamp columns."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_now() -> dt.datetime:
    """Naive local wall-clock 'now' (the clinic PC's time zone is the hospital's)."""
    return dt.datetime.now()


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


def as_datetime(value) -> dt.datetime | None:  # noqa: ANN001 - SQLite may hand back text
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
