"""Patients on every database: search, desk registration and its checks, history; masking."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from services.bookings import patients
from services.errors import NotFound, PermissionDenied, ValidationError
from services.models import Booking, Patient
from services.staff import audit
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

CLERK = Actor(kind="staff", name="clerk", staff_id=1, role="clerk")
VALID_CARD = "11010519491231002X"  # the checksum example of GB 11643


def _count(db):
    with db.read() as c:
        return c.execute(select(func.count()).select_from(Patient)).scalar_one()


def test_masking():
    assert patients.mask_phone("13812345678") == "138****5678"
    assert patients.mask_phone("010-12345678") == "010*****5678"
    assert patients.mask_phone("12345") == "*2345"
    assert patients.mask_phone(None) == ""
    assert patients.mask_id_card(VALID_CARD) == "110105********002X"
    assert patients.mask_id_card("1234") == "****"


def test_id_card_checksum():
    assert patients.id_card_checksum_ok(VALID_CARD)
    assert patients.id_card_checksum_ok(VALID_CARD.lower())
    assert not patients.id_card_checksum_ok("110105194912310021")
    assert patients.birth_date_of_id_card(VALID_CARD) == dt.date(1949, 12, 31)


def test_register_and_get(db):
    p = patients.register(db, CLERK, " 张三 ", "F", "138 1234 5678", id_card=VALID_CARD.lower())
    assert (p.name, p.gender, p.phone, p.id_card, p.openid) == ("张三", "F", "13812345678", VALID_CARD, None)
    assert p.birth_date == dt.date(1949, 12, 31)  # taken from the ID card
    assert p.age >= 76 and p.walk_in and p.created_at is not None
    assert patients.get(db, p.id) == p
    with db.read() as c:
        assert [e.action for e in audit.history(c, "patient", p.id)] == ["register"]
    q = patients.register(db, CLERK, "李四", "女", "010-12345678", birth_date=dt.date(2020, 2, 29))
    assert (q.gender, q.phone, q.id_card) == ("F", "010-12345678", None)
    with pytest.raises(NotFound):
        patients.get(db, 999999)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": ""}, "姓名"),
    ({"name": "长" * 51}, "姓名"),
    ({"gender": "X"}, "性别"),
    ({"phone": "12345"}, "电话"),
    ({"phone": "1381234567"}, "电话"),
    ({"phone": "abc"}, "电话"),
    ({"id_card": "110105194912310021"}, "身份证"),
    ({"id_card": "11010519491231002"}, "身份证"),
    ({"birth_date": dt.date.today() + dt.timedelta(days=1)}, "出生日期"),
    ({"id_card": VALID_CARD, "birth_date": dt.date(1950, 1, 1)}, "不一致"),
])
def test_register_validation(db, kwargs, message):
    args = {"name": "王五", "gender": "M", "phone": "13912345678"}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        patients.register(db, CLERK, **args)
    assert _count(db) == 0


MALE_CARD = "11010519491231001" + patients.id_card_check_char("11010519491231001")  # 17th digit odd: a man


def test_gender_must_agree_with_the_id_card(db):
    """A man's card saved as 女 (or a woman's as 男) is refused by the gender field, and nothing is saved."""
    for gender, card, said in (("F", MALE_CARD, "男性"), ("M", VALID_CARD, "女性")):
        with pytest.raises(ValidationError, match=f"性别与身份证号不一致：身份证号第 17 位表示{said}") as err:
            patients.register(db, CLERK, "王五", gender, "13912345678", id_card=card)
        assert err.value.field == "gender"
    assert _count(db) == 0
    with pytest.raises(ValidationError) as err:
        patients.register(db, CLERK, "王五", "M", "13912345678", id_card=MALE_CARD[:-1] + "0")  # checksum
    assert err.value.field == "id_card" and _count(db) == 0
    assert patients.register(db, CLERK, "王五", "U", "13912345678", id_card=MALE_CARD).gender == "M"


def test_register_permission_and_duplicate_card(db):
    with pytest.raises(PermissionDenied):
        patients.register(db, Actor(kind="miniprogram", name="mp"), "王五", "M", "13912345678")
    patients.register(db, SYSTEM, "王五", "F", "13912345678", id_card=VALID_CARD)
    with pytest.raises(ValidationError, match="已登记"):
        patients.register(db, CLERK, "王五", "F", "13912345678", id_card=VALID_CARD)
    assert _count(db) == 1


def test_find(db):
    a = f.patient(db, name="张伟", phone="13812345678")
    b = f.patient(db, name="张伟明", phone="13900005678")
    c = f.patient(db, name="李娜", phone="0571-88886666", openid=None)
    d = patients.register(db, CLERK, "王芳", "F", "15000001111", id_card=VALID_CARD)
    def ids(rows):
        return [r.id for r in rows]
    assert ids(patients.find(db, "张伟")) == [a, b]  # the exact name first
    assert ids(patients.find(db, "伟明")) == [b]
    assert ids(patients.find(db, "13812345678")) == [a]
    assert sorted(ids(patients.find(db, "5678"))) == sorted([a, b])
    assert ids(patients.find(db, "8886666")) == [c]
    assert ids(patients.find(db, "0571-88886666")) == [c]
    assert ids(patients.find(db, VALID_CARD.lower())) == [d.id]
    assert patients.find(db, "") == [] and patients.find(db, "567") == []
    assert patients.find(db, "%") == [] and patients.find(db, "_") == []
    assert ids(patients.find(db, "张", limit=1)) == [a]


def test_history_and_histories(db):
    today = dt.date(2026, 11, 26)
    now = dt.datetime(2026, 11, 26, 9, 0)
    clinic = f.basic_clinic(db, day=today, capacity=3, slots=2)
    past_sid, past_slots = f.session(db, clinic["doctor_id"], today - dt.timedelta(days=10), period="pm",
                                     starts=dt.time(13, 30), ends=dt.time(17, 0))
    old_sid, old_slots = f.session(db, clinic["doctor_id"], today - dt.timedelta(days=120), period="pm",
                                   starts=dt.time(13, 30), ends=dt.time(17, 0))
    p, q, r = f.patient(db), f.patient(db), f.patient(db)
    b_today = f.request(db, clinic["slot_ids"][0], p)
    b_today2 = f.request(db, clinic["slot_ids"][1], p)
    b_cancel = f.request(db, clinic["slot_ids"][1], p)
    b_ns = f.request(db, past_slots[0], p)
    b_old_ns = f.request(db, old_slots[0], p)
    b_past = f.request(db, past_slots[1], p)
    f.request(db, clinic["slot_ids"][0], q)
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id.in_([b_ns, b_old_ns])).values(status="no_show"))
        c.execute(update(Booking).where(Booking.id == b_cancel).values(status="cancelled"))
        c.execute(update(Booking).where(Booking.id == b_today2).values(status="confirmed"))
    h = patients.history(db, p, now=now)
    assert h.no_shows_90d == 1  # the one 120 days ago is out of the window
    assert [x.booking_id for x in h.bookings_that_day] == [b_today, b_today2]
    assert [x.booking_id for x in h.others_that_day(b_today)] == [b_today2]
    first = h.bookings_that_day[0]
    assert (first.day, first.starts_at, first.department, first.doctor, first.status) == (
        today, dt.time(8, 0), "内科", "张医生", "pending")
    # newest first, at most RECENT of them: the no-show 120 days ago is not among them
    assert [x.booking_id for x in h.recent] == [b_cancel, b_today2, b_today, b_past, b_ns]
    many = patients.histories(db, [p, q, r], today, now=now)
    assert set(many) == {p, q, r}
    assert many[p] == h
    assert (many[q].no_shows_90d, len(many[q].bookings_that_day), len(many[q].recent)) == (0, 1, 1)
    assert many[r] == patients.PatientHistory(r, 0, today, (), ())
    other_day = patients.histories(db, [p], today - dt.timedelta(days=10), now=now)[p]
    # the no-show that day is not an active booking; the pending one is
    assert [x.booking_id for x in other_day.bookings_that_day] == [b_past]
