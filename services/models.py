"""The schema as SQLAlchemy 2 typed ORM classes.

The contract tables (shared/CONTRACT.md) keep their names, columns and meaning;
regdesk's own columns on them are all nullable or defaulted so the mini-program's
plain INSERTs keep working. The migrations in services/migrations create all of
this; the classes here are used as table metadata for Core statements.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.domain import TAKEN, BookingSource, BookingStatus, Period, Role, SessionStatus

# SQLite only auto-increments an INTEGER PRIMARY KEY
BigIntPK = BigInteger().with_variant(Integer, "sqlite")

# plain strings in the database's order, from the domain's StrEnums (services/domain.py)
PERIODS = tuple(p.value for p in Period)
SESSION_STATUSES = tuple(s.value for s in SessionStatus)
BOOKING_STATUSES = tuple(s.value for s in BookingStatus)
TAKEN_STATUSES = tuple(s.value for s in TAKEN)
SOURCES = tuple(s.value for s in BookingSource)
GENDERS = ("M", "F", "U")
ROLES = tuple(r.value for r in Role)
DAY_KINDS = ("open", "closed")  # a hospital's exception to the public holidays (hospital_days)
DB_ROLES = ("miniprogram", "desk", "jobs")  # database accounts by job (services/staff/accounts.py)


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Base(DeclarativeBase):
    pass


# ---------------------------------------------------------------- contract tables

class Hospital(Base):
    __tablename__ = "hospitals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hospital_id", "code", name="uq_departments_hospital_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # 号源池 (services.rosters.shares): the % of each slot's places kept for the desk (现场号); None: none
    desk_share_pct: Mapped[int | None] = mapped_column(Integer)


class Doctor(Base):
    __tablename__ = "doctors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(50))
    specialty: Mapped[str | None] = mapped_column(String(300))
    fee: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class ClinicSession(Base):
    __tablename__ = "clinic_sessions"
    __table_args__ = (
        CheckConstraint(_in("period", PERIODS), name="ck_sessions_period"),
        CheckConstraint(_in("status", SESSION_STATUSES), name="ck_sessions_status"),
        CheckConstraint("ends_at > starts_at", name="ck_sessions_times"),
        # publishing a template twice must not create a session twice
        UniqueConstraint("rostered_doctor_id", "day", "period", name="uq_sessions_rostered"),
        Index("ix_sessions_day_doctor", "day", "doctor_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'draft'"))
    note: Mapped[str | None] = mapped_column(String(500))
    # regdesk's own: the doctor the roster was published for (unchanged by a substitution)
    rostered_doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # 号源池: this session's desk share, overriding its department's (None: the department's); once the
    # share's cut-off has passed (services.rosters.shares.open_due) the kept places are everyone's
    desk_share_pct: Mapped[int | None] = mapped_column(Integer)
    desk_share_open: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="ck_slots_capacity"),
        CheckConstraint("ends_at > starts_at", name="ck_slots_times"),
        UniqueConstraint("session_id", "starts_at", name="uq_slots_session_start"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("clinic_sessions.id"))
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint(_in("gender", GENDERS), name="ck_patients_gender"),
        Index("ix_patients_phone", "phone"),
        Index("ix_patients_name", "name"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32))
    id_card: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # database default: UTC now


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="ck_bookings_status"),
        CheckConstraint(_in("source", SOURCES), name="ck_bookings_source"),
        Index("ix_bookings_status_id", "status", "id"),
        Index("ix_bookings_slot_status", "slot_id", "status"),
        Index("ix_bookings_patient", "patient_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # database default: UTC now
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # regdesk's own
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))  # staff username or 'autoapprove'
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # added by revision 0003_desk: when a no-show was undone at the desk (UTC); the end-of-session
    # job leaves such a booking alone, so the undo holds
    no_show_undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # added by revision 0009_supply: when the booking became 'cancelled' (UTC), stamped by a database
    # trigger whoever cancels (the mini-program too); services.bookings.late_cancel says which cancels were late
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# ---------------------------------------------------------------- regdesk's own tables

class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_staff_role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # unused since 0006
    # unused since revision 0006_accounts (failures are counted per workstation in login_throttle)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StaffDepartment(Base):
    """The departments a head (or a clerk) is scoped to."""
    __tablename__ = "staff_departments"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class RosterTemplate(Base):
    """A doctor's weekly pattern: on weekday W, period P, these hours, slots of N minutes with C places."""
    __tablename__ = "roster_templates"
    __table_args__ = (
        CheckConstraint(_in("period", PERIODS), name="ck_templates_period"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_templates_weekday"),
        CheckConstraint("ends_at > starts_at", name="ck_templates_times"),
        CheckConstraint("slot_minutes > 0", name="ck_templates_slot_minutes"),
        CheckConstraint("capacity_per_slot > 0", name="ck_templates_capacity"),
        UniqueConstraint("doctor_id", "weekday", "period", name="uq_templates_doctor_weekday_period"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    period: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity_per_slot: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class Rule(Base):
    """The hospital's booking rules, shared by every console (key -> JSON value)."""
    __tablename__ = "rules"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))  # staff, autoapprove, miniprogram, system
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(16))  # booking, session, slot, rule, staff, template, doctor, department
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class ChangeLog(Base):
    """The change feed: written by triggers (see the migrations), read with a cursor on ``id``."""
    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_entity", "entity", "entity_id", "id"),)
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16))  # booking, session, slot, rule
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))  # insert, update, delete
    status: Mapped[str | None] = mapped_column(String(16))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)  # database default: UTC now
    # added by revision 0002 (the triggers fill them)
    slot_id: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(100))  # set from the audit row of the same transaction
    tx: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL txid / MySQL connection id


