"""Changes: the one value of "what changed", made from the change feed's rows or from an operation's result."""
from __future__ import annotations

import datetime as dt
from collections import namedtuple

from services.bookings.decisions import BookingResult
from services.rosters.clinic_sessions import SessionInfo, SlotInfo, StopSummary
from services.rosters.extra_places import ExtraPlaces
from services.rosters.templates import PublishSummary
from services.sync.changes import EVERYTHING, NOTHING, Changes
from services.sync.feed import Change

Row = namedtuple("Row", "booking_id slot_id session_id")
ROWS = [Row(1, 10, 100), Row(2, 10, 100), Row(3, 11, 100), Row(4, 20, 200)]


def change(entity: str, eid, op: str = "update", slot: int | None = None, session: int | None = None) -> Change:
    return Change(1, entity, eid, op, None, None, slot_id=slot, session_id=session)


def test_a_feed_batch_names_the_bookings_slots_sessions_and_rules_it_touched():
    got = Changes.from_feed([change("booking", 5, slot=10, session=100), change("slot", 20, session=200),
                             change("session", 300), change("rule", "booking_window_days")])
    assert got == Changes(bookings={5}, slots={10, 20}, sessions={300}, around={100, 200},
                          rules={"booking_window_days"})
    assert Changes.from_feed([change("session", 7, op="insert")]).new_sessions
    assert Changes.from_feed([change("booking", 5, slot=10)]).unplaced  # no session in the row
    assert not Changes.from_feed([]) and not NOTHING and EVERYTHING


def test_the_rows_a_change_touches_are_the_booking_and_its_neighbours():
    # a booking new here (9) is asked for too; its slot's neighbours (1, 2) follow for their places left
    assert Changes(bookings={9}, slots={10}).touched_bookings(ROWS) == {9, 1, 2}
    # a changed session: every row in it (its doctor, its hours)
    assert Changes(sessions={100}).touched_bookings(ROWS) == {1, 2, 3}
    # the session of a changed booking alone is not a reason to read the whole session again
    assert Changes(bookings={4}, slots={20}, around={100}).touched_bookings(ROWS) == {4}


def test_a_roster_week_looks_again_only_when_it_may_have_changed():
    shown = {100, 101}
    assert Changes(around={100}).touches_sessions(shown)
    assert Changes(sessions={101}).touches_sessions(shown)
    assert not Changes(bookings={1}, slots={10}, around={999}).touches_sessions(shown)
    assert not Changes(sessions={999}, rules={"x"}).touches_sessions(shown)
    for unknown in (Changes(new_sessions=True), Changes(unplaced=True), EVERYTHING):
        assert unknown.touches_sessions(shown)


def test_changes_add_up():
    both = Changes.merged([Changes(bookings={1}, slots={10}), Changes(sessions={2}, unplaced=True), NOTHING])
    assert both == Changes(bookings={1}, slots={10}, sessions={2}, unplaced=True)
    assert (both | EVERYTHING).everything


def test_an_operations_result_says_what_it_changed():
    t = dt.time(8)
    assert BookingResult(7, "confirmed", None, 10, 3).changes.touched_bookings(ROWS) == {7, 1, 2}
    session = SessionInfo(100, 1, "王", 1, 1, dt.date(2026, 1, 5), "am", t, t, "published", None, 8, 2, 0)
    assert session.changes.touched_bookings(ROWS) == {1, 2, 3}
    assert StopSummary(200, 1, 1).changes.touched_bookings(ROWS) == {4}
    assert SlotInfo(11, 100, t, t, 3, 1, 0, 2).changes.touched_bookings(ROWS) == {3}
    assert ExtraPlaces(100, 10, t, 2, 6, 10).changes.touches_sessions({100})
    assert PublishSummary(3, 12, 0).changes.new_sessions and not PublishSummary(0, 0, 4).changes
