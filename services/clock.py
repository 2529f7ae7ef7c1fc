"""Time: the database stores UTC timestamps; clinic days and times are the hospital's wall clock.

The hospital's time zone is a setting kept in the database (``app_settings`` key
``hospital.timezone``, Asia/Shanghai unless an admin sets another with `regdesk timezone ZONE`),
not the zone of whichever PC or server runs the console or the job service: a job service on a
UTC server decides exactly as a console on a clinic PC in Beijing does. A process works for one
hospital database, so the zone is process-wide: :func:`load_zone` reads it (the command line and
the console after connecting, the job service before every round) and every function below
answers in it.
"""
from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.db import Database

log = logging.getLogger(__name__)

DEFAULT_ZONE = "Asia/Shanghai"
ZONE_KEY = "hospital.timezone"

_zone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo(DEFAULT_ZONE)


def utcnow() -> dt.datetime:
    """Naive UTC 'now', the form stored in timestamp columns."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def zone() -> zoneinfo.ZoneInfo:
    return _zone


def zone_name() -> str:
    return _zone.key


def parse_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` (e.g. Asia/Shanghai); ValueError for anything else."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(name) from None


def use_zone(name: str) -> None:
    """Answer in ``name`` from now on (ValueError if it is not a time zone)."""
    global _zone
    _zone = parse_zone(name)


def load_zone(db: Database) -> str:
    """Read the hospital's zone from the database and use it; returns its name. A database that
    has no setting (or an unknown zone in it) keeps the default, with a warning for the latter."""
    from sqlalchemy import select

    from services.models import AppSetting
    with db.read() as conn:
        stored = conn.execute(select(AppSetting.value).where(AppSetting.key == ZONE_KEY)).scalar()
    try:
        use_zone(stored or DEFAULT_ZONE)
    except ValueError:
        log.warning("the hospital's time zone %r is not a known zone; using %s", stored, DEFAULT_ZONE)
        use_zone(DEFAULT_ZONE)
    return zone_name()


def save_zone(db: Database, actor, name: str) -> str:
    """Set the hospital's time zone (an admin's change, audited); returns the zone's name."""
    from sqlalchemy import insert, select, update

    from services import limits
    from services.errors import ValidationError
    from services.models import AppSetting
    from services.staff import audit
    actor.require("rules.edit")
    try:
        new = parse_zone(name).key
    except ValueError:
        raise ValidationError(f"不是有效的时区名称（例如 Asia/Shanghai）：{limits.shown(name)}", field="timezone") from None

    def fn(conn) -> None:
        old = conn.execute(select(AppSetting.value).where(AppSetting.key == ZONE_KEY).with_for_update()).first()
        if old is None:
            conn.execute(insert(AppSetting).values(key=ZONE_KEY, value=new, updated_at=utcnow()))
        else:
            conn.execute(update(AppSetting).where(AppSetting.key == ZONE_KEY).values(value=new, updated_at=utcnow()))
        audit.record(conn, actor, "timezone", "setting", ZONE_KEY, {"from": old[0] if old else None, "to": new})
    db.run(fn)
    use_zone(new)
    return new


def to_local(utc: dt.datetime) -> dt.datetime:
    """A naive UTC moment as the hospital's naive wall-clock time."""
    return utc.replace(tzinfo=dt.UTC).astimezone(_zone).replace(tzinfo=None)


def to_utc(local: dt.datetime) -> dt.datetime:
    """The hospital's naive wall-clock time as the naive UTC moment the timestamp columns hold (whatever
    the zone of the PC this runs on)."""
    return local.replace(tzinfo=_zone).astimezone(dt.UTC).replace(tzinfo=None)


def local_now(utc_now: Callable[[], dt.datetime] | None = None) -> dt.datetime:
    """Naive wall-clock 'now' at the hospital (``utc_now``: a clock to read instead of the PC's)."""
    return to_local((utc_now or utcnow)())


def hospital_today(now: dt.datetime | None = None) -> dt.date:
    """The hospital's local date: what "today" means for check-in, undo, the day list, no-shows and
    reminders. ``now``: a hospital wall-clock time to take the date of."""
    return (now or local_now()).date()


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return to_local(value)


def as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
