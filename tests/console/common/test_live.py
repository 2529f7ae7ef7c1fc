"""LiveFeed: changes made by anyone reach the GUI thread; the thread stops cleanly; a lost listener recovers."""
from __future__ import annotations

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from sqlalchemy import create_engine, text

from console.common.live import LiveFeed
from services import migrate
from services.db import Database
from services.sync.feed import LISTENER_NAME
from tests import factories as f
from tests.dbs import fresh_database

WAIT_MS = 15_000


def _started(qtbot, live: LiveFeed) -> None:
    with qtbot.waitSignal(live.stateChanged, timeout=WAIT_MS, check_params_cb=lambda s: s == "live"):
        live.start()


def _booking_seen(patient_id: int, status: str):
    def check(changes) -> bool:
        return any(c.entity == "booking" and c.patient_id == patient_id and c.status == status for c in changes)
    return check


def test_foreign_insert_and_cancel_arrive_in_gui_thread(qtbot, db):
    clinic = f.basic_clinic(db)
    patient = f.patient(db)
    live = LiveFeed(db)
    got, threads = [], []
    live.changes.connect(lambda ch: (got.extend(ch), threads.append(QThread.currentThread())))
    _started(qtbot, live)
    try:
        with qtbot.waitSignal(live.lastChangeAt, timeout=WAIT_MS):
            with qtbot.waitSignal(live.changes, timeout=WAIT_MS,
                                  check_params_cb=_booking_seen(patient, "pending")):
                booking = f.request(db, clinic["slot_ids"][0], patient)
        with qtbot.waitSignal(live.changes, timeout=WAIT_MS, check_params_cb=_booking_seen(patient, "cancelled")):
            with db.engine.begin() as c:  # the mini-program's cancellation: no updated_at
                c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i"
                               " AND status IN ('pending', 'confirmed')"), {"i": booking})
    finally:
        live.stop()
    assert not live.running
    mine = [(c.entity_id, c.status) for c in got if c.entity == "booking"]
    assert mine == [(booking, "pending"), (booking, "cancelled")]
    assert all(t is QApplication.instance().thread() for t in threads)
    assert live.state == "live"


def test_restart_from_cursor_loses_nothing(qtbot, sqlite_db):
    db = sqlite_db
    clinic = f.basic_clinic(db)
    live = LiveFeed(db)
    _started(qtbot, live)
    live.stop()
    cursor = live.cursor
    assert cursor is not None
    patient = f.patient(db)
    booking = f.request(db, clinic["slot_ids"][1], patient)  # made while no feed runs
    again = LiveFeed(db, cursor=cursor)
    try:
        with qtbot.waitSignal(again.changes, timeout=WAIT_MS, check_params_cb=_booking_seen(patient, "pending")) as s:
            again.start()
    finally:
        again.stop()
    assert [c.entity_id for c in s.args[0] if c.entity == "booking"] == [booking]


def test_unreachable_database_is_offline_and_stop_joins(qtbot):
    live = LiveFeed(Database("postgresql://nobody@127.0.0.1:1/none"))
    with qtbot.waitSignal(live.stateChanged, timeout=WAIT_MS, check_params_cb=lambda s: s == "offline"):
        live.start()
    live.stop()
    assert not live.running and live.state == "offline"


def test_killed_listener_reconnects_and_catches_up(qtbot, tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        db = Database(url)
        migrate.upgrade(db)
        clinic = f.basic_clinic(db)
        patient = f.patient(db)
        live = LiveFeed(db)
        states: list[str] = []
        live.stateChanged.connect(states.append)
        _started(qtbot, live)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with qtbot.waitSignal(live.changes, timeout=WAIT_MS, check_params_cb=_booking_seen(patient, "pending")):
                with admin.connect() as c:
                    killed = c.execute(text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = :n AND datname = current_database()"), {"n": LISTENER_NAME}
                    ).scalar()
                assert killed == 1
                f.request(db, clinic["slot_ids"][0], patient)
            qtbot.waitUntil(lambda: states[-1:] == ["live"], timeout=WAIT_MS)
        finally:
            live.stop()
            admin.dispose()
            db.dispose()
        assert "offline" in states and "catching_up" in states
        assert states.index("offline") < states.index("catching_up") < len(states) - 1

