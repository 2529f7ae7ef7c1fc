"""The queue shows the waitlist (候补) apart: a view of the requests that need a decision, a view of the
waiting ones, and their positions as the patient reads them."""
from __future__ import annotations

from console.common.tablemodel import ID_ROLE
from services.bookings import rules
from services.staff.actor import Actor
from tests import factories as f
from tests.console.bookings.test_queue import open_page, shown_ids
from tests.console.console_helpers import console_context, staff

ADMIN = Actor("staff", "admin", 1, "admin")


def _column(page, key):
    col = [c.key for c in page.model.columns].index(key)
    return {page.table.proxy.index(r, 0).data(ID_ROLE): page.table.proxy.index(r, col).data()
            for r in range(page.table.proxy.rowCount())}


def test_the_queue_shows_waiting_requests_apart_with_positions(qtbot, sqlite_db, tmp_path):
    db = sqlite_db
    rules.save(db, ADMIN, waitlist=True)
    c = f.basic_clinic(db, capacity=1, slots=2)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    rules.decide_pending(db)  # one confirmed, two waiting
    fresh = f.request(db, c["slot_ids"][1], f.patient(db))  # not decided yet
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        assert shown_ids(page) == ids[1:] + [fresh]
        assert _column(page, "waitlist") == {ids[1]: "候补中（第 1 位）", ids[2]: "候补中（第 2 位）", fresh: ""}
        # the count says what needs the clerk: one request to decide, two on the waitlist (decided by the jobs)
        counts = []
        page.pendingCount.connect(counts.append)
        page._count_changed()
        assert page.count_label.text() == "1 waiting · 2 on the waitlist" and counts == [1]
        page.view_box.setCurrentIndex(page.view_box.findData("decide"))
        qtbot.waitUntil(lambda: page.loaded and shown_ids(page) == [fresh], timeout=10_000)
        page.view_box.setCurrentIndex(page.view_box.findData("waiting"))
        qtbot.waitUntil(lambda: page.loaded and shown_ids(page) == ids[1:], timeout=10_000)
