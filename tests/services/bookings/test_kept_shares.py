"""Shares kept for referrals (转诊/医联体) and follow-ups (复诊) beside the desk's (号源池), on every database: a
referral takes the referral share first and then the online share, a follow-up (a patient seen in the
department within N days) the follow-up share first; ordinary online requests never take a kept share before
its cut-off, and each kept share opens to everyone at its own; the online share opens to the desk at its
cut-off; slot_availability says what each kind of request may book; under racing mini-program writers,
deciders and walk-ins no share is taken by those it is not kept for and no slot goes over capacity."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from services.bookings import decisions, rules, waitlist
from services.errors import ValidationError
from services.rosters import shares
from services.rosters.shares import Slots
from services.staff.actor import Actor
from tests import factories as f
from tests.services.bookings.test_shares import race
from tests.snapshot import snapshot

ADMIN = Actor("staff", "admin", 1, "admin")
VIEW = "SELECT remaining, online_remaining, referral_remaining, followup_remaining FROM slot_availability"


def _view(db, slot_id):
    with db.read() as c:
        return tuple(c.execute(text(f"{VIEW} WHERE slot_id = :s"), {"s": slot_id}).one())


def _held(db, slot_id):
    """'desk' / 'referral' / 'followup' / 'online' -> places held in the slot (by the confirmed bookings' kinds)."""
    with db.read() as c:
        rows = c.execute(text("SELECT source, share_kind, COUNT(*) FROM bookings WHERE slot_id = :s"
                              " AND status IN ('confirmed', 'checked_in', 'no_show') GROUP BY source, share_kind"),
                         {"s": slot_id}).all()
    out: dict[str, int] = {}
    for source, kind, n in rows:
        key = "desk" if source == "desk" else kind or "online"
        out[key] = out.get(key, 0) + n
    return out


def _clinic(db, capacity=10, **pcts):
    c = f.basic_clinic(db, capacity=capacity, slots=1)
    for kind, pct in pcts.items():
        shares.set_share(db, ADMIN, pct, department_id=c["department_id"], kind=kind)
    return c


def _seen(db, c, days_ago=3, doctor=None):
    """A patient seen (checked in) in the clinic's department ``days_ago`` days before its clinic day."""
    p = f.patient(db)
    doc = doctor or c["doctor_id"]
    _, slots = f.session(db, doc, c["day"] - dt.timedelta(days=days_ago), period="pm", starts=dt.time(13, 0),
                         ends=dt.time(17, 0), slots=1, capacity=1)
    f.set_status(db, f.request(db, slots[0], p), "checked_in")
    return p


# ---------------------------------------------------------------- the arithmetic, without a database

def _slots(held, opened=(), capacity=10, desk=2, referral=3, followup=0):
    h = {"desk": 0, "referral": 0, "followup": 0, "online": 0, **held}
    return Slots(capacity, {"desk": desk, "referral": referral, "followup": followup}, frozenset(opened), h)


def test_who_may_take_which_places():
    s = _slots({})  # 10 places: 2 desk, 3 referral, 5 online
    assert (s.left("online"), s.left("referral"), s.left("desk", False), s.left("desk", True)) == (5, 8, 2, 7)
    assert (s.share("referral"), s.share("online"), s.share("desk", False)) == ("referral", "online", "desk")
    s = _slots({"referral": 5})  # the referral share and two online places
    assert (s.left("online"), s.left("referral"), s.share("referral")) == (3, 3, "online")
    s = _slots({"online": 5})
    assert (s.left("online"), s.left("referral"), s.left("followup"), s.share("online")) == (0, 3, 0, None)
    s = _slots({"online": 5}, opened={"referral"})  # at its cut-off the referral share is everyone's
    assert (s.left("online"), s.left("referral"), s.left("desk", False)) == (3, 3, 5)
    s = _slots({"desk": 4, "online": 3}, opened={"referral"})  # desk beyond its share (on the day)
    assert (s.left("online"), s.left("desk", False), s.left("desk", True)) == (3, 1, 3)


# ---------------------------------------------------------------- on every database

def test_a_referral_takes_the_referral_share_first_then_the_online_share(db):
    c = _clinic(db, desk=20, referral=30)  # 10 places: 2 desk, 3 referral, 5 online
    slot = c["slot_ids"][0]
    assert _view(db, slot) == (10, 5, 8, 5)
    refs = [f.referral(db, slot, f.patient(db), code=f"ZZ{n:04d}") for n in range(4)]
    plain = [f.request(db, slot, f.patient(db)) for _ in range(6)]
    s = rules.decide_pending(db)
    assert (s.confirmed, s.full) == (8, 2)
    assert [f.status_of(db, b) for b in refs] == ["confirmed"] * 4  # 3 of the referral share, 1 online
    assert [f.status_of(db, b) for b in plain] == ["confirmed"] * 4 + ["full"] * 2
    assert _held(db, slot) == {"referral": 4, "online": 4}
    assert _view(db, slot) == (2, 0, 0, 0)  # the desk's two places are left
    decisions.walk_in(db, ADMIN, slot, f.patient(db))
    assert _view(db, slot) == (1, 0, 0, 0)


def test_online_requests_never_take_the_referral_share_and_a_referral_without_its_code_is_online(db):
    c = _clinic(db, capacity=4, referral=50)  # 2 referral, 2 online
    slot = c["slot_ids"][0]
    unmarked = f.patient(db)
    with db.engine.begin() as conn:  # marked a referral, but no referral's number: an ordinary request
        conn.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source, channel)"
                          " VALUES (:s, :p, 'pending', 'miniprogram', 'referral')"), {"s": slot, "p": unmarked})
    plain = [f.request(db, slot, f.patient(db)) for _ in range(2)]
    rules.decide_pending(db)
    assert [f.status_of(db, b) for b in plain] == ["confirmed", "full"]
    assert _held(db, slot) == {"online": 2} and _view(db, slot) == (2, 0, 2, 0)
    ref = f.referral(db, slot, f.patient(db))
    pending = f.request(db, slot, f.patient(db))
    assert decisions.approve(db, ADMIN, pending).status == "full"  # a clerk's approval keeps the share too
    assert decisions.approve(db, ADMIN, ref).status == "confirmed"
    assert _held(db, slot) == {"online": 2, "referral": 1}


