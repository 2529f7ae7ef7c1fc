"""The command line: db upgrade, staff, demo seed and simulate, and how they refuse bad input."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.cli import main
from services.db import Database
from services.errors import AuthError
from services.models import Booking, Hospital, Patient, Staff
from services.staff import auth
from tests import factories as f

ROOT = Path(__file__).resolve().parents[3]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(capsys, argv, stdin: str | None = None, tty: bool = False, monkeypatch=None) -> tuple[int, str, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", (_Tty if tty else io.StringIO)(stdin or ""))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def _counts(url: str) -> tuple[int, int, int, int]:
    db = Database(url)
    try:
        with db.read() as c:
            return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                         for t in (Staff, Hospital, Patient, Booking))
    finally:
        db.dispose()


def _one_line_error(rc: int, err: str) -> None:
    assert rc != 0
    assert err.startswith("regdesk: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_upgrade_seed_staff_simulate(db_url, capsys, monkeypatch):
    rc, out, _ = _run(capsys, ["db", "upgrade", "--db", db_url])
    assert rc == 0 and "upgraded" in out
    rc, out, err = _run(capsys, ["demo", "seed", "--days", "3", "--db", db_url])
    assert rc == 0, err
    assert "市第一人民医院" in out and "admin/admin1234" in out and "schema created" not in out
    monkeypatch.setenv("REGDESK_PASSWORD", "admin1234")
    rc, out, err = _run(capsys, ["staff", "add", "Boss", "--role", "admin", "--display-name", "院办 张三",
                                 "--password-stdin", "--user", "admin", "--db", db_url], stdin="s3cret-pass\n",
                        monkeypatch=monkeypatch)
    assert (rc, err) == (0, "") and "created staff account boss (admin)" in out
    staff, hospitals, _, before = _counts(db_url)
    assert (staff, hospitals) == (5, 1)
    rc, out, err = _run(capsys, ["simulate", "--bookings", "7", "--cancel-ratio", "0", "--seed", "3",
                                 "--db", db_url])
    assert rc == 0, err
    assert out.startswith("7 booking requests, 0 cancelled")
    assert _counts(db_url)[3] == before + 7
    db = Database(db_url)
    try:
        actor = auth.login(db, "boss", "s3cret-pass")
        assert (actor.role, actor.display_name) == ("admin", "院办 张三")
    finally:
        db.dispose()


def test_demo_seed_on_a_fresh_file_then_refuses_a_second_time(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    rc, out, err = _run(capsys, ["demo", "seed", "--days", "2", "--db", url])
    assert rc == 0, err
    assert out.startswith("schema created")
    before = _counts(url)
    rc, out, err = _run(capsys, ["demo", "seed", "--db", url])
    _one_line_error(rc, err)
    assert "数据库中已有医院数据" in err and out == ""
    assert _counts(url) == before


def test_demo_seed_refuses_a_database_with_staff_accounts(sqlite_db, capsys):
    from services.staff.actor import SYSTEM
    auth.create_staff(sqlite_db, SYSTEM, "boss", "院长", "admin", "s3cret-pass")
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    before = _counts(url)
    rc, out, err = _run(capsys, ["demo", "seed", "--db", url])
    _one_line_error(rc, err)
    assert "已有员工账号" in err and _counts(url) == before


@pytest.fixture
def clinic_url(sqlite_db, monkeypatch):
    """A clinic with one admin, who logs in for the commands that act as a person."""
    from services.staff.actor import SYSTEM
    f.basic_clinic(sqlite_db)
    f.patient(sqlite_db)
    auth.create_staff(sqlite_db, SYSTEM, "admin", "管理员", "admin", "admin-pass-1")
    monkeypatch.setenv("REGDESK_USER", "admin")
    monkeypatch.setenv("REGDESK_PASSWORD", "admin-pass-1")
    return sqlite_db.engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("argv, stdin, message", [
    (["staff", "add", "x1", "--role", "boss", "--password-stdin"], "password-1\n", "invalid choice"),
    (["staff", "add", "x1", "--role", "head", "--password-stdin"], "password-1\n", "--department"),
    (["staff", "add", "x1", "--role", "clerk", "--department", "ZZZ", "--password-stdin"], "password-1\n",
     "未知科室代码"),
    (["staff", "add", "x1", "--role", "clerk", "--password-stdin"], "short\n", "至少 8"),
    (["staff", "add", "x1", "--role", "clerk", "--password-stdin"], "", "nothing on standard input"),
    (["staff", "add", "x1", "--role", "clerk"], "password-1\n", "--password-stdin"),  # no terminal
    (["staff", "add", "x y", "--role", "clerk", "--password-stdin"], "password-1\n", "用户名"),
    (["staff", "unlock", "ghost"], "", "账号不存在"),
    (["simulate", "--bookings", "-3"], "", "greater than 0"),
    (["simulate", "--bookings", "0"], "", "greater than 0"),
    (["simulate", "--bookings", "many"], "", "not a whole number"),
    (["simulate", "--bookings", "5", "--cancel-ratio", "1.5"], "", "between 0 and 1"),
    (["simulate", "--bookings", "5", "--cancel-ratio", "-0.1"], "", "between 0 and 1"),
    (["simulate"], "", "--bookings"),
    (["demo", "seed", "--days", "0"], "", "greater than 0"),
    (["demo", "seed", "--days", "61"], "", "at most 60"),
])
def test_bad_input_changes_nothing(clinic_url, capsys, monkeypatch, argv, stdin, message):
    before = _counts(clinic_url)
    rc, out, err = _run(capsys, argv + ["--db", clinic_url], stdin=stdin, monkeypatch=monkeypatch)
    _one_line_error(rc, err)
    assert message in err and out == ""
    assert _counts(clinic_url) == before


@pytest.mark.parametrize("command", [
    ["db", "upgrade"], ["demo", "seed"], ["simulate", "--bookings", "5"], ["staff", "list"],
    ["staff", "add", "x1", "--role", "clerk", "--password-stdin"],
])
def test_wrong_urls_and_missing_folders(tmp_path, capsys, monkeypatch, command):
    missing = tmp_path / "no-such-folder"
    for url, message in ((f"sqlite:///{missing / 'x.db'}", "folder does not exist"),
                         ("not a url", "not a database URL"),
                         ("oracle://scott@localhost/x", "unsupported database")):
        rc, out, err = _run(capsys, command + ["--db", url], stdin="password-1\n", monkeypatch=monkeypatch)
        _one_line_error(rc, err)
        assert message in err and out == ""
    assert not missing.exists()


def test_missing_sqlite_file_is_not_created(tmp_path, capsys, monkeypatch):
    target = tmp_path / "typo.db"
    for command in (["simulate", "--bookings", "5"], ["staff", "list"]):
        rc, _, err = _run(capsys, command + ["--db", f"sqlite:///{target}"], monkeypatch=monkeypatch)
        _one_line_error(rc, err)
        assert "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server(capsys):
    rc, _, err = _run(capsys, ["simulate", "--bookings", "5", "--db", "postgresql://nobody@127.0.0.1:9/none"])
    _one_line_error(rc, err)


def test_password_asked_twice_on_a_terminal(clinic_url, capsys, monkeypatch):
    answers = iter(["password-1", "password-2", "password-1", "password-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    argv = ["staff", "add", "li", "--role", "clerk", "--department", "nk", "--db", clinic_url]
    rc, out, err = _run(capsys, argv, tty=True, monkeypatch=monkeypatch)
    _one_line_error(rc, err)
    assert "两次输入的密码不一致" in err and _counts(clinic_url)[0] == 1
    rc, out, err = _run(capsys, argv, tty=True, monkeypatch=monkeypatch)
    assert rc == 0 and out.strip() == "created staff account li (clerk, departments NK)"
    rc, out, _ = _run(capsys, ["staff", "list", "--db", clinic_url])
    assert rc == 0 and out.splitlines()[1].startswith("li\tclerk\tNK\tactive")


def test_unlock_and_password(clinic_url, capsys, monkeypatch):
    db = Database(clinic_url)
    try:
        from services.staff.actor import SYSTEM
        auth.create_staff(db, SYSTEM, "li", "李", "clerk", "password-1")
        for _ in range(5):
            with pytest.raises(AuthError):
                auth.login(db, "li", "wrong-pass")
        with pytest.raises(AuthError, match="尝试次数过多"):
            auth.login(db, "li", "password-1")
        rc, out, _ = _run(capsys, ["staff", "list", "--db", clinic_url])
        assert "log-in delayed" in out
        assert _run(capsys, ["staff", "unlock", "LI", "--db", clinic_url])[0] == 0
        assert auth.login(db, "li", "password-1").name == "li"
        rc, out, _ = _run(capsys, ["staff", "password", "li", "--password-stdin", "--db", clinic_url],
                          stdin="password-2\n", monkeypatch=monkeypatch)
        assert rc == 0 and auth.login(db, "li", "password-2").name == "li"
    finally:
        db.dispose()


def test_entry_point_prints_one_line(tmp_path):
    env = {**os.environ, "REGDESK_DATA_DIR": str(tmp_path / "data"), "REGDESK_CONFIG": str(tmp_path / "c.toml")}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", "--bookings", "-1"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "regdesk: simulate: argument --bookings: must be greater than 0: -1"


def test_a_mistyped_sqlite_path_leaves_no_file_behind(tmp_path, capsys):
    """Commands that read existing data refuse a database file that is not there, and do not create one."""
    from services.cli import main as cli_main
    missing = tmp_path / "typo.db"
    for argv in (["watch"], ["autoapprove", "--once"], ["notify", "--once"],
                 ["export", "daily", "--date", "2026-11-26", "--out", str(tmp_path / "x.xlsx")],
                 ["roster", "sessions", "--date", "2026-11-26"], ["staff", "list"]):
        assert cli_main([*argv, "--db", f"sqlite:///{missing}"]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "does not exist" in err, (argv, err)
        assert not missing.exists(), argv
