"""The waitlist (候补) on every database: a request with no place left waits with its position; each freed
place (the mini-program's cancel, 加号, a larger capacity) confirms exactly one waiting request, the
oldest, once, with one 候补成功 message, even under racing cancels and fillers; the cut-off turns the rest
into full; the job service runs it and `autoapprove --once` leaves waiting requests pending."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text, update

from services.bookings import rules, waitlist
from services.cli import main
from services.cli.cmd_jobs import make_jobs
from services.config import Config, WeChatSettings
from services.jobs.runner import Runner
from services.models import Booking, Notification, Slot
from services.rosters import extra_places
from services.staff.actor import Actor
from tests import factories as f

ADMIN = Actor("staff", "admin", 1, "admin")


def _on(db, **more):
    rules.save(db, ADMIN, waitlist=True, **more)


def _reasons(db, ids):
    with db.read() as c:
        got = dict(c.execute(select(Booking.id, Booking.reason).where(Booking.id.in_(ids))).all())
    return [got[i] for i in ids]


def _messages(db, ids):
    """booking -> the kinds of its outbox rows, in order."""
    with db.read() as c:
        out: dict[int, list[str]] = {i: [] for i in ids}
        for b, kind in c.execute(select(Notification.booking_id, Notification.kind)
                                 .where(Notification.booking_id.in_(ids)).order_by(Notification.id)):
            out[b].append(kind)
    return out


def _cancel_as_miniprogram(db, booking_id):
    with db.engine.begin() as c:
        c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :b AND status IN ('pending', 'confirmed')"),
                  {"b": booking_id})


def _full_slot(db, waiting=2, capacity=1, slots=1):
    c = f.basic_clinic(db, capacity=capacity, slots=slots)
    held = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(capacity)]
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(waiting)]
    summary = rules.decide_pending(db)
    assert (summary.confirmed, summary.full, summary.waiting) == (capacity, 0, waiting)
    return c, held, ids


def test_a_request_with_no_place_waits_with_its_position(db):
    _on(db)
    _, held, ids = _full_slot(db, waiting=3)
    assert [f.status_of(db, i) for i in held + ids] == ["confirmed"] + ["pending"] * 3
    assert _reasons(db, ids) == ["候补中（第 1 位）", "候补中（第 2 位）", "候补中（第 3 位）"]
    assert _messages(db, ids) == {i: [] for i in ids}  # the statement says it; nothing is sent
    # deciding again leaves them alone, and a pass of the waitlist with no place changes nothing
    assert rules.decide_pending(db).decided == 0
    assert waitlist.fill(db) == waitlist.FillSummary(waiting=3)
    assert [f.status_of(db, i) for i in ids] == ["pending"] * 3


def test_without_the_rule_a_full_slot_is_full(db):
    c = f.basic_clinic(db, capacity=1, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(2)]
    rules.decide_pending(db)
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "full"]


def test_a_freed_place_confirms_the_oldest_once_with_one_message(db):
    _on(db)
    c, held, ids = _full_slot(db, waiting=3)
    _cancel_as_miniprogram(db, held[0])
    # a newer request arriving now queues behind the waiting ones instead of taking the freed place
    late = f.request(db, c["slot_ids"][0], f.patient(db))
    assert rules.decide_pending(db).waiting == 1
    assert _reasons(db, [late]) == ["候补中（第 4 位）"]
    s = waitlist.fill(db)
    assert (s.confirmed, s.failed, s.waiting) == (1, 0, 3)
    assert [f.status_of(db, i) for i in ids + [late]] == ["confirmed", "pending", "pending", "pending"]
    assert _reasons(db, ids[1:] + [late]) == ["候补中（第 1 位）", "候补中（第 2 位）", "候补中（第 3 位）"]
    assert waitlist.fill(db).confirmed == 0  # once
    assert _messages(db, ids + [late]) == {ids[0]: ["waitlisted"], ids[1]: [], ids[2]: [], late: []}
    # the mini-program cancels a waiting request: the others move up
    _cancel_as_miniprogram(db, ids[1])
    waitlist.fill(db)
    assert _reasons(db, [ids[2], late]) == ["候补中（第 1 位）", "候补中（第 2 位）"]


def test_extra_places_and_a_larger_capacity_fill_from_the_waitlist(db):
    _on(db)
    c, _, ids = _full_slot(db, waiting=4)
    extra_places.add_places(db, ADMIN, 2, "医生同意加号", slot_id=c["slot_ids"][0])
    assert waitlist.fill(db).confirmed == 2
    with db.write() as conn:  # the roster grows the slot (a plain capacity change)
        conn.execute(update(Slot).where(Slot.id == c["slot_ids"][0]).values(capacity=Slot.capacity + 1))
    assert waitlist.fill(db).confirmed == 1
    assert [f.status_of(db, i) for i in ids] == ["confirmed"] * 3 + ["pending"]
    assert _reasons(db, ids[3:]) == ["候补中（第 1 位）"]
    assert all(kinds == ["waitlisted"] for kinds in list(_messages(db, ids[:3]).values()))


def test_the_cut_off_turns_what_still_waits_into_full(db):
    _on(db, waitlist_cutoff_days_before=1, waitlist_cutoff_time="18:00")
    c, _, ids = _full_slot(db, waiting=2)
    before = dt.datetime.combine(c["day"] - dt.timedelta(days=1), dt.time(17, 59))
    assert waitlist.fill(db, now=before).failed == 0
    s = waitlist.fill(db, now=before + dt.timedelta(minutes=1))
    assert (s.failed, s.waiting) == (2, 0)
    assert [f.status_of(db, i) for i in ids] == ["full", "full"]
    assert _reasons(db, ids) == ["候补未成功", "候补未成功"]
    assert _messages(db, ids) == {i: ["full"] for i in ids}
    # after the cut-off a request with no place is full at once
    late = f.request(db, c["slot_ids"][0], f.patient(db))
    rules.decide_pending(db, now=before + dt.timedelta(minutes=2))
    assert f.status_of(db, late) == "full"


def test_a_request_may_wait_for_any_slot_of_its_session(db):
    _on(db, waitlist_any_slot=True)
    c = f.basic_clinic(db, capacity=1, slots=2)
    a, b = c["slot_ids"]
    held = [f.request(db, a, f.patient(db)), f.request(db, b, f.patient(db))]
    waiting = f.request(db, a, f.patient(db))
    rules.decide_pending(db)
    assert _reasons(db, [waiting]) == ["候补中（第 1 位）"]
    _cancel_as_miniprogram(db, held[1])  # a place frees in the other slot
    assert waitlist.fill(db).confirmed == 1
    with db.read() as conn:
        assert conn.execute(select(Booking.status, Booking.slot_id).where(Booking.id == waiting)).one() \
            == ("confirmed", b)


def test_racing_cancels_and_fillers_confirm_each_freed_place_once(db):
    _on(db)
    capacity, freed = 4, 3
    c, held, ids = _full_slot(db, waiting=6, capacity=capacity)
    errors: list[BaseException] = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(lambda b=b: _cancel_as_miniprogram(db, b))) for b in held[:freed]]
    threads += [threading.Thread(target=guarded(lambda: waitlist.fill(db))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a racing writer did not finish"
    assert not errors, errors
    waitlist.fill(db)  # whatever was freed after the last racing pass
    statuses = [f.status_of(db, i) for i in ids]
    assert statuses == ["confirmed"] * freed + ["pending"] * (len(ids) - freed)  # the oldest, exactly
    assert _messages(db, ids[:freed]) == {i: ["waitlisted"] for i in ids[:freed]}
    assert _reasons(db, ids[freed:]) == [f"候补中（第 {n} 位）" for n in range(1, len(ids) - freed + 1)]
    with db.read() as conn:
        taken = conn.execute(select(text("taken, capacity")).select_from(text("slot_counters"))
                             .where(text("slot_id = :s")), {"s": c["slot_ids"][0]}).one()
    assert taken == (capacity, capacity)


def test_the_job_service_fills_and_autoapprove_once_leaves_waiting_requests(db, db_url, capsys):
    _on(db)
    c = f.basic_clinic(db, capacity=1, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    assert main(["autoapprove", "--once", "--db", db_url]) == 0
    assert capsys.readouterr().out == "autoapprove: 1 confirmed, 0 full, 0 rejected, 0 skipped, 0 errors, 2 waiting\n"
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "pending", "pending"]
    _cancel_as_miniprogram(db, ids[0])
    assert main(["autoapprove", "--once", "--db", db_url]) == 0  # --once decides; it does not fill
    assert [f.status_of(db, i) for i in ids[1:]] == ["pending", "pending"]
    r = Runner(db, Config(db_url, WeChatSettings()), make_jobs(("decide", "waitlist")), interval=0.1)
    try:
        said = r.run_once()
    finally:
        r.close()
    assert [f.status_of(db, i) for i in ids[1:]] == ["confirmed", "pending"]
    assert said["waitlist"].startswith("1 confirmed from the waitlist"), said


def test_a_clerk_cannot_end_a_wait_by_approving_it_without_a_place(db):
    from services.bookings import decisions
    from services.errors import Conflict
    _on(db)
    _, _, ids = _full_slot(db, waiting=1)
    with pytest.raises(Conflict, match="候补中（第 1 位）"):
        decisions.approve(db, ADMIN, ids[0])
    assert f.status_of(db, ids[0]) == "pending" and _reasons(db, ids) == ["候补中（第 1 位）"]