class Notification(Base):
    """The outbox of WeChat subscribe messages, written in the same transaction as the change."""
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "state", "next_attempt_at"),
        Index("ix_notifications_booking", "booking_id"),
    )
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(16))  # confirmed, rejected, full, stopped, cancelled, reminder
    # waiting, sending, sent, failed, unsubscribed, skipped (no openid)
    state: Mapped[str] = mapped_column(String(16), server_default=text("'waiting'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    payload: Mapped[str | None] = mapped_column(Text)  # JSON: the values at the time of the change
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class _ExpiringValue:
    """A setting's or a secret's value, when it expires (a cached token) and when it was last set; after the
    table's own key (migrations.columns.expiring_value_columns)."""
    value: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AppSetting(_ExpiringValue, Base):
    """Shared settings kept in the database (the WeChat settings but the secret, lock rows)."""
    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)


class Secret(_ExpiringValue, Base):
    """The WeChat AppSecret and the shared access token (and its refresh lease): readable only by the
    jobs account. The desk account sets the secret through regdesk_set_wechat_secret() and sees only
    the ``secret_state`` view (whether a value is set). Rows: wechat.secret, wechat_token,
    wechat_token_lock (created by the migration)."""
    __tablename__ = "secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class LoginThrottle(Base):
    """Failed log-ins per typed username (known or not) and workstation: the growing delay."""
    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_last_failure", "last_failure_at"),)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    workstation: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime)
    next_allowed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DbAccount(Base):
    """A database account `regdesk db grant` made for this database, and its job."""
    __tablename__ = "db_accounts"
    __table_args__ = (CheckConstraint(_in("role", DB_ROLES), name="ck_db_accounts_role"),)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    host: Mapped[str | None] = mapped_column(String(255))  # MySQL/MariaDB: the account's host part
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    granted_by: Mapped[str] = mapped_column(String(100))


class SlotCounter(Base):
    """A slot's capacity and taken places, kept by triggers on slots and bookings (revision 0008_capacity,
    services/migrations/capacity.py): the database refuses a slot over capacity, whoever writes."""
    __tablename__ = "slot_counters"
    __table_args__ = (CheckConstraint("taken <= capacity", name="ck_slot_counters_free"),
                      CheckConstraint("taken >= 0", name="ck_slot_counters_taken"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    taken: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)


class PatientDayGuard(Base):
    """Written by every decision that confirms under the one-a-day rule, so that two of them for one
    patient, department and day conflict (on a multi-primary cluster, at certification)."""
    __tablename__ = "patient_day_guards"
    patient_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class JobLease(Base):
    """Which `regdesk jobs` process acts for a job (services/jobs/leases.py): one row per job; the
    holder renews ``expires_at`` every round, and a holder that died lets it lapse for another."""
    __tablename__ = "job_leases"
    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acquired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class JobRunner(Base):
    """A `regdesk jobs` process's heartbeat (services/jobs/heartbeat.py): what the console shows."""
    __tablename__ = "job_runners"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid:random, the lease holder
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(32))
    jobs: Mapped[str] = mapped_column(String(200))  # the jobs it runs, comma-separated
    acting: Mapped[str | None] = mapped_column(String(200))  # the jobs whose lease it holds
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    beat_at: Mapped[dt.datetime] = mapped_column(DateTime)  # the last sign of life
    last_round_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # the last complete round
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class HospitalDay(Base):
    """The hospital's own exception to China's public holidays (services/rosters/holidays.py): a day, or one
    period of it, for one department or (``department_id`` NULL) all, ``open`` although a public holiday
    or ``closed`` (a hospital event), with the reason (``note``). Added by revision 0009_supply."""
    __tablename__ = "hospital_days"
    __table_args__ = (
        CheckConstraint(_in("kind", DAY_KINDS), name="ck_hospital_days_kind"),
        CheckConstraint("period IS NULL OR " + _in("period", PERIODS), name="ck_hospital_days_period"),
        Index("ix_hospital_days_day", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    period: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # database default: UTC now
    created_by: Mapped[str] = mapped_column(String(100))
