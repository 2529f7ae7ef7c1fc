"""The domain's words as StrEnums: a booking's status and source, a session's period and status, a staff
member's role. Their values are the strings the database and the mini-program use (shared/CONTRACT.md),
so ``BookingStatus.PENDING == "pending"`` and a value read from the database compares equal as it is;
models.py builds its CHECK constraints from them. The console's words for them live in
console.common.labels; the Chinese a patient reads (services.bookings.decisions.STATUS_LABELS) stays here in
services, since the mini-program shows it."""
from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    FULL = "full"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


class BookingSource(StrEnum):
    MINIPROGRAM = "miniprogram"
    DESK = "desk"


class Period(StrEnum):
    AM = "am"
    PM = "pm"
    EVENING = "evening"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    STOPPED = "stopped"


class Role(StrEnum):
    CLERK = "clerk"
    HEAD = "head"
    ADMIN = "admin"


# the statuses that hold a place in a slot
TAKEN = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)
