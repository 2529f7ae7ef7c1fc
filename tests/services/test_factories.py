"""The builders produce rows the availability view counts as the contract says."""
from sqlalchemy import text

from tests import factories as f


def test_basic_clinic_and_requests(db):
    c = f.basic_clinic(db, capacity=3, slots=2)
    p = f.patient(db)
    b = f.request(db, c["slot_ids"][0], p)
    assert f.status_of(db, b) == "pending"
    with db.read() as conn:
        row = conn.execute(text("SELECT pending, remaining FROM slot_availability WHERE slot_id = :s"),
                           {"s": c["slot_ids"][0]}).one()
    assert (row.pending, row.remaining) == (1, 3)