def test_a_follow_up_takes_the_follow_up_share(db):
    rules.save(db, ADMIN, followup_days=7)
    c = _clinic(db, capacity=4, followup=50)  # 2 follow-up, 2 online
    slot = c["slot_ids"][0]
    assert _view(db, slot) == (4, 2, 2, 4)
    recent, old = _seen(db, c, days_ago=3), _seen(db, c, days_ago=8)
    other_dep = f.department(db, "WK", "外科")
    elsewhere = _seen(db, c, days_ago=2, doctor=f.doctor(db, other_dep, "李医生"))
    for p in (f.patient(db), f.patient(db), old, elsewhere):
        f.request(db, slot, p)
    follow = f.request(db, slot, recent)
    rules.decide_pending(db)
    assert f.status_of(db, follow) == "confirmed"
    assert _held(db, slot) == {"online": 2, "followup": 1} and _view(db, slot) == (1, 0, 0, 1)
    # with followup_same_doctor, a visit to another doctor of the department is no follow-up
    rules.save(db, ADMIN, followup_same_doctor=True)
    colleague = _seen(db, c, days_ago=1, doctor=f.doctor(db, c["department_id"], "王医生"))
    assert f.status_of(db, _decide(db, slot, colleague)) == "full"
    same = _seen(db, c, days_ago=1)
    assert f.status_of(db, _decide(db, slot, same)) == "confirmed"


def _decide(db, slot, patient):
    b = f.request(db, slot, patient)
    rules.decide_pending(db)
    return b


def test_each_kept_share_opens_to_everyone_at_its_cut_off(db):
    rules.save(db, ADMIN, referral_share_opens_days_before=2, referral_share_opens_time="12:00")
    c = _clinic(db, capacity=4, desk=25, referral=25, followup=25)  # one place each, one online
    slot = c["slot_ids"][0]
    assert _view(db, slot) == (4, 1, 2, 2)
    ref_cut = dt.datetime.combine(c["day"] - dt.timedelta(days=2), dt.time(12, 0))
    desk_cut = dt.datetime.combine(c["day"] - dt.timedelta(days=1), dt.time(18, 0))
    assert shares.open_due(db, ref_cut - dt.timedelta(minutes=1)) == 0
    assert shares.opens_at(c["day"], rules.load(db), "referral") == ref_cut
    assert shares.open_due(db, ref_cut) == 1
    assert _view(db, slot) == (4, 2, 2, 3)  # the referral place is everyone's now
    assert shares.open_due(db, ref_cut) == 0
    assert shares.open_due(db, desk_cut) == 1  # the desk's and the follow-ups' at 18:00 the day before
    assert _view(db, slot) == (4, 4, 4, 4)


