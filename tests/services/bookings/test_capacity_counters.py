"""The database itself keeps each slot's capacity (revision 0008_capacity: slot_counters, kept by
triggers, CHECK taken <= capacity), whoever writes: plain SQL confirming past the last place, or
lowering a slot's capacity below what is taken, is refused and changes nothing; a cancel, a check-in,
a move to another slot and a delete keep the counter equal to the bookings."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests import factories as f


def _counter(db, slot: int) -> tuple[int, int]:
    with db.read() as c:
        row = c.execute(text("SELECT taken, capacity FROM slot_counters WHERE slot_id = :s"), {"s": slot}).one()
        seen = c.execute(text("SELECT taken FROM slot_availability WHERE slot_id = :s"), {"s": slot}).scalar_one()
    assert row[0] == seen, "the counter agrees with the bookings"
    return tuple(row)


def _sql(db, statement: str, **params) -> None:
    with db.write() as c:
        c.execute(text(statement), params)


def test_no_writer_oversells_a_slot_or_shrinks_it_below_what_is_taken(db):
    c = f.basic_clinic(db, capacity=2, slots=2)
    slot, other = c["slot_ids"]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    assert _counter(db, slot) == (0, 2)
    for b in ids[:2]:
        _sql(db, "UPDATE bookings SET status = 'confirmed' WHERE id = :b", b=b)
    assert _counter(db, slot) == (2, 2)
    # a foreign writer confirming a third: refused by the database, nothing changed
    with pytest.raises((IntegrityError, OperationalError)):
        _sql(db, "UPDATE bookings SET status = 'confirmed' WHERE id = :b", b=ids[2])
    assert f.status_of(db, ids[2]) == "pending" and _counter(db, slot) == (2, 2)
    # nor a capacity below what is taken
    with pytest.raises((IntegrityError, OperationalError)):
        _sql(db, "UPDATE slots SET capacity = 1 WHERE id = :s", s=slot)
    assert _counter(db, slot) == (2, 2)
    _sql(db, "UPDATE slots SET capacity = 3 WHERE id = :s", s=slot)
    assert _counter(db, slot) == (2, 3)
    # taken to taken moves nothing; a cancel, a move and a delete give places back
    _sql(db, "UPDATE bookings SET status = 'checked_in' WHERE id = :b", b=ids[0])
    assert _counter(db, slot) == (2, 3)
    _sql(db, "UPDATE bookings SET status = 'cancelled' WHERE id = :b AND status IN ('pending', 'confirmed')",
         b=ids[1])
    assert _counter(db, slot) == (1, 3)
    _sql(db, "UPDATE bookings SET slot_id = :o WHERE id = :b", o=other, b=ids[0])
    assert (_counter(db, slot), _counter(db, other)) == ((0, 3), (1, 2))
    _sql(db, "DELETE FROM notifications WHERE booking_id = :b", b=ids[0])
    _sql(db, "DELETE FROM bookings WHERE id = :b", b=ids[0])
    assert _counter(db, other) == (0, 2)
