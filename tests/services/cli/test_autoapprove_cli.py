"""`regdesk autoapprove`: the command line on every database, and its one-line failures."""
from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

from services.bookings import rules
from services.cli import main
from services.staff.actor import Actor
from tests import factories as f

ROOT = Path(__file__).resolve().parents[3]


def test_once_decides_and_prints_a_summary(db, db_url, capsys):
    c = f.basic_clinic(db, capacity=1, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    assert main(["autoapprove", "--once", "--limit", "2", "--db", db_url]) == 0
    assert capsys.readouterr().out == "autoapprove: 1 confirmed, 1 full, 0 rejected, 0 skipped, 0 errors\n"
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "full", "pending"]
    assert main(["autoapprove", "--once", "--db", db_url]) == 0
    assert capsys.readouterr().out == "autoapprove: 0 confirmed, 1 full, 0 rejected, 0 skipped, 0 errors\n"
    assert f.status_of(db, ids[2]) == "full"


def test_once_does_nothing_when_switched_off(db, db_url, capsys):
    c = f.basic_clinic(db)
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    rules.save(db, Actor(kind="staff", name="admin1", role="admin"), autoapprove_enabled=False)
    assert main(["autoapprove", "--once", "--db", db_url]) == 0
    assert "switched off" in capsys.readouterr().out
    assert f.status_of(db, b) == "pending"


def test_schema_missing_is_one_line(db_url, capsys):
    assert main(["autoapprove", "--once", "--db", db_url]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("regdesk: ") and "db upgrade" in err


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_unreachable_database_is_one_line_on_stderr():
    for url in ("postgresql://nobody@127.0.0.1:1/none", "sqlite:////no/such/folder/x.db", "nonsense://"):
        proc = _run("autoapprove", "--once", "--db", url)
        assert proc.returncode != 0, url
        assert proc.stdout == "", url
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("regdesk: "), (url, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_help_lists_the_options():
    proc = _run("autoapprove", "--help")
    assert proc.returncode == 0 and "--once" in proc.stdout


def test_keeps_running_until_sigterm(db, db_url):
    c = f.basic_clinic(db, capacity=1, slots=1)
    proc = subprocess.Popen([sys.executable, "main.py", "autoapprove", "--db", db_url, "--interval", "0.2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    try:
        assert lines.get(timeout=30).startswith("autoapprove: running on ")
        ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(2)]
        decided = set()
        while len(decided) < 2:  # one summary line per round that decided something
            line = lines.get(timeout=30)
            assert line.startswith("autoapprove: ") and "errors" in line, line
            decided = {i for i in ids if f.status_of(db, i) != "pending"}
        assert sorted(f.status_of(db, i) for i in ids) == ["confirmed", "full"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        err = proc.stderr.read()
        proc.stderr.close()
        reader.join(timeout=10)
        proc.stdout.close()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