def test_the_waitlist_gives_a_freed_referral_place_to_a_waiting_referral(db):
    rules.save(db, ADMIN, waitlist=True)
    c = _clinic(db, capacity=2, referral=50)  # 1 referral, 1 online
    slot = c["slot_ids"][0]
    first = f.referral(db, slot, f.patient(db))
    online = [f.request(db, slot, f.patient(db)) for _ in range(2)]
    rules.decide_pending(db)
    assert [f.status_of(db, b) for b in [first, *online]] == ["confirmed", "confirmed", "pending"]
    second = f.referral(db, slot, f.patient(db), code="ZZ2")
    rules.decide_pending(db)  # no place for it: it waits behind the online request
    assert waitlist.position_of(_reason(db, second)) == 2
    decisions.cancel(db, ADMIN, first, "患者改期")
    assert waitlist.fill(db).confirmed == 1
    assert (f.status_of(db, online[1]), f.status_of(db, second)) == ("pending", "confirmed")
    decisions.cancel(db, ADMIN, second, "患者改期")
    third = f.referral(db, slot, f.patient(db), code="ZZ3")
    rules.decide_pending(db)  # the referral place is free: a waiting online request could not take it
    assert (f.status_of(db, third), waitlist.position_of(_reason(db, online[1]))) == ("confirmed", 1)


def _reason(db, booking_id):
    with db.read() as c:
        return c.execute(text("SELECT reason FROM bookings WHERE id = :b"), {"b": booking_id}).scalar_one()


def test_the_online_share_opens_to_the_desk_at_its_cut_off(db):
    rules.save(db, ADMIN, online_share_opens_days_before=1, online_share_opens_time="12:00")
    c = _clinic(db, capacity=4, desk=25, referral=25)  # 1 desk, 1 referral, 2 online
    slot = c["slot_ids"][0]
    cut = dt.datetime.combine(c["day"] - dt.timedelta(days=1), dt.time(12, 0))
    decisions.walk_in(db, ADMIN, slot, f.patient(db), now=cut - dt.timedelta(hours=1))
    late = f.patient(db)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="现场号已用完"):
        decisions.walk_in(db, ADMIN, slot, late, now=cut - dt.timedelta(minutes=1))
    assert snapshot(db) == before
    for _ in range(2):
        decisions.walk_in(db, ADMIN, slot, f.patient(db), now=cut)
    with pytest.raises(ValidationError, match="现场号已用完"):  # the referral place is not the desk's yet
        decisions.walk_in(db, ADMIN, slot, f.patient(db), now=cut)
    assert _held(db, slot) == {"desk": 3} and _view(db, slot) == (1, 0, 1, 0)


def test_shares_kept_together_may_not_exceed_all_places(db):
    c = _clinic(db, desk=40, referral=40)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="100%"):
        shares.set_share(db, ADMIN, 30, department_id=c["department_id"], kind="followup")
    with pytest.raises(ValidationError, match="100%"):
        shares.set_share(db, ADMIN, 70, session_id=c["session_id"], kind="desk")
    with pytest.raises(ValidationError):
        shares.set_share(db, ADMIN, 10, department_id=c["department_id"], kind="vip")
    assert snapshot(db) == before
    shares.set_share(db, ADMIN, 60, session_id=c["session_id"], kind="desk")  # 60 + 40: all places kept
    before = snapshot(db)
    with pytest.raises(ValidationError, match="出诊"):  # the session's referral share would pass 100 % with it
        shares.set_share(db, ADMIN, 50, department_id=c["department_id"], kind="referral")
    assert snapshot(db) == before


