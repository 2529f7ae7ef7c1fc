"""The rosters page says what really happens to the WeChat messages a change queues: whether WeChat is
set up, whether anything sends them now, and how many patients a substitution or new hours tell."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, update

from console.notifications.delivery import delivery_text
from console.rosters.page import RosterPage, monday_of
from services.bookings import decisions
from services.cli.cmd_jobs import make_jobs
from services.clock import utcnow
from services.config import Config, WeChatSettings
from services.jobs.runner import Runner
from services.models import Notification
from services.notify import outbox
from services.notify.wechat_settings import save_wechat_settings
from tests import factories
from tests.console.page_support import ADMIN, OFFSCREEN_NOISE, drain, make_ctx
from tests.wechat_fake import FakeWeChat

pytestmark = OFFSCREEN_NOISE

NEXT_MONDAY = monday_of(dt.date.today()) + dt.timedelta(days=7)


@pytest.fixture
def clinic(sqlite_db):
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    wang, li = factories.doctor(db, dep, "王明", "主任医师"), factories.doctor(db, dep, "李华", "主治医师")
    sid, slots = factories.session(db, wang, NEXT_MONDAY + dt.timedelta(days=1), "am", slots=4, capacity=2)
    booked = []
    for slot in (slots[0], slots[1], slots[2]):
        b = factories.request(db, slot, factories.patient(db))
        decisions.approve(db, ADMIN, b)
        booked.append(b)
    factories.request(db, slots[3], factories.patient(db))  # pending: told of a stop, not of a substitution
    return {"db": db, "session": sid, "li": li, "booked": booked}


def configure(db) -> None:
    save_wechat_settings(db, ADMIN, appid="wx-test", secret="s3cret", template_id="TPL")


def open_page(qtbot, db) -> RosterPage:
    ctx = make_ctx(db, ADMIN)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    drain(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    return page


def dialog_of(qtbot, page, action, name):
    getattr(page, action).trigger()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == name, timeout=10_000)
    return page.dialog


def test_stop_says_plainly_that_nothing_sends_when_wechat_is_not_configured(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    assert page.select_session(clinic["session"])
    text = dialog_of(qtbot, page, "stop_action", "stopDialog").message.text()
    assert "4 patients" in text and "queued" in text
    assert "WeChat is not configured, so nothing sends these messages now" in text
    assert "will all be told" not in text


def test_stop_says_the_job_service_sends_when_its_heartbeat_is_fresh(qtbot, clinic):
    with FakeWeChat() as fake:
        save_wechat_settings(clinic["db"], ADMIN, appid=fake.appid, secret=fake.secret,
                             template_id=fake.template_id, api_base=fake.url)
        runner = Runner(clinic["db"], Config("", WeChatSettings()), make_jobs(("send",), timeout=2))
        runner.run_once()  # a job service's round: it sends the approvals' messages
        assert len(fake.delivered()) == 3
    page = open_page(qtbot, clinic["db"])
    assert page.select_session(clinic["session"])
    text = dialog_of(qtbot, page, "stop_action", "stopDialog").message.text()
    assert "The job service sends WeChat messages: they go out within a few seconds" in text
    runner.close()  # stopped: no longer a promise
    assert "has not reported since" in delivery_text(outbox.outbox_state(clinic["db"], Config("", WeChatSettings())))


def test_stop_says_nothing_is_sending_when_messages_have_waited(qtbot, clinic):
    db = clinic["db"]
    configure(db)
    with db.write() as c:  # the approvals' messages, queued 10 minutes ago and never sent
        c.execute(update(Notification).values(next_attempt_at=utcnow() - dt.timedelta(minutes=10)))
    page = open_page(qtbot, db)
    assert page.select_session(clinic["session"])
    text = dialog_of(qtbot, page, "stop_action", "stopDialog").message.text()
    assert "the job service (regdesk jobs), which has never run on this database" in text
    assert "3 message(s) have waited since" in text and "console" not in text


def test_substitute_names_the_patients_told_and_queues_their_messages(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    assert page.select_session(clinic["session"])
    dialog = dialog_of(qtbot, page, "substitute_action", "substituteDialog")
    assert "3 patient(s) holding a booking will be told" in dialog.message.text()
    assert "WeChat is not configured" in dialog.message.text()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "3 WeChat message(s) queued" in page.status.text()
    with db.read() as c:
        told = c.execute(select(Notification.booking_id).where(Notification.kind == "substituted")
                         .order_by(Notification.booking_id)).scalars().all()
    assert told == clinic["booked"]


def test_new_hours_from_the_session_dialog_queue_one_message_per_patient(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    assert page.select_session(clinic["session"])
    dialog = dialog_of(qtbot, page, "change_action", "sessionDialog")
    qtbot.waitUntil(lambda: dialog.session is not None, timeout=10_000)
    assert "3 patient(s) holding a booking will be told" in dialog.message.text()
    dialog.starts.setTime(dialog.starts.time().addSecs(-30 * 60))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "3 WeChat message(s) queued" in page.status.text()
    with db.read() as c:
        assert len(c.execute(select(Notification.id).where(Notification.kind == "rescheduled")).all()) == 3
