"""Issue 14's additions under the database accounts of `regdesk db grant` (PostgreSQL, MariaDB): the
mini-program's account reads slot_availability.opens_at, and its plain cancel is stamped by the database; it
may mark a referral (channel, referral_code) and reads what each kind of request may book."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from services.clock import as_datetime, utcnow
from services.demo import simulate
from services.models import Booking
from services.rosters import shares
from services.staff.actor import Actor
from tests import factories as f
from tests.deployments import deployment


@pytest.fixture(params=["postgresql", "mariadb"])
def dep(request):
    with deployment(request.param) as d:
        yield d


def test_the_miniprogram_account_sees_opens_at_and_its_cancel_is_stamped(dep):
    owner, mp = dep.owner, dep.db("miniprogram")
    clinic = f.basic_clinic(owner, capacity=3, slots=2)
    slot = clinic["slot_ids"][0]
    booking = f.request(owner, slot, f.patient(owner))
    before = utcnow() - dt.timedelta(seconds=5)
    with mp.engine.begin() as c:
        opens = c.execute(text("SELECT opens_at FROM slot_availability WHERE slot_id = :s"), {"s": slot}).scalar()
        assert c.execute(text(simulate.CANCEL), {"id": booking}).rowcount == 1
    assert as_datetime(opens) == dt.datetime.combine(clinic["day"] - dt.timedelta(days=7), dt.time(0, 0))
    with owner.read() as c:
        stamp = as_datetime(c.execute(select(Booking.cancelled_at).where(Booking.id == booking)).scalar_one())
    assert stamp is not None and before <= stamp <= utcnow() + dt.timedelta(seconds=5)


def test_the_miniprogram_account_writes_a_referral_and_reads_what_each_kind_may_book(dep):
    owner, mp = dep.owner, dep.db("miniprogram")
    clinic = f.basic_clinic(owner, capacity=10, slots=1)
    shares.set_share(owner, Actor("staff", "admin", 1, "admin"), 30, department_id=clinic["department_id"],
                     kind="referral")
    slot, patient = clinic["slot_ids"][0], f.patient(owner)
    with mp.engine.begin() as c:
        c.execute(text(simulate.INSERT_REFERRAL), {"slot_id": slot, "patient_id": patient, "referral_code": "ZZ1"})
        row = c.execute(text("SELECT channel, referral_code FROM bookings WHERE patient_id = :p"), {"p": patient}).one()
        view = c.execute(text("SELECT online_remaining, referral_remaining, followup_remaining FROM slot_availability"
                              " WHERE slot_id = :s"), {"s": slot}).one()
    assert tuple(row) == ("referral", "ZZ1") and tuple(view) == (7, 10, 7)
