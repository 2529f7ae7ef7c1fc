"""How the console words and formats booking values (English sources, translated in context "Labels"):
the one place for the words of the domain's StrEnums (services.domain: statuses, sources, periods, roles).

Services hand back codes ('pending', 'M', 'am') and plain dates; these helpers turn them into
what a clerk reads. They are called per visible cell, so they stay cheap.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from services.clock import hospital_today
from services.domain import BookingSource, BookingStatus, Period, Role

log = logging.getLogger(__name__)

_STATUS = {
    BookingStatus.PENDING: QT_TRANSLATE_NOOP("Labels", "Pending review"),
    BookingStatus.CONFIRMED: QT_TRANSLATE_NOOP("Labels", "Booked"),
    BookingStatus.REJECTED: QT_TRANSLATE_NOOP("Labels", "Rejected"),
    BookingStatus.FULL: QT_TRANSLATE_NOOP("Labels", "Slot full"),
    BookingStatus.CANCELLED: QT_TRANSLATE_NOOP("Labels", "Cancelled"),
    BookingStatus.STOPPED: QT_TRANSLATE_NOOP("Labels", "Clinic stopped"),
    BookingStatus.CHECKED_IN: QT_TRANSLATE_NOOP("Labels", "Checked in"),
    BookingStatus.NO_SHOW: QT_TRANSLATE_NOOP("Labels", "No-show"),
}
_SOURCE = {
    BookingSource.MINIPROGRAM: QT_TRANSLATE_NOOP("Labels", "Mini-program"),
    BookingSource.DESK: QT_TRANSLATE_NOOP("Labels", "Desk"),
}
_GENDER = {
    "M": QT_TRANSLATE_NOOP("Labels", "Male"),
    "F": QT_TRANSLATE_NOOP("Labels", "Female"),
    "U": QT_TRANSLATE_NOOP("Labels", "Unknown"),
}
_GENDER_SHORT = {
    "M": QT_TRANSLATE_NOOP("Labels", "M"),
    "F": QT_TRANSLATE_NOOP("Labels", "F"),
    "U": QT_TRANSLATE_NOOP("Labels", "?"),
}
_PERIOD = {
    Period.AM: QT_TRANSLATE_NOOP("Labels", "Morning"),
    Period.PM: QT_TRANSLATE_NOOP("Labels", "Afternoon"),
    Period.EVENING: QT_TRANSLATE_NOOP("Labels", "Evening"),
}
_WEEKDAYS = (
    QT_TRANSLATE_NOOP("Labels", "Mon"), QT_TRANSLATE_NOOP("Labels", "Tue"), QT_TRANSLATE_NOOP("Labels", "Wed"),
    QT_TRANSLATE_NOOP("Labels", "Thu"), QT_TRANSLATE_NOOP("Labels", "Fri"), QT_TRANSLATE_NOOP("Labels", "Sat"),
    QT_TRANSLATE_NOOP("Labels", "Sun"),
)
_ROLE = {
    Role.CLERK: QT_TRANSLATE_NOOP("Labels", "Clerk"),
    Role.HEAD: QT_TRANSLATE_NOOP("Labels", "Department head"),
    Role.ADMIN: QT_TRANSLATE_NOOP("Labels", "Administrator"),
}


def translated(text: str) -> str:
    """``text`` (an English source marked with QT_TRANSLATE_NOOP("Labels", ...)) in the console's language."""
    return QCoreApplication.translate("Labels", text)


def status_label(status: str) -> str:
    return translated(_STATUS[status]) if status in _STATUS else status


def source_label(source: str) -> str:
    return translated(_SOURCE[source]) if source in _SOURCE else source


def gender_label(gender: str) -> str:
    return translated(_GENDER[gender]) if gender in _GENDER else gender


def period_label(period: str) -> str:
    return translated(_PERIOD[period]) if period in _PERIOD else period


def role_label(role: str | None) -> str:
    return translated(_ROLE[role]) if role in _ROLE else (role or "")


def weekday(day: dt.date) -> str:
    return translated(_WEEKDAYS[day.weekday()])


def weekday_label(weekday: int) -> str:
    """Monday is 0."""
    return translated(_WEEKDAYS[weekday])


def fmt_time(t: dt.time | None) -> str:
    return t.strftime("%H:%M") if t is not None else ""


def fmt_span(a: dt.time, b: dt.time) -> str:
    return f"{a:%H:%M}–{b:%H:%M}"


def fmt_day(day: dt.date, today: dt.date | None = None) -> str:
    """'11-28 Fri', or 'Today'/'Tomorrow' for the next days (what a clerk says on the phone)."""
    today = today or hospital_today()
    if day == today:
        return translated(QT_TRANSLATE_NOOP("Labels", "Today"))
    if day == today + dt.timedelta(days=1):
        return translated(QT_TRANSLATE_NOOP("Labels", "Tomorrow"))
    return f"{day:%m-%d} {weekday(day)}"


def fmt_age(age: int | None) -> str:
    if age is None:
        return ""
    return translated(QT_TRANSLATE_NOOP("Labels", "%1 y")).replace("%1", str(age))


def sex_age(gender: str, age: int | None) -> str:
    """'F 73' / '女 73岁': short enough for a narrow column."""
    a = fmt_age(age)
    return f"{gender_short(gender)} {a}" if a else gender_label(gender)


def gender_short(gender: str) -> str:
    return translated(_GENDER_SHORT[gender]) if gender in _GENDER_SHORT else gender
