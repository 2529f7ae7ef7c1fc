"""The hospital's clock, not the machine's: the job service in a process whose zone is UTC, for a
hospital in Asia/Shanghai (the default, kept in the database), decides around midnight and 07:00
exactly as a clinic PC in Beijing would: no-shows, the booking window, the cut-off, reminders.
The clock is frozen through the runner's ``utc_now``; nothing sleeps. And `regdesk timezone`."""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from sqlalchemy import select

from services import clock
from services.bookings import rules
from services.cli.cmd_jobs import make_jobs
from services.config import Config, WeChatSettings
from services.jobs.runner import Runner
from services.models import AuditLog, Booking, Notification
from services.notify.wechat_settings import save_wechat_settings
from services.staff import auth
from services.staff.actor import Actor
from tests import factories as f
from tests.bad_input import LOG_IN_RECORD
from tests.snapshot import snapshot

ADMIN = Actor(kind="staff", name="admin1", role="admin")
D = dt.date(2030, 3, 14)  # a Thursday; every moment below is given in UTC, the Shanghai time beside it


def utc(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm))


@pytest.fixture
def in_utc():
    """This process runs in UTC (a server), whatever the machine's zone; restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    assert time.strftime("%Z") == "UTC" and time.timezone == 0
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def round_at(db, moment: dt.datetime, names) -> dict[str, str]:
    r = Runner(db, Config("", WeChatSettings()), make_jobs(names), utc_now=lambda: moment)
    try:
        return r.run_once()
    finally:
        r.close()


@pytest.fixture
def hospital(db):
    rules.save(db, ADMIN, booking_window_days=1)
    save_wechat_settings(db, ADMIN, appid="wx-a", secret="s", template_id="T", api_base="http://127.0.0.1:9")
    dep = f.department(db)
    doc = f.doctor(db, dep)
    evening, [ev_slot] = f.session(db, doc, D, "evening", dt.time(18, 0), dt.time(21, 0), slots=1, capacity=5)
    _, [am_next] = f.session(db, doc, D + dt.timedelta(days=1), slots=1, capacity=5)  # 08:00-08:30
    _, [am_after] = f.session(db, doc, D + dt.timedelta(days=2), slots=1, capacity=5)
    return {"ev": ev_slot, "next": am_next, "after": am_after}


def _booking(db, slot: int, status: str = "pending") -> int:
    b = f.request(db, slot, f.patient(db))
    if status != "pending":
        f.set_status(db, b, status)
    return b


def test_around_midnight_in_shanghai(db, hospital, in_utc):
    assert clock.load_zone(db) == "Asia/Shanghai"
    came_not = _booking(db, hospital["ev"], "confirmed")  # D 18:00-21:00 Shanghai
    ahead = _booking(db, hospital["after"])  # D+2: two days ahead on D, one day on D+1
    # 15:50 UTC on D = 23:50 in Shanghai: the evening session is over (in UTC it has not begun);
    # D+2 is two days ahead, past the one-day window (in UTC too)
    said = round_at(db, utc(D, 15, 50), ("decide", "noshow"))
    assert f.status_of(db, came_not) == "no_show" and said["noshow"] == "marked 1 no-shows"
    assert f.status_of(db, ahead) == "rejected"
    # 16:10 UTC on D = 00:10 on D+1 in Shanghai: D+2 is tomorrow there (in UTC still two days ahead)
    ahead2 = _booking(db, hospital["after"])
    round_at(db, utc(D, 16, 10), ("decide",))
    assert f.status_of(db, ahead2) == "confirmed"


def test_around_seven_in_the_morning_in_shanghai(db, hospital, in_utc):
    today_am = _booking(db, hospital["next"])  # D+1 08:00 Shanghai
    tomorrow = _booking(db, hospital["after"], "confirmed")  # D+2
    today_confirmed = _booking(db, hospital["next"], "confirmed")
    # 22:59 UTC on D = 06:59 on D+1 in Shanghai: too early for reminders; the 08:00 slot has not begun
    said = round_at(db, utc(D, 22, 59), ("decide", "reminders"))
    assert "reminders" not in said and f.status_of(db, today_am) == "confirmed"
    # 23:01 UTC on D = 07:01 on D+1: reminders for Shanghai's tomorrow, D+2 (in UTC it would be D+1's)
    said = round_at(db, utc(D, 23, 1), ("reminders",))
    assert said["reminders"] == f"queued 1 reminders for {D + dt.timedelta(days=2)}"
    with db.read() as conn:
        reminded = set(conn.execute(select(Notification.booking_id).where(Notification.kind == "reminder")).scalars())
    assert reminded == {tomorrow} and today_confirmed not in reminded
    # 00:10 UTC on D+1 = 08:10 in Shanghai: the 08:00 slot has begun (in UTC it is hours away)
    late = _booking(db, hospital["next"])
    round_at(db, utc(D + dt.timedelta(days=1), 0, 10), ("decide",))
    with db.read() as conn:
        status, reason = conn.execute(select(Booking.status, Booking.reason).where(Booking.id == late)).one()
    assert status == "rejected" and reason == "该时段已开始，无法预约"


def test_another_zone_moves_every_decision(db, hospital, in_utc):
    """A hospital in Urumqi time (UTC+6): 16:10 UTC on D is 22:10 on D there, not yet D+1."""
    clock.save_zone(db, ADMIN, "Asia/Urumqi")
    ahead = _booking(db, hospital["after"])
    round_at(db, utc(D, 16, 10), ("decide",))
    assert f.status_of(db, ahead) == "rejected"  # two days ahead of D in Urumqi


def test_the_timezone_command(db, db_url, capsys, monkeypatch):
    code, out, err = f.run_cli(capsys, "timezone", "--db", db_url)
    assert code == 0 and out.startswith("Asia/Shanghai (now ") and err == ""
    f.cli_account(db, "clerk1", "clerk")
    f.cli_account(db, "admin1")
    for who in ("clerk1", "admin1"):  # a log-in upgrades the hash: from here on it records only its time
        auth.login(db, who, f.CLI_PASSWORD)
    before = snapshot(db, without=LOG_IN_RECORD)
    f.cli_logs_in_as(monkeypatch, "clerk1")
    code, out, err = f.run_cli(capsys, "timezone", "Europe/Berlin", "--db", db_url)  # not an admin
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    f.cli_logs_in_as(monkeypatch, "admin1")
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Asia/" + "x" * 80, " "):
        code, out, err = f.run_cli(capsys, "timezone", bad, "--db", db_url)
        assert code == 2 and err.count("\n") == 1 and err.startswith("regdesk: ") and "Traceback" not in err, err
    assert snapshot(db, without=LOG_IN_RECORD) == before
    code, out, err = f.run_cli(capsys, "timezone", "Asia/Urumqi", "--db", db_url)
    assert code == 0 and out.startswith("the hospital's time zone is now Asia/Urumqi"), err
    assert clock.load_zone(db) == "Asia/Urumqi"
    with db.read() as conn:
        assert conn.execute(select(AuditLog.actor).where(AuditLog.action == "timezone")).scalars().all() == ["admin1"]
