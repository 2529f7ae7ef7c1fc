"""Extra places (加号): who may add them, where they go, the limits, the audit, and that a request short
of a place is confirmed once they are there; the command line's `roster extra`; on every database."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from services.bookings import rules
from services.clock import hospital_today
from services.errors import PermissionDenied, ValidationError
from services.models import AuditLog, Slot
from services.rosters import extra_places
from services.staff.actor import Actor
from tests import factories as f

ADMIN = Actor("staff", "admin", 1, "admin")
CLERK = Actor("staff", "clerk", 3, "clerk")


def _capacities(db, session_id):
    with db.read() as c:
        return c.execute(select(Slot.capacity).where(Slot.session_id == session_id).order_by(Slot.starts_at)).scalars().all()


def _audit_count(db):
    with db.read() as c:
        return c.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def test_extra_places_to_a_slot_and_a_session(db):
    c = f.basic_clinic(db, day=hospital_today() + dt.timedelta(days=2), capacity=1, slots=3)
    head = Actor("staff", "head", 2, "head", frozenset({c["department_id"]}))
    other_head = Actor("staff", "head2", 4, "head", frozenset({c["department_id"] + 100}))
    first = c["slot_ids"][0]
    taken, waiting = f.request(db, first, f.patient(db)), f.request(db, first, f.patient(db))
    assert rules.decide_pending(db).confirmed == 1  # the slot's one place; the other request is full
    assert f.status_of(db, waiting) == "full"
    done = extra_places.add_places(db, head, 2, "张医生同意加号", slot_id=first)
    assert (done.slot_id, done.added, done.capacity, done.session_capacity) == (first, 2, 3, 5)
    assert _capacities(db, c["session_id"]) == [3, 1, 1]
    late = f.request(db, first, f.patient(db))  # a request now finds a place
    assert rules.decide_pending(db).confirmed == 1 and f.status_of(db, late) == "confirmed"
    # a session's extra places go to its last slot
    extra_places.add_places(db, ADMIN, 1, "下午加号", session_id=c["session_id"])
    assert _capacities(db, c["session_id"]) == [3, 1, 2]
    with db.read() as conn:
        rows = conn.execute(select(AuditLog.actor, AuditLog.entity_id, AuditLog.detail)
                            .where(AuditLog.action == "extra").order_by(AuditLog.id)).all()
    assert [(a, e) for a, e, _ in rows] == [("head", str(first)), ("admin", str(c["slot_ids"][2]))]
    assert json.loads(rows[0][2]) == {"session_id": c["session_id"], "places": 2, "before": 1, "capacity": 3,
                                      "reason": "张医生同意加号"}
    # who may: not a head of another department, not a clerk unless the hospital allows it
    for actor in (other_head, CLERK):
        with pytest.raises(PermissionDenied):
            extra_places.add_places(db, actor, 1, "加号", slot_id=first)
    rules.save(db, ADMIN, clerks_add_places=True)
    extra_places.add_places(db, CLERK, 1, "门诊加号", slot_id=first)
    assert _capacities(db, c["session_id"]) == [4, 1, 2]
    assert taken


def test_extra_places_refuse_bad_input_and_change_nothing(db):
    c = f.basic_clinic(db, day=hospital_today() + dt.timedelta(days=2), capacity=2, slots=2)
    past_sid, past_slots = f.session(db, c["doctor_id"], hospital_today() - dt.timedelta(days=1))
    stopped_sid, _ = f.session(db, c["doctor_id"], hospital_today() + dt.timedelta(days=3), status="stopped")
    before = (_capacities(db, c["session_id"]), _audit_count(db))
    cases = [
        (dict(places=0, reason="加号", slot_id=c["slot_ids"][0]), "号数"),
        (dict(places=10_000, reason="加号", slot_id=c["slot_ids"][0]), "号数"),
        (dict(places=9_996, reason="加号", slot_id=c["slot_ids"][0]), "超过上限"),
        (dict(places=1, reason="  ", slot_id=c["slot_ids"][0]), "加号原因不能为空"),
        (dict(places=1, reason="加号", slot_id=c["slot_ids"][0], session_id=c["session_id"]), "二选一"),
        (dict(places=1, reason="加号", session_id=past_sid), "已结束"),
        (dict(places=1, reason="加号", session_id=stopped_sid), "已停诊"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            extra_places.add_places(db, ADMIN, **kwargs)
    assert (_capacities(db, c["session_id"]), _audit_count(db)) == before


def test_roster_extra_command(db, db_url, capsys, monkeypatch):
    c = f.basic_clinic(db, day=hospital_today() + dt.timedelta(days=2), capacity=2, slots=2)
    rc, out, err = f.run_cli(capsys, "roster", "extra", "--session", str(c["session_id"]), "--places", "3",
                             "--reason", "加号", "--db", db_url)
    assert rc != 0 and "--user" in err and len(err.strip().splitlines()) == 1
    f.cli_login(db, monkeypatch, "head1", role="head", department_ids=(c["department_id"],))
    rc, out, err = f.run_cli(capsys, "roster", "extra", "--session", str(c["session_id"]), "--places", "0",
                             "--reason", "加号", "--db", db_url)
    assert rc == 2 and "must be greater than 0" in err and out == ""
    rc, out, err = f.run_cli(capsys, "roster", "extra", "--session", str(c["session_id"]), "--places", "3",
                             "--reason", "张医生同意加号", "--db", db_url)
    assert rc == 0, err
    assert "加号 3 个：该时段共 5 号，本次出诊共 7 号" in out
    assert _capacities(db, c["session_id"]) == [2, 5]
