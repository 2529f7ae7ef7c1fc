"""ctx.changes: one channel of what changed. A page's own result reaches the other pages at once (no
feed needed); the page that made a change is not told again; a subscription ends with its page."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.common.changes import ChangeHub
from services.sync.changes import EVERYTHING, Changes
from tests import factories as f
from tests.console.bookings import test_daylist, test_queue
from tests.console.console_helpers import clinic_with_requests, console_context, staff


def test_every_page_but_the_one_that_made_the_change_hears_of_it(qtbot):
    hub = ChangeHub()
    maker, other = QWidget(), QWidget()
    heard: dict[str, list] = {"maker": [], "other": []}
    hub.subscribe(maker, heard["maker"].append)
    hub.subscribe(other, heard["other"].append)
    done = Changes(bookings={1}, slots={2})
    hub.publish(done, maker)
    hub.publish(Changes())  # nothing changed: nobody is bothered
    hub.reload_all()
    assert heard == {"maker": [EVERYTHING], "other": [done, EVERYTHING]}
    shiboken6.delete(other)  # the subscription goes with its page
    hub.publish(done)
    assert heard["maker"] == [EVERYTHING, done] and heard["other"] == [done, EVERYTHING]
    shiboken6.delete(maker)


def test_a_decision_in_the_queue_shows_in_the_day_list_at_once(qtbot, db, tmp_path):
    """No live feed, no poll: the queue publishes what the database did, the day list applies it in place."""
    c = clinic_with_requests(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        day = test_daylist.open_page(qtbot, ctx, c["day"])
        queue = test_queue.open_page(qtbot, ctx)
        row = day.model.index_of(c["requests"][0])
        assert day.model.row_at(row).status == "pending"
        resets = []
        day.model.modelReset.connect(lambda: resets.append(1))
        assert queue.table.select_id(c["requests"][0])
        qtbot.keyClick(queue.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: day.model.row_at(day.model.index_of(c["requests"][0])).status == "confirmed",
                        timeout=10_000)
        assert f.status_of(db, c["requests"][0]) == "confirmed" and not resets
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)
