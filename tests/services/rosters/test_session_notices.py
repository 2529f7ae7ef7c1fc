"""Patients holding a booking hear of a substitution (替诊) and of new hours, on every database:
one outbox row per patient, written in the change's own transaction, from the console's service,
the command line and the roster import alike; nothing queued for a refused change."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import select

from services.cli import main as cli_main
from services.errors import ValidationError
from services.excel import exports
from services.models import Notification
from services.notify import outbox
from services.notify.delivery import DeliveryPolicy, deliver_due
from services.notify.wechat import WeChatClient
from services.rosters import imports, templates
from services.rosters.layout import ROSTER_FIRST_ROW, roster_column, week_label
from services.staff.actor import SYSTEM, Actor
from tests import factories as f
from tests.wechat_fake import FakeWeChat, settings_for

TODAY = dt.date.today()
DAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(days=14)  # a Monday two weeks ahead
ADMIN = Actor(kind="staff", name="admin1", role="admin")
T = dt.time


@pytest.fixture
def clinic(db):
    """A morning session of 张伟 with: two confirmed patients (one of them holding two slots), a
    pending request, a checked-in and a cancelled booking, and a confirmed walk-in without openid."""
    nk = f.department(db, "NK", "内科")
    zhang, li = f.doctor(db, nk, "张伟"), f.doctor(db, nk, "李娜")
    sid, slots = f.session(db, zhang, DAY, "am", T(8), T(10), slots=4, capacity=3)
    twice, once, walkin = f.patient(db), f.patient(db), f.patient(db, openid=None)
    booked = {}
    for key, slot, patient, status in (("twice_a", 0, twice, "confirmed"), ("twice_b", 1, twice, "confirmed"),
                                       ("once", 2, once, "confirmed"), ("pending", 0, f.patient(db), "pending"),
                                       ("arrived", 1, f.patient(db), "checked_in"),
                                       ("gone", 2, f.patient(db), "cancelled"), ("walkin", 3, walkin, "confirmed")):
        booked[key] = f.request(db, slots[slot], patient)
        if status != "pending":
            f.set_status(db, booked[key], status)
    return {"session": sid, "zhang": zhang, "li": li, "booked": booked}


def queued(db, kind: str) -> list[tuple[int, str, dict]]:
    with db.read() as c:
        return [(b, s, json.loads(p)) for b, s, p in c.execute(
            select(Notification.booking_id, Notification.state, Notification.payload)
            .where(Notification.kind == kind).order_by(Notification.id))]


def told(clinic) -> list[int]:
    """The bookings a session notice goes to: one per confirmed patient (the walk-in's is skipped)."""
    b = clinic["booked"]
    return [b["twice_a"], b["once"], b["walkin"]]


def test_a_substitution_tells_each_booked_patient_once(db, clinic):
    s = templates.substitute(db, ADMIN, clinic["session"], clinic["li"])
    rows = queued(db, "substituted")
    assert [r[0] for r in rows] == told(clinic) and s.notified == 3
    assert [r[1] for r in rows] == ["waiting", "waiting", "skipped"]  # no openid: nothing to send
    assert rows[0][2] == {"reason": "改由李娜医生出诊", "session_id": clinic["session"]}
    templates.substitute(db, ADMIN, clinic["session"], clinic["zhang"])  # back to the rostered doctor: told again
    assert [r[0] for r in queued(db, "substituted")] == told(clinic) * 2


def test_new_hours_tell_each_booked_patient_once_and_a_note_tells_nobody(db, clinic):
    templates.update_session(db, ADMIN, clinic["session"], note="诊室改到三楼")
    assert queued(db, "rescheduled") == []
    s = templates.update_session(db, ADMIN, clinic["session"], starts_at="07:30")
    rows = queued(db, "rescheduled")
    assert [r[0] for r in rows] == told(clinic) and s.notified == 3
    assert rows[0][2]["reason"] == "出诊时间改为07:30-10:00"


def test_a_refused_change_queues_nothing(db, clinic):
    with pytest.raises(ValidationError):
        templates.update_session(db, ADMIN, clinic["session"], starts_at="08:30")  # would leave out a slot
    with pytest.raises(ValidationError):
        templates.substitute(db, ADMIN, clinic["session"], clinic["zhang"])  # already his
    with db.read() as c:
        assert c.execute(select(Notification.id)).all() == []


def test_the_command_line_substitution_tells_the_patients(db, db_url, clinic, capsys, monkeypatch):
    f.cli_login(db, monkeypatch)  # a substitution acts as the admin who logs in
    rc = cli_main(["roster", "substitute", str(clinic["session"]), "--doctor", str(clinic["li"]), "--db", db_url])
    out, err = capsys.readouterr()
    assert (rc, err) == (0, "") and "3 条通知待发送" in out
    assert [r[0] for r in queued(db, "substituted")] == told(clinic)


def test_new_hours_from_a_roster_import_tell_the_patients(db, clinic, tmp_path):
    path = tmp_path / "roster.xlsx"
    exports.export_roster(db, SYSTEM, week_label(DAY), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["内科"]
    row = next(r for r in range(ROSTER_FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == clinic["zhang"])
    ws.cell(row, roster_column(0, 0)).value = "08:00-11:00 共12号"  # one more hour, the same slots kept
    wb.save(path)
    summary = imports.import_roster(db, SYSTEM, path)
    assert summary.notified == 3 and "3 位已预约患者将收到时间变更通知" in str(summary)
    assert [r[0] for r in queued(db, "rescheduled")] == told(clinic)
    # importing the same file again changes nothing and tells nobody again
    assert imports.import_roster(db, SYSTEM, path).notified == 0
    assert len(queued(db, "rescheduled")) == 3


def test_a_notice_is_sent_with_its_result_and_dropped_once_the_booking_is_gone(db, clinic):
    templates.substitute(db, ADMIN, clinic["session"], clinic["li"])
    f.set_status(db, clinic["booked"]["once"], "cancelled")  # cancelled before the sender came by
    with FakeWeChat() as fake, WeChatClient(db, settings_for(fake), timeout=0.5) as client:
        result = deliver_due(db, client, policy=DeliveryPolicy())
        assert (result.sent, result.skipped) == (1, 1)
        [rec] = fake.delivered()
    data = rec.body["data"]
    assert data["phrase4"]["value"] == "更换医生" and data["thing5"]["value"] == "改由李娜医生出诊"
    assert rec.body["page"].endswith(f"id={clinic['booked']['twice_a']}")


def test_only_session_kinds_are_queued_per_session(db, clinic):
    with db.write() as c, pytest.raises(ValueError):
        outbox.enqueue_for_session(c, clinic["session"], "confirmed")
