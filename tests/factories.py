"""Small builders for test data, written with plain inserts (no service logic under test here)."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import insert, select, text

from services.db import Database
from services.models import Booking, ClinicSession, Department, Doctor, Hospital, Patient, Slot

_seq = itertools.count(1)


def hospital(db: Database, name: str = "测试人民医院") -> int:
    with db.write() as c:
        found = c.execute(select(Hospital.id).where(Hospital.name == name)).scalar()
        if found:
            return found
        return c.execute(insert(Hospital).values(name=name, active=True)).inserted_primary_key[0]


def department(db: Database, code: str = "NK", name: str = "内科", hospital_id: int | None = None) -> int:
    hid = hospital_id or hospital(db)
    with db.write() as c:
        return c.execute(insert(Department).values(hospital_id=hid, code=code, name=name, active=True)
                         ).inserted_primary_key[0]


def doctor(db: Database, department_id: int, name: str = "张医生", title: str = "主治医师",
           fee: str = "25.00") -> int:
    with db.write() as c:
        return c.execute(insert(Doctor).values(department_id=department_id, name=name, title=title,
                                               fee=Decimal(fee), active=True)).inserted_primary_key[0]


def session(db: Database, doctor_id: int, day: dt.date, period: str = "am",
            starts: dt.time = dt.time(8, 0), ends: dt.time = dt.time(12, 0),
            status: str = "published", slots: int = 4, capacity: int = 2,
            slot_minutes: int = 30) -> tuple[int, list[int]]:
    """A session with ``slots`` consecutive slots of ``capacity`` places. Returns (session_id, slot_ids)."""
    with db.write() as c:
        sid = c.execute(insert(ClinicSession).values(
            doctor_id=doctor_id, rostered_doctor_id=doctor_id, day=day, period=period,
            starts_at=starts, ends_at=ends, status=status)).inserted_primary_key[0]
        ids = []
        start = dt.datetime.combine(day, starts)
        for i in range(slots):
            a = start + dt.timedelta(minutes=slot_minutes * i)
            b = a + dt.timedelta(minutes=slot_minutes)
            ids.append(c.execute(insert(Slot).values(session_id=sid, starts_at=a.time(), ends_at=b.time(),
                                                     capacity=capacity)).inserted_primary_key[0])
    return sid, ids


def patient(db: Database, name: str | None = None, openid: str | None = "auto", phone: str | None = None,
            gender: str = "F", birth_date: dt.date | None = dt.date(1985, 3, 4)) -> int:
    n = next(_seq)
    with db.write() as c:
        return c.execute(insert(Patient).values(
            openid=f"o-test-{n}" if openid == "auto" else openid, name=name or f"患者{n}", gender=gender,
            birth_date=birth_date, phone=phone or f"1380000{n:04d}")).inserted_primary_key[0]


def request(db: Database, slot_id: int, patient_id: int) -> int:
    """A booking request exactly as the mini-program writes it (plain SQL, status pending)."""
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                       " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": slot_id, "p": patient_id})
        return c.execute(text("SELECT max(id) FROM bookings WHERE patient_id = :p"), {"p": patient_id}).scalar_one()


def referral(db: Database, slot_id: int, patient_id: int, code: str = "ZZ20261202000001") -> int:
    """A referral (转诊/医联体) exactly as the mini-program writes it: the request naming also its channel and code."""
    from services.demo.simulate import INSERT_REFERRAL
    with db.engine.begin() as c:
        c.execute(text(INSERT_REFERRAL), {"slot_id": slot_id, "patient_id": patient_id, "referral_code": code})
        return c.execute(text("SELECT max(id) FROM bookings WHERE patient_id = :p"), {"p": patient_id}).scalar_one()


def status_of(db: Database, booking_id: int) -> str:
    with db.read() as c:
        return c.execute(select(Booking.status).where(Booking.id == booking_id)).scalar_one()


def notification_states(db: Database, booking_ids) -> dict[int, str]:
    """What the day list's notification column shows for each of ``booking_ids`` (queries.notification_states
    of their days, in STATE_LABELS' words); bookings never notified are left out."""
    from services.bookings import queries
    from services.notify.delivery import STATE_LABELS
    ids = set(booking_ids)
    with db.read() as c:
        days = set(c.execute(select(ClinicSession.day).join(Slot, Slot.session_id == ClinicSession.id)
                             .join(Booking, Booking.slot_id == Slot.id).where(Booking.id.in_(ids))).scalars())
    return {bid: STATE_LABELS[state] for day in days
            for bid, state in queries.notification_states(db, day).items() if bid in ids}


