"""`regdesk watch` as a separate process: one JSON line per change, each once, until SIGTERM/SIGINT."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.bookings import decisions
from services.staff.actor import Actor
from services.sync.feed import LISTENER_NAME
from tests import factories as f

ROOT = Path(__file__).resolve().parents[3]
CLERK = Actor(kind="staff", name="clerk1", role="clerk", display_name="挂号员")
LINE_WAIT = 30.0


class Watch:
    """`python main.py --db URL watch ...` with its output lines read by a thread."""

    def __init__(self, url: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--db", url, "watch", *args],
                                     cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.lines: queue.Queue = queue.Queue()
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._pump_out, daemon=True),
                         threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True)]
        for t in self._readers:
            t.start()

    def _pump_out(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # end of output

    def next(self, timeout: float = LINE_WAIT) -> dict:
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"watch ended early: {''.join(self.err)}"
        return json.loads(line)

    def booking(self, timeout: float = LINE_WAIT) -> dict:
        """The next line about a booking (session/slot lines of the set-up are passed over)."""
        while True:
            obj = self.next(timeout)
            if obj["booking_id"] is not None:
                return obj

    def stop(self, sig: int = signal.SIGTERM) -> list[dict]:
        """End it like a user would; return the lines it printed after the ones already read."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=LINE_WAIT)
        for t in self._readers:
            t.join(timeout=LINE_WAIT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert code == 0, "".join(self.err)
        rest = []
        while (line := self.lines.get(timeout=LINE_WAIT)) is not None:
            rest.append(json.loads(line))
        return rest


def _end_of_log(db) -> int:
    with db.read() as c:
        return c.execute(text("SELECT coalesce(max(id), 0) FROM change_log")).scalar()


def test_watch_prints_each_change_once(db, db_url):
    clinic = f.basic_clinic(db)
    p1, p2 = f.patient(db), f.patient(db)
    slot, session = clinic["slot_ids"][0], clinic["session_id"]
    w = Watch(db_url, "--after", str(_end_of_log(db)))  # starts exactly after the set-up
    try:
        b1 = f.request(db, slot, p1)
        first = w.next()
        with db.engine.begin() as c:
            c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i"
                           " AND status IN ('pending', 'confirmed')"), {"i": b1})
        second = w.next()
        b2 = f.request(db, slot, p2)
        third = w.next()
        decisions.approve(db, CLERK, b2)
        fourth = w.next()
        with db.engine.begin() as c:
            c.execute(text("UPDATE clinic_sessions SET note = '改到三楼' WHERE id = :i"), {"i": session})
        fifth = w.next()
    finally:
        rest = w.stop()
    got = [first, second, third, fourth, fifth]
    assert [(o["booking_id"], o["status"], o["who"]) for o in got] == [
        (b1, "pending", "miniprogram"), (b1, "cancelled", "miniprogram"), (b2, "pending", "miniprogram"),
        (b2, "confirmed", "clerk1"), (None, "published", None)]
    assert (fifth["entity"], fifth["entity_id"], fifth["op"]) == ("session", session, "update")
    assert all(o["slot_id"] == slot and o["session_id"] == session and o["at"] for o in got[:4])
    assert [o["patient_id"] for o in got[:4]] == [p1, p1, p2, p2]
    assert rest == []


def test_watch_does_not_skip_a_late_commit(db, db_url):
    clinic = f.basic_clinic(db)
    early, late = f.patient(db), f.patient(db)
    w = Watch(db_url, "--after", str(_end_of_log(db)))
    a = db.engine.connect()
    try:
        tx = a.begin()
        a.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                       " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": clinic["slot_ids"][1], "p": early})
        if db.dialect == "sqlite":  # one writer at a time: the later request waits for A
            tx.commit()
            got = [w.next()]
            f.request(db, clinic["slot_ids"][1], late)
            got.append(w.next())
        else:
            f.request(db, clinic["slot_ids"][1], late)
            got = [w.next()]
            assert got[0]["patient_id"] == late
            tx.commit()
            got.append(w.next())
    finally:
        a.close()
        rest = w.stop(signal.SIGINT)
    assert sorted(o["patient_id"] for o in got) == sorted([early, late]) and rest == []
    assert len({o["change_id"] for o in got}) == 2


def test_watch_survives_a_killed_listener(db, db_url):
    if db.dialect != "postgresql":
        pytest.skip("only PostgreSQL has a LISTEN connection to kill")
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    w = Watch(db_url, "--after", str(_end_of_log(db)))
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        b0 = f.request(db, clinic["slot_ids"][0], p)
        assert w.booking()["booking_id"] == b0  # watch is listening now
        with admin.connect() as c:
            killed = c.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                    " WHERE application_name = :n AND datname = current_database()"),
                               {"n": LISTENER_NAME}).scalar()
        assert killed == 1
        b1 = f.request(db, clinic["slot_ids"][1], p)
        assert w.booking()["booking_id"] == b1
        b2 = f.request(db, clinic["slot_ids"][2], p)
        assert w.booking()["booking_id"] == b2
    finally:
        admin.dispose()
        rest = w.stop()
    assert rest == []
    assert "offline" in "".join(w.err) or "catching up" in "".join(w.err)


def test_watch_from_start_replays_the_log(db, db_url):
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    b = f.request(db, clinic["slot_ids"][0], p)
    w = Watch(db_url, "--from-start")
    try:
        seen = [w.next() for _ in range(1 + len(clinic["slot_ids"]) + 1)]
    finally:
        rest = w.stop()
    assert [o["entity"] for o in seen] == ["session"] + ["slot"] * len(clinic["slot_ids"]) + ["booking"]
    assert seen[-1]["booking_id"] == b and rest == []
    w = Watch(db_url, "--from-start", "--bookings-only")
    try:
        only = w.next()
    finally:
        rest = w.stop()
    assert (only["booking_id"], only["status"]) == (b, "pending") and rest == []


def test_bad_database_is_one_line_and_non_zero(tmp_path):
    for url in ("postgresql://nobody@127.0.0.1:1/none", f"sqlite:///{tmp_path}/missing/x.db",
                f"sqlite:///{tmp_path}/empty.db"):
        r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", url, "watch"], cwd=ROOT,
                           capture_output=True, text=True, timeout=LINE_WAIT, env=os.environ.copy())
        assert r.returncode != 0 and r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("regdesk: "), r.stderr
