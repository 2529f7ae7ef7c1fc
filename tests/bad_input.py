"""Shared by the bad-input tests: a small hospital to refuse things against, and the check that a
refusal is what the contract says (non-zero exit, one line on stderr, no traceback, nothing changed).

The hospital has an admin whom the command line logs in as (commands that act as a person need a
log-in), so a test refuses the bad input itself, not a missing log-in. A log-in records when it
happened (staff.last_login_at): the one thing a refused command may change."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from services import migrate
from services.cli import LOGIN_NEEDED, main
from services.db import Database
from services.rosters import templates
from services.rosters.layout import week_label
from services.staff import auth
from services.staff.actor import SYSTEM
from tests import factories as f
from tests.dbs import fresh_database
from tests.snapshot import snapshot

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=2)  # a week ahead, within reach
WEEK = week_label(MONDAY)
BIG = str(10**20)  # past every integer column
HUGE = "9" * 5000  # past Python's int-string limit (4,300 digits)
ADMIN = "admin"  # the staff member the command line logs in as
LOG_IN_RECORD = ("staff.last_login_at",)


def populate(db: Database) -> dict:
    """A department with two doctors, a template, a published week with a pending request, and a
    stopped session whose patient's WeChat message waits in the outbox; an admin (ADMIN) whom the
    command line logs in as."""
    nk = f.department(db, "NK", "内科")
    zhang, li = f.doctor(db, nk, "张医生"), f.doctor(db, nk, "李医生")
    sid, slots = f.session(db, zhang, MONDAY, "am", slots=8, capacity=2)
    f.request(db, slots[0], f.patient(db, name="王小明"))
    stopped, other = f.session(db, li, MONDAY + dt.timedelta(days=1), "am")
    f.request(db, other[0], f.patient(db, name="赵丽"))
    templates.stop_session(db, SYSTEM, stopped, "医生外出")
    f.template(db, zhang, 2)
    f.cli_account(db, ADMIN)
    auth.login(db, ADMIN, f.CLI_PASSWORD)  # upgrades the hash now: from here on a log-in only records its time
    return {"nk": nk, "zhang": zhang, "li": li, "session": sid, "slots": slots, "stopped": stopped}


class Hospital:
    """A populated database of one dialect, shared by a module's tests (each checks it is unchanged)."""

    def __init__(self, kind: str, tmp: Path):
        self.kind = kind
        self._cm = fresh_database(kind, tmp)
        self.url = self._cm.__enter__()
        self.db = Database(self.url)
        migrate.upgrade(self.db)
        self.ids = populate(self.db)
        self.tmp = tmp

    def close(self) -> None:
        self.db.dispose()
        self._cm.__exit__(None, None, None)


def refused(capsys, argv: list[str], url: str, *, expect: str | None = None) -> str:
    """Run ``regdesk ARGV`` in-process; assert the refusal and that no row of ``url`` changed (but
    the time of the log-in, for a command that acts as a person)."""
    before = snapshot(url, without=LOG_IN_RECORD)
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc != 0, (argv, out)
    assert err.startswith("regdesk: ") and err.count("\n") == 1, err[:3000]
    assert "Traceback" not in err and out == "", (err, out)
    assert len(err) < 3000  # a message is read by a person
    assert LOGIN_NEEDED not in err  # the bad input is what is refused (the test module logs in)
    if expect is not None:
        assert expect in err, err
    assert snapshot(url, without=LOG_IN_RECORD) == before
    return err