def basic_clinic(db: Database, day: dt.date | None = None, capacity: int = 2, slots: int = 4) -> dict:
    """One department, one doctor, one published morning session. Returns the ids."""
    day = day or (dt.date.today() + dt.timedelta(days=2))
    dep = department(db)
    doc = doctor(db, dep)
    sid, slot_ids = session(db, doc, day, capacity=capacity, slots=slots)
    return {"department_id": dep, "doctor_id": doc, "session_id": sid, "slot_ids": slot_ids, "day": day}


def template(db: Database, doctor_id: int, weekday: int = 0, period: str = "am",
             starts: dt.time = dt.time(8, 0), ends: dt.time = dt.time(12, 0), slot_minutes: int = 30,
             capacity: int = 2, active: bool = True) -> int:
    """A roster template row (plain insert, no validation): doctor works on ``weekday`` (Monday = 0)."""
    from services.models import RosterTemplate
    with db.write() as c:
        return c.execute(insert(RosterTemplate).values(
            doctor_id=doctor_id, weekday=weekday, period=period, starts_at=starts, ends_at=ends,
            slot_minutes=slot_minutes, capacity_per_slot=capacity, active=active)).inserted_primary_key[0]


def set_status(db: Database, booking_id: int, status: str) -> None:
    """Force a booking's status (test setup only: bypasses the state machine)."""
    with db.write() as c:
        c.execute(text("UPDATE bookings SET status = :s WHERE id = :b"), {"s": status, "b": booking_id})


CLI_PASSWORD = "cli-pass-1234"


def cli_account(db: Database, username: str = "admin", role: str = "admin",
                department_ids: tuple[int, ...] = ()) -> str:
    """A staff account whose password (CLI_PASSWORD) scripts know. The hash is argon2id with small
    parameters (a log-in upgrades it). Returns the username."""
    from argon2 import PasswordHasher

    from services.models import Staff, StaffDepartment
    pw_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(CLI_PASSWORD)
    with db.write() as c:
        sid = c.execute(insert(Staff).values(username=username, display_name=username, password_hash=pw_hash,
                                             role=role, active=True, failed_logins=0,
                                             created_at=dt.datetime(2026, 1, 1))).inserted_primary_key[0]
        for dep in department_ids:
            c.execute(insert(StaffDepartment).values(staff_id=sid, department_id=dep))
    return username


def cli_logs_in_as(monkeypatch, username: str) -> None:
    """The command line logs in as ``username`` (REGDESK_USER / REGDESK_PASSWORD), as a script would."""
    monkeypatch.setenv("REGDESK_USER", username)
    monkeypatch.setenv("REGDESK_PASSWORD", CLI_PASSWORD)


def cli_login(db: Database, monkeypatch, username: str = "admin", role: str = "admin",
              department_ids: tuple[int, ...] = ()) -> str:
    """A staff account (cli_account) that the command line logs in as (cli_logs_in_as). Returns the
    username."""
    cli_logs_in_as(monkeypatch, cli_account(db, username, role, department_ids))
    return username


def run_cli(capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """``regdesk ARGV`` in this process with ``stdin`` as its standard input: (exit code, stdout, stderr)."""
    import io
    import sys

    from services.cli import main
    sys.stdin = io.StringIO(stdin)
    try:
        rc = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return rc, out, err
