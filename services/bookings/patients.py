"""Patients: search, registration at the desk (walk-ins), booking history, and masking for display.

Patients come from two places: the mini-program inserts its own rows (with an openid),
and the desk registers walk-ins (no openid). Both live in the contract's ``patients``
table. The request queue needs each patient's recent no-shows and other bookings on the
same day; :func:`histories` answers that for a whole page of requests in three queries.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select
from sqlalchemy.engine import Connection

from services import limits
from services.bookings import late_cancel
from services.clock import hospital_today, utcnow
from services.db import Database
from services.domain import BookingStatus
from services.errors import NotFound, ValidationError
from services.models import Booking, ClinicSession, Department, Doctor, Patient, Slot
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

GENDER_LABELS = {"M": "男", "F": "女", "U": "未知"}
_GENDER_ALIASES = {"男": "M", "女": "F", "未知": "U", "m": "M", "f": "F", "u": "U"}
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?")
ID_CARD_RE = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
NO_SHOW_DAYS = 90
RECENT = 5


@dataclass(frozen=True)
class PatientInfo:
    id: int
    openid: str | None
    name: str
    gender: str
    birth_date: dt.date | None
    age: int | None
    phone: str
    id_card: str | None
    created_at: dt.datetime | None  # UTC

    @property
    def gender_label(self) -> str:
        return GENDER_LABELS.get(self.gender, self.gender)

    @property
    def walk_in(self) -> bool:
        """Registered at the desk (no WeChat openid: cannot be notified)."""
        return not self.openid


@dataclass(frozen=True)
class HistoryItem:
    booking_id: int
    day: dt.date
    starts_at: dt.time
    department: str
    doctor: str
    status: str
    late_cancel: bool = False  # cancelled after the hospital's deadline (退号, services.bookings.late_cancel)


@dataclass(frozen=True)
class PatientHistory:
    patient_id: int
    no_shows_90d: int
    day: dt.date
    bookings_that_day: tuple[HistoryItem, ...]  # pending/confirmed/checked_in bookings on ``day``
    recent: tuple[HistoryItem, ...]  # the latest bookings, newest first

    def others_that_day(self, booking_id: int) -> tuple[HistoryItem, ...]:
        return tuple(b for b in self.bookings_that_day if b.booking_id != booking_id)


# ---------------------------------------------------------------- masking

def mask_phone(phone: str | None) -> str:
    """'13812345678' -> '138****5678'; short numbers keep only their last 4 digits."""
    s = (phone or "").strip()
    if len(s) >= 8:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    if len(s) > 4:
        return "*" * (len(s) - 4) + s[-4:]
    return "*" * len(s)


def mask_id_card(id_card: str | None) -> str:
    """Keeps the first 6 (region) and the last 4 characters."""
    s = (id_card or "").strip()
    if len(s) > 10:
        return s[:6] + "*" * (len(s) - 10) + s[-4:]
    return "*" * len(s)


# ---------------------------------------------------------------- validation

def id_card_checksum_ok(id_card: str) -> bool:
    s = id_card.upper()
    if not ID_CARD_RE.fullmatch(s):
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == s[17]


def id_card_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def birth_date_of_id_card(id_card: str) -> dt.date | None:
    try:
        return dt.date(int(id_card[6:10]), int(id_card[10:12]), int(id_card[12:14]))
    except ValueError:
        return None


def normalize_phone(phone: str) -> str:
    s = re.sub(r"[\s()（）]", "", phone or "")
    if s.startswith("+86"):
        s = s[3:]
    if MOBILE_RE.fullmatch(s) or LANDLINE_RE.fullmatch(s):
        return s
    raise ValidationError("电话号码无效：请填写 11 位手机号或固定电话（如 010-12345678）", field="phone")


def _validate(name: str, gender: str, phone: str, birth_date: dt.date | None,
              id_card: str | None, today: dt.date) -> tuple[str, str, str, dt.date | None, str | None]:
    name = limits.text(name, "姓名", 50, field="name")
    gender = _GENDER_ALIASES.get((gender or "").strip(), (gender or "").strip())
    if gender not in GENDER_LABELS:
        raise ValidationError("性别须为 男(M)、女(F) 或 未知(U)", field="gender")
    phone = normalize_phone(phone)
    if birth_date is not None:
        if not isinstance(birth_date, dt.date) or isinstance(birth_date, dt.datetime):
            raise ValidationError("出生日期格式无效", field="birth_date")
        if birth_date > today:
            raise ValidationError("出生日期不能晚于今天", field="birth_date")
        if birth_date.year < 1900:
            raise ValidationError("出生日期无效", field="birth_date")
    card = (id_card or "").strip().upper() or None
    if card is not None:
        if len(card) != 18 or not id_card_checksum_ok(card):
            raise ValidationError("身份证号无效：须为 18 位且校验位正确", field="id_card")
        card_birth = birth_date_of_id_card(card)
        if card_birth is None or card_birth > today:
            raise ValidationError("身份证号中的出生日期无效", field="id_card")
        if birth_date is None:
            birth_date = card_birth
        elif birth_date != card_birth:
            raise ValidationError("出生日期与身份证号不一致", field="birth_date")
        # GB 11643: the 17th digit is odd for a man, even for a woman
        card_gender = "M" if int(card[16]) % 2 else "F"
        if gender == "U":
            gender = card_gender
        elif gender != card_gender:
            raise ValidationError(f"性别与身份证号不一致：身份证号第 17 位表示{GENDER_LABELS[card_gender]}性",
                                  field="gender")
    return name, gender, phone, birth_date, card


def age_on(birth_date: dt.date | None, today: dt.date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _info(row, today: dt.date) -> PatientInfo:
    return PatientInfo(row.id, row.openid, row.name, row.gender, row.birth_date, age_on(row.birth_date, today),
                       row.phone, row.id_card, row.created_at)


# ---------------------------------------------------------------- queries

def _escape_like(s: str) -> str:
    # '!' rather than a backslash: MySQL treats backslashes in literals as escapes of its own
    return s.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def find(db: Database, query: str, limit: int = 50) -> list[PatientInfo]:
    """Search by name substring, phone (full, or its last 4+ digits) or ID card number.

    The text is cleaned first (services.limits.search_term): a NUL or other control character
    would match every patient on SQLite and is an error on PostgreSQL."""
    q = limits.search_term(query)
    if not q:
        return []
    compact = re.sub(r"[\s-]", "", q)
    if ID_CARD_RE.fullmatch(compact.upper()):
        cond = func.upper(Patient.id_card) == compact.upper()
        exact = cond
    elif compact.isdigit() and len(compact) >= 4:
        # a phone; landlines are stored with or without their dash, so compare digits only
        digits = func.replace(Patient.phone, "-", "")
        cond = digits.like("%" + _escape_like(compact), escape="!")
        exact = digits == compact
    elif compact.isdigit():
        return []  # fewer than 4 digits would match half the city
    else:
        cond = Patient.name.ilike("%" + _escape_like(q) + "%", escape="!")
        exact = Patient.name == q
    stmt = (select(Patient).where(cond)
            .order_by(case((exact, 0), else_=1), Patient.name, Patient.id).limit(max(1, int(limit))))
    today = hospital_today()
    with db.read() as conn:
        return [_info(r, today) for r in conn.execute(stmt)]


def get(db: Database, patient_id: int) -> PatientInfo:
    with db.read() as conn:
        row = conn.execute(select(Patient).where(Patient.id == patient_id)).first()
    if row is None:
        raise NotFound(f"患者不存在：#{patient_id}")
    return _info(row, hospital_today())


def register(db: Database, actor: Actor, name: str, gender: str, phone: str,
             birth_date: dt.date | None = None, id_card: str | None = None) -> PatientInfo:
    """Register a patient at the desk (no openid). Birth date is taken from the ID card when not given."""
    actor.require("patient.register")
    today = hospital_today()
    name, gender, phone, birth_date, card = _validate(name, gender, phone, birth_date, id_card, today)

    def tx(conn: Connection) -> PatientInfo:
        if card is not None:
            dup = conn.execute(select(Patient.id, Patient.name).where(func.upper(Patient.id_card) == card)
                               .order_by(Patient.id)).first()
            if dup is not None:
                raise ValidationError(f"该身份证号已登记（{dup.name}，编号 {dup.id}），请直接选用", field="id_card")
        pid = conn.execute(insert(Patient).values(
            openid=None, name=name, gender=gender, birth_date=birth_date, phone=phone, id_card=card,
            created_at=utcnow())).inserted_primary_key[0]
        audit.record(conn, actor, "register", "patient", pid, {"name": name})
        return _info(conn.execute(select(Patient).where(Patient.id == pid)).one(), today)

    info = db.run(tx)
    log.info("patient #%d registered by %s", info.id, actor.name)
    return info


def _item(r, book=None) -> HistoryItem:  # a row and services.bookings.rules.Rules
    late = book is not None and r.status == BookingStatus.CANCELLED and late_cancel.is_late(r.cancelled_at, r.day, book)
    return HistoryItem(r.booking_id, r.day, r.starts_at, r.department, r.doctor, r.status, late)


def histories(db: Database, patient_ids: Iterable[int], day: dt.date, *,
              now: dt.datetime | None = None) -> dict[int, PatientHistory]:
    """History for many patients at once: no-shows in the last 90 days (up to today),
    their active bookings on ``day``, and their latest bookings."""
    ids = sorted({int(p) for p in patient_ids})
    today = hospital_today(now)
    since = today - dt.timedelta(days=NO_SHOW_DAYS)
    no_shows: dict[int, int] = {}
    that_day: dict[int, list[HistoryItem]] = {}
    recent: dict[int, list[HistoryItem]] = {}
    cols = (Booking.id.label("booking_id"), Booking.patient_id, Booking.status, ClinicSession.day,
            Slot.starts_at, Department.name.label("department"), Doctor.name.label("doctor"), Booking.cancelled_at)

    def joined(stmt):
        return (stmt.join(Slot, Slot.id == Booking.slot_id)
                .join(ClinicSession, ClinicSession.id == Slot.session_id)
                .join(Doctor, Doctor.id == ClinicSession.doctor_id)
                .join(Department, Department.id == Doctor.department_id))

    from services.bookings import (
        rules,  # services.bookings.rules builds on services.bookings.decisions; keep this module's imports light
    )
    with db.read() as conn:
        book = rules.read(conn)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            q1 = joined(select(Booking.patient_id, func.count()).select_from(Booking)).where(
                Booking.patient_id.in_(chunk), Booking.status == BookingStatus.NO_SHOW,
                ClinicSession.day >= since, ClinicSession.day <= today).group_by(Booking.patient_id)
            no_shows.update({pid: n for pid, n in conn.execute(q1)})
            q2 = joined(select(*cols).select_from(Booking)).where(
                Booking.patient_id.in_(chunk), Booking.status.in_(ACTIVE_STATUSES),
                ClinicSession.day == day).order_by(Slot.starts_at, Booking.id)
            for r in conn.execute(q2):
                that_day.setdefault(r.patient_id, []).append(_item(r))
            rn = func.row_number().over(partition_by=Booking.patient_id,
                                        order_by=(ClinicSession.day.desc(), Slot.starts_at.desc(),
                                                  Booking.id.desc())).label("rn")
            inner = joined(select(*cols, rn).select_from(Booking)).where(Booking.patient_id.in_(chunk)).subquery()
            q3 = select(inner).where(inner.c.rn <= RECENT).order_by(inner.c.patient_id, inner.c.rn)
            for r in conn.execute(q3):
                recent.setdefault(r.patient_id, []).append(_item(r, book))
    return {pid: PatientHistory(pid, no_shows.get(pid, 0), day, tuple(that_day.get(pid, ())),
                                tuple(recent.get(pid, ()))) for pid in ids}


def history(db: Database, patient_id: int, *, now: dt.datetime | None = None,
            day: dt.date | None = None) -> PatientHistory:
    """One patient's history; ``day`` (default: today) is the day whose other bookings are listed."""
    day = day or hospital_today(now)
    return histories(db, [patient_id], day, now=now)[int(patient_id)]
