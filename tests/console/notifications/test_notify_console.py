"""The console side of WeChat notifications: the day list's 通知 column (with the rows, then kept
current in place). Consoles do not send (tests/console/test_jobs_console.py): the job service does."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from sqlalchemy import update

from console.bookings import daylist as daylist_mod
from console.bookings.daylist import DayListPage
from services.bookings import queries
from services.models import Booking, Notification
from services.notify import outbox
from tests import factories as f
from tests.console.console_helpers import console_context, staff
from tests.console.page_support import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE

TODAY = dt.date.today()


def notified_day(db, day: dt.date = TODAY, n: int = 3) -> tuple[dict, list[int]]:
    """``n`` confirmed bookings on ``day``, each with a 'confirmed' notification waiting to be sent."""
    clinic = f.basic_clinic(db, day=day, capacity=n, slots=1)
    ids = [f.request(db, clinic["slot_ids"][0], f.patient(db, name=f"通知{i}")) for i in range(n)]
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id.in_(ids)).values(status="confirmed"))
        outbox.enqueue(c, ids, "confirmed")
    return clinic, ids


def set_state(db, booking_id: int, state: str) -> None:
    with db.write() as c:
        c.execute(update(Notification).where(Notification.booking_id == booking_id).values(state=state))


def notice_cell(page: DayListPage, booking_id: int) -> str:
    model = page.model
    return model.index(model.index_of(booking_id), model.column_index("notify")).data()


# ---------------------------------------------------------------- the rows (every database)

def test_rows_carry_the_newest_notification_state(db):
    clinic, (sent, failed, waiting) = notified_day(db)
    set_state(db, sent, "sent")
    set_state(db, failed, "failed")
    quiet = f.request(db, clinic["slot_ids"][0], f.patient(db))  # pending: never notified
    with db.write() as c:  # a newer notification of the sent booking decides what it shows
        c.execute(update(Booking).where(Booking.id == sent).values(status="cancelled"))
        outbox.enqueue(c, [sent], "cancelled")
    expected = {sent: "waiting", failed: "failed", waiting: "waiting", quiet: None}
    rows = queries.day_list(db, TODAY)
    assert {r.booking_id: r.notify_state for r in rows} == expected
    assert {r.booking_id: r.notify_state for r in queries.booking_rows(db, expected)} == expected
    got = queries.notification_states(db, TODAY)
    assert got == {k: v for k, v in expected.items() if v is not None}
    assert queries.notification_states(db, TODAY, department_id=clinic["department_id"],
                                       doctor_id=clinic["doctor_id"]) == got
    assert queries.notification_states(db, TODAY, doctor_id=clinic["doctor_id"] + 1000) == {}
    assert queries.notification_states(db, TODAY + dt.timedelta(days=1)) == {}
    assert all(r.notify_state is None for r in queries.pending_queue(db))


# ---------------------------------------------------------------- the day list

def open_daylist(qtbot, ctx, day: dt.date = TODAY) -> DayListPage:
    page = DayListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 600)
    page.show()
    qtbot.waitUntil(lambda: page.department.count() > 1, timeout=10_000)
    page.set_day(day)
    qtbot.waitUntil(lambda: page.model.query is not None and page.model.query[0] == day
                    and page._loading is None, timeout=10_000)
    return page


def test_the_day_list_shows_each_state_and_keeps_it_current_in_place(qtbot, qtmodeltester, sqlite_db, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(daylist_mod, "NOTIFY_POLL_MS", 50)
    _clinic, (sent, failed, waiting) = notified_day(sqlite_db)
    set_state(sqlite_db, sent, "sent")
    set_state(sqlite_db, failed, "failed")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_daylist(qtbot, ctx)
        assert (notice_cell(page, sent), notice_cell(page, failed), notice_cell(page, waiting)) == (
            "已发送", "发送失败", "待发送")
        assert page.model.headerData(page.model.column_index("notify"), Qt.Orientation.Horizontal) in ("Notice", "通知")
        qtmodeltester.check(page.model)
        qtmodeltester.check(page.table.proxy)

        resets, changed = [], []
        page.model.modelAboutToBeReset.connect(lambda: resets.append("model"))
        page.table.proxy.modelAboutToBeReset.connect(lambda: resets.append("proxy"))
        page.model.dataChanged.connect(lambda tl, br, *_: changed.append((tl.row(), tl.column(), br.column())))
        page.table.select_id(waiting)
        # the sender delivers one, a head sends the failed one again: no booking changes
        set_state(sqlite_db, waiting, "sent")
        set_state(sqlite_db, failed, "waiting")
        qtbot.waitUntil(lambda: notice_cell(page, waiting) == "已发送" and notice_cell(page, failed) == "待发送",
                        timeout=10_000)
        assert notice_cell(page, sent) == "已发送"
        assert not resets
        column = page.model.column_index("notify")
        assert sorted(changed) == sorted({(page.model.index_of(b), column, column) for b in (waiting, failed)})
        assert page.table.selected_ids() == [waiting]  # the selection survived
        qtmodeltester.check(page.model)
        qtmodeltester.check(page.table.proxy)

        # a state read before a newer look at the row never overwrites it
        page._notify_timer.stop()
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)
        stale = page.model.ticket()
        page.model.settle([page.model.row_at(page.model.index_of(sent))._replace(notify_state="failed")])
        assert page.model.set_notify_states({sent: "sent", failed: "waiting", waiting: "sent"}, since=stale) == 0
        assert notice_cell(page, sent) == "发送失败"


def test_the_states_are_not_polled_while_the_page_is_hidden(qtbot, sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setattr(daylist_mod, "NOTIFY_POLL_MS", 50)
    _clinic, (booking, *_rest) = notified_day(sqlite_db, n=1)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_daylist(qtbot, ctx)
        page.hide()
        assert not page._notify_timer.isActive()
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)  # a poll that started before is over
        set_state(sqlite_db, booking, "sent")
        with qtbot.waitSignal(page.notifyStatesRead, timeout=10_000) as blocker:
            page.show()  # looks again at once when shown
        assert blocker.args == [1] and notice_cell(page, booking) == "已发送"
        assert page._notify_timer.isActive()
