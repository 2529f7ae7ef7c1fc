"""The command line asks who you are: staff, roster and export commands log in as a staff member
(--user / REGDESK_USER, the password from REGDESK_PASSWORD or a prompt), are checked with that
person's permissions and audited as that person; the first admin of an empty database is the
one exception. Without a log-in they change nothing."""
from __future__ import annotations

import datetime as dt
import io
import sys

import pytest
from sqlalchemy import func, select

from services.cli import main
from services.models import AuditLog, ClinicSession, RosterTemplate, Staff
from services.staff import auth
from tests import factories as f


def _state(db, logged_in: str | None = None) -> tuple:
    """Accounts (with their password hashes, but for the one who logged in: a log-in may upgrade its
    hash), the audit's size, templates and sessions."""
    with db.read() as c:
        return ([(u, r, h if u != logged_in else None)
                 for u, r, h in c.execute(select(Staff.username, Staff.role, Staff.password_hash).order_by(Staff.id))],
                c.execute(select(func.count()).select_from(AuditLog)).scalar_one(),
                c.execute(select(func.count()).select_from(RosterTemplate)).scalar_one(),
                c.execute(select(ClinicSession.id, ClinicSession.status).order_by(ClinicSession.id)).all())


@pytest.fixture
def hospital(db, db_url, monkeypatch, tmp_path):
    """A clinic with an admin (whose password the scripts know) and a clerk; nobody logged in yet."""
    clinic = f.basic_clinic(db)
    f.cli_login(db, monkeypatch, "admin", "admin")
    f.cli_login(db, monkeypatch, "clerk", "clerk")
    for var in ("REGDESK_USER", "REGDESK_PASSWORD"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("LOGNAME", "root")  # what the old command line wrote into the audit
    monkeypatch.setenv("USER", "root")
    return {**clinic, "url": db_url, "out": str(tmp_path / "x.xlsx")}


def _commands(h) -> list[list[str]]:
    day = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    return [
        ["staff", "add", "eve", "--role", "admin", "--password-stdin"],
        ["staff", "password", "admin", "--password-stdin"],
        ["staff", "unlock", "admin"],
        ["roster", "template", "add", "--doctor", str(h["doctor_id"]), "--weekday", "mon", "--period", "am",
         "--start", "08:00", "--end", "12:00", "--slot-minutes", "30", "--places", "2"],
        ["roster", "publish", "--from", day, "--to", day],
        ["roster", "stop", str(h["session_id"]), "--reason", "医生外出"],
        ["roster", "substitute", str(h["session_id"]), "--doctor", str(h["doctor_id"])],
        ["roster", "import", h["out"]],
        ["export", "daily", "--date", day, "--out", h["out"]],
        ["export", "roster", "--week", "2026-W49", "--out", h["out"]],
    ]


def test_without_a_log_in_nothing_changes(db, hospital, capsys):
    """The issue's first finding: a desk PC's configuration alone made an admin and took the admin's password."""
    before = _state(db)
    for argv in _commands(hospital):
        rc, out, err = f.run_cli(capsys, *argv, "--db", hospital["url"], stdin="x-password-1\n")
        assert rc == 2 and out == "", argv
        assert err.startswith("regdesk: this command acts as a staff member: log in with --user NAME") \
            and err.count("\n") == 1, (argv, err)
    assert _state(db) == before


def test_a_wrong_password_or_an_unknown_user_changes_nothing(db, hospital, capsys, monkeypatch):
    before = _state(db)
    for user, password in (("admin", "not-the-password"), ("nobody", "cli-pass-1234")):
        monkeypatch.setenv("REGDESK_PASSWORD", password)
        rc, out, err = f.run_cli(capsys, "staff", "add", "eve", "--role", "admin", "--password-stdin", "--user", user,
                            "--db", hospital["url"], stdin="x-password-1\n")
        assert (rc, out, err) == (2, "", "regdesk: 用户名或密码错误\n")
    assert _state(db)[0] == before[0] and _state(db)[2:] == before[2:]


def test_a_clerk_is_checked_with_a_clerks_permissions(db, hospital, capsys, monkeypatch):
    monkeypatch.setenv("REGDESK_USER", "clerk")
    monkeypatch.setenv("REGDESK_PASSWORD", f.CLI_PASSWORD)
    before = _state(db, "clerk")
    for argv in (["staff", "add", "eve", "--role", "admin", "--password-stdin"],
                 ["staff", "password", "admin", "--password-stdin"],
                 ["roster", "stop", str(hospital["session_id"]), "--reason", "医生外出"]):
        rc, out, err = f.run_cli(capsys, *argv, "--db", hospital["url"], stdin="x-password-1\n")
        assert rc == 2 and err.startswith("regdesk: clerk 无权执行："), err
    after = _state(db, "clerk")
    assert after[0] == before[0] and after[2:] == before[2:]


def test_the_audit_names_the_person_who_logged_in(db, hospital, capsys, monkeypatch):
    monkeypatch.setenv("REGDESK_PASSWORD", f.CLI_PASSWORD)
    rc, out, err = f.run_cli(capsys, "staff", "add", "li", "--role", "clerk", "--password-stdin", "--user", "admin",
                        "--db", hospital["url"], stdin="li-password-1\n")
    assert (rc, err) == (0, "")
    monkeypatch.setenv("REGDESK_USER", "admin")  # the environment's user, as a script sets it
    rc, out, err = f.run_cli(capsys, "roster", "stop", str(hospital["session_id"]), "--reason", "医生外出",
                        "--db", hospital["url"])
    assert (rc, err) == (0, "")
    with db.read() as c:
        rows = c.execute(select(AuditLog.actor_kind, AuditLog.actor, AuditLog.action)
                         .where(AuditLog.action.in_(("create", "stop"))).order_by(AuditLog.id)).all()
    assert [tuple(r) for r in rows] == [("staff", "admin", "create"), ("staff", "admin", "stop")]
    with db.read() as c:
        assert c.execute(select(func.count()).select_from(AuditLog).where(AuditLog.actor.like("%root%"))).scalar() == 0


def test_the_first_admin_of_an_empty_database_needs_no_log_in(sqlite_db, capsys):
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    rc, out, err = f.run_cli(capsys, "staff", "add", "clerk1", "--role", "clerk", "--password-stdin", "--db", url,
                        stdin="x-password-1\n")
    assert rc == 2 and "the first account must be an admin" in err
    rc, out, err = f.run_cli(capsys, "staff", "add", "boss", "--role", "admin", "--password-stdin", "--db", url,
                        stdin="boss-password-1\n")
    assert (rc, err, out) == (0, "", "created staff account boss (admin)\n")
    with sqlite_db.read() as c:
        assert tuple(c.execute(select(AuditLog.actor_kind, AuditLog.actor, AuditLog.action)).one()) \
            == ("system", "bootstrap", "create")
    # from now on the exception is gone
    rc, out, err = f.run_cli(capsys, "staff", "add", "eve", "--role", "admin", "--password-stdin", "--db", url,
                        stdin="eve-password-1\n")
    assert rc == 2 and "log in with --user" in err
    assert [s.username for s in auth.list_staff(sqlite_db)] == ["boss"]
    with pytest.raises(auth.PermissionDenied, match="已有管理员账号"):
        auth.create_first_admin(sqlite_db, "eve", "Eve", "eve-password-1")


def test_without_a_terminal_the_password_must_come_from_the_environment(db, hospital, capsys):
    rc, out, err = f.run_cli(capsys, "staff", "unlock", "clerk", "--user", "admin", "--db", hospital["url"])
    assert (rc, out) == (2, "")
    assert err == "regdesk: no terminal to ask for the password of admin: set REGDESK_PASSWORD\n"


def test_on_a_terminal_the_password_is_asked(db, hospital, capsys, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or f.CLI_PASSWORD)
    monkeypatch.setattr(sys, "stdin", Tty(""))
    assert main(["staff", "unlock", "clerk", "--user", "admin", "--db", hospital["url"]]) == 0
    assert asked == ["admin 的密码 (password): "]
    assert capsys.readouterr().out == "unlocked clerk\n"


def test_jobs_act_as_themselves(db, hospital, capsys):
    """autoapprove, watch's reads and the list commands need no person."""
    for argv in (["autoapprove", "--once"], ["staff", "list"], ["roster", "sessions", "--date", "2026-11-26"],
                 ["roster", "template", "list"]):
        rc, _, err = f.run_cli(capsys, *argv, "--db", hospital["url"])
        assert rc == 0, (argv, err)
