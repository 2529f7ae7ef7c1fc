"""Stopping a clinic never makes the mini-program's plain cancel fail.

The mini-program does not retry: if the database picked its cancel as a deadlock victim, the
patient's cancellation would be lost. The interleaving is forced: the mini-program's transaction
holds its booking row, the stop is made to wait for that row, and then the mini-program's cancel
(which on InnoDB share-locks the slot for its foreign-key check) must still go through.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from services.rosters import templates
from services.staff.actor import Actor
from tests import factories as f

HEAD = Actor(kind="staff", name="admin1", role="admin")


def wait_until(condition, timeout: float = 20.0) -> bool:
    """Poll an observable condition (like qtbot.waitUntil), never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.02)
    return False


def _stop_is_waiting(db) -> bool:
    with db.engine.connect() as c:
        if db.dialect == "postgresql":
            return c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                  " AND wait_event_type = 'Lock'")).scalar_one() > 0
        if db.dialect == "mysql":
            # the stop has reached its lock of the bookings (then its UPDATE), which must wait for the held row
            return c.execute(text("SELECT count(*) FROM information_schema.PROCESSLIST"
                                  " WHERE DB = DATABASE() AND (INFO LIKE 'UPDATE bookings SET status=''stopped''%'"
                                  " OR INFO LIKE 'SELECT bookings.id %FOR UPDATE%')")).scalar_one() > 0
    return True  # SQLite: the stop simply waits for the write lock


@pytest.mark.parametrize("held_status", ["pending", "confirmed"])
def test_miniprogram_cancel_survives_a_concurrent_stop(db, held_status):
    """held_status 'confirmed': the cancel also moves the slot's counter (a trigger), and the stop's
    other booking comes first, so a stop that changed it before locking the held row would hold the
    counter the cancel then needs."""
    c = f.basic_clinic(db, capacity=3, slots=1)
    slot = c["slot_ids"][0]
    if held_status == "confirmed":
        other, held = f.request(db, slot, f.patient(db)), f.request(db, slot, f.patient(db))
        f.set_status(db, held, "confirmed")
    else:
        held, other = f.request(db, slot, f.patient(db)), f.request(db, slot, f.patient(db))
    f.set_status(db, other, "confirmed")
    result: dict = {}

    foreign = db.engine.connect()
    tx = foreign.begin()
    try:
        # the mini-program's transaction has locked its booking row (an update of a non-indexed column)
        foreign.execute(text("UPDATE bookings SET reason = NULL WHERE id = :b"), {"b": held})

        def stop():
            try:
                result["summary"] = templates.stop_session(db, HEAD, c["session_id"], "医生临时外出")
            except Exception as exc:
                result["error"] = exc

        t = threading.Thread(target=stop)
        t.start()
        if db.dialect != "sqlite":
            assert wait_until(lambda: _stop_is_waiting(db) or not t.is_alive())
            assert t.is_alive(), f"the stop did not wait for the booking row: {result}"
        # now the contract's cancel, in the same transaction: it must not be chosen as a deadlock victim
        n = foreign.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :b"
                                 " AND status IN ('pending', 'confirmed')"), {"b": held}).rowcount
        tx.commit()
    finally:
        foreign.close()
    t.join(60)
    assert n == 1
    assert "error" not in result, result.get("error")
    assert f.status_of(db, held) == "cancelled"
    assert f.status_of(db, other) == "stopped"
    assert result["summary"].bookings_stopped == 1