def test_racing_writers_deciders_and_walk_ins_keep_every_share(db):
    c = _clinic(db, desk=20, referral=20, followup=20)  # 10 places: 2 each kept, 4 online
    slot = c["slot_ids"][0]
    rules.save(db, ADMIN, followup_days=30)
    followers = [_seen(db, c, days_ago=2, doctor=f.doctor(db, c["department_id"], f"医生{n}")) for n in range(4)]
    plain, referrals, desk = [f.patient(db) for _ in range(8)], [f.patient(db) for _ in range(4)], \
        [f.patient(db) for _ in range(4)]
    jobs = [lambda p=p: f.request(db, slot, p) for p in plain + followers]
    jobs += [lambda p=p, n=n: f.referral(db, slot, p, code=f"ZZ{n}") for n, p in enumerate(referrals)]
    race(db, [lambda k=k: [j() for j in jobs[k::4]] for k in range(4)],
         [lambda p=p: decisions.walk_in(db, ADMIN, slot, p) for p in desk])
    held = _held(db, slot)
    assert held.get("desk") == 2 and sum(held.values()) == 10, held  # every place taken, none twice
    assert held.get("online", 0) <= 4, held  # ordinary requests: the online share only
    assert held.get("online", 0) + held.get("followup", 0) <= 6, held  # the referral share: referrals only
    assert held.get("online", 0) + held.get("referral", 0) <= 6, held  # the follow-up share: follow-ups only
    with db.read() as conn:
        pending = conn.execute(text("SELECT COUNT(*) FROM bookings WHERE status = 'pending'")).scalar_one()
    assert pending == 0 and _view(db, slot) == (0, 0, 0, 0)


def test_a_database_of_the_desk_share_upgrades_with_its_rows_and_back(db_url):
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from services import migrate
    from services.db import Database

    def alembic(conn) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg
    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            command.upgrade(alembic(conn), "0010_shares")
        c = f.basic_clinic(db, capacity=4, slots=1)
        slot = c["slot_ids"][0]
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE departments SET desk_share_pct = 50"))
        f.set_status(db, f.request(db, slot, f.patient(db)), "confirmed")
        f.request(db, slot, f.patient(db))
        with db.read() as conn:
            old = tuple(conn.execute(text("SELECT remaining, online_remaining FROM slot_availability")).one())
        assert old == (3, 1)
        migrate.upgrade(db)
        assert _view(db, slot) == (3, 1, 1, 1)
        with db.read() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM bookings WHERE channel IS NULL AND share_kind IS NULL"
                                     " AND referral_code IS NULL")).scalar_one() == 2
        with db.engine.begin() as conn:  # down and up again
            command.downgrade(alembic(conn), "0010_shares")
        with db.read() as conn:
            assert tuple(conn.execute(text("SELECT remaining, online_remaining FROM slot_availability")).one()) == old
        migrate.upgrade(db)
        assert _view(db, slot) == (3, 1, 1, 1)
    finally:
        db.dispose()


def test_a_batch_reads_many_slots_at_once_and_counts_its_own_confirmations(db):
    c = f.basic_clinic(db, capacity=4, slots=3)
    shares.set_share(db, ADMIN, 50, department_id=c["department_id"], kind="referral")  # 2 referral, 2 online
    a, b, free = c["slot_ids"]
    f.referral(db, a, f.patient(db))
    f.request(db, b, f.patient(db))
    f.request(db, b, f.patient(db))
    rules.decide_pending(db)
    ref = f.referral(db, b, f.patient(db), code="ZZ9")
    with db.read() as conn:
        row = decisions.load_context(conn, ref)
        counters = {s: tuple(conn.execute(text("SELECT capacity, taken FROM slot_counters WHERE slot_id = :s"),
                                          {"s": s}).one()) for s in (a, b, free)}
        many = shares.online_left_many(conn, counters)
        infos = shares.read_shares(conn, counters)
        now = dt.datetime.combine(c["day"], dt.time(0, 0)) - dt.timedelta(days=2)
        one = shares.place_for(conn, b, *counters[b], row, now=now)
        batch = shares.place_for(conn, b, *counters[b], row, now=now, known=infos[b])
        after = infos[b].after(batch)
        assert shares.place_for(conn, b, counters[b][0], counters[b][1] + 1, row, now=now, known=after).left == 1
    assert many == {s: _view(db, s)[1] for s in (a, b, free)} == {a: 2, b: 0, free: 2}
    assert one == batch and (batch.kind, batch.left, batch.share) == ("referral", 2, "referral")
    assert after.held["referral"] == 1 and infos[b].held["referral"] == 0
