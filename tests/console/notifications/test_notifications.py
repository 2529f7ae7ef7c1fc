"""The notification failures page and the WeChat settings page, on a real SQLite database and a fake WeChat."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, update

from console.notifications.pages import NotificationFailuresPage, WeChatSettingsPage
from services.models import Booking, Notification
from services.notify import outbox
from services.notify.delivery import list_failures
from services.notify.wechat_settings import load_wechat_settings, save_wechat_settings
from tests import factories as f
from tests.console.page_support import (
    ADMIN,
    CLERK,
    OFFSCREEN_NOISE,
    cleared_by_editing,
    drain,
    error_by,
    head,
    make_ctx,
)
from tests.wechat_fake import FakeWeChat

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def fake():
    with FakeWeChat() as f_:
        yield f_


def failed_bookings(db, n: int = 2) -> list[int]:
    clinic = f.basic_clinic(db, capacity=n, slots=1)
    ids = [f.request(db, clinic["slot_ids"][0], f.patient(db, name=f"失败{i}")) for i in range(n)]
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id.in_(ids)).values(status="confirmed"))
        outbox.enqueue(c, ids, "confirmed")
        c.execute(update(Notification).values(state="failed", attempts=1,
                                              last_error="微信返回 40003：invalid openid"))
    return ids


def open_page(qtbot, cls, db, actor=ADMIN):
    ctx = make_ctx(db, actor)
    page = cls(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    drain(qtbot, ctx)
    return page


def texts(model) -> list[str]:
    return [" ".join(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


# ---------------------------------------------------------------- failures page

def test_failures_are_listed_with_their_reason(qtbot, qtmodeltester, sqlite_db):
    failed_bookings(sqlite_db)
    page = open_page(qtbot, NotificationFailuresPage, sqlite_db)
    assert page.model.rowCount() == 2
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)
    rows = texts(page.model)
    assert all("40003" in t and "invalid openid" in t and "发送失败" in t and "内科" in t for t in rows)
    assert any("失败0" in t for t in rows)
    assert not page.retry_button.isEnabled()  # nothing selected


def test_retry_puts_the_selected_message_back_in_the_queue(qtbot, sqlite_db):
    ids = failed_bookings(sqlite_db)
    page = open_page(qtbot, NotificationFailuresPage, sqlite_db, actor=head())
    page.view.selectRow(0)
    assert page.retry_button.isEnabled()
    chosen = page.selected()[0]
    with qtbot.waitSignal(page.retried) as blocker:
        qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [[chosen.id]]
    drain(qtbot, page.ctx)
    assert page.model.rowCount() == 1
    assert f.notification_states(sqlite_db, ids)[chosen.booking_id] == "待发送"
    assert [r.id for r in list_failures(sqlite_db)] == [r.id for r in page.model.rows]


def test_a_head_sees_the_failures_of_their_own_departments_only(qtbot, sqlite_db):
    failed_bookings(sqlite_db, n=1)  # 内科
    wk = f.department(sqlite_db, "WK", "外科")
    _sid, slots = f.session(sqlite_db, f.doctor(sqlite_db, wk, "王医生"), dt.date.today() + dt.timedelta(days=2))
    theirs = f.request(sqlite_db, slots[0], f.patient(sqlite_db, name="外科患者"))
    with sqlite_db.write() as c:
        outbox.enqueue(c, [theirs], "confirmed")
        c.execute(update(Notification).values(state="failed", attempts=1, last_error="微信返回 40003"))
    assert len(list_failures(sqlite_db)) == 2
    page = open_page(qtbot, NotificationFailuresPage, sqlite_db, actor=head(wk))
    assert page.model.rowCount() == 1 and "外科患者" in texts(page.model)[0]


def test_a_clerk_cannot_retry(qtbot, sqlite_db):
    failed_bookings(sqlite_db, n=1)
    page = open_page(qtbot, NotificationFailuresPage, sqlite_db, actor=CLERK)
    page.view.selectRow(0)
    assert not page.retry_button.isEnabled()
    page.retry_selected()  # even if asked to, the service refuses and the page says so
    drain(qtbot, page.ctx)
    assert "clerk" in page.messages.text()  # in the page's message bar, as the queue says it
    assert len(list_failures(sqlite_db)) == 1


def test_a_message_retried_elsewhere_meanwhile_is_reported_not_fatal(qtbot, sqlite_db):
    failed_bookings(sqlite_db)
    page = open_page(qtbot, NotificationFailuresPage, sqlite_db)
    page.view.selectAll()
    first = page.selected()[0]
    with sqlite_db.write() as c:  # another console retried one of them
        c.execute(update(Notification).where(Notification.id == first.id).values(state="waiting"))
    with qtbot.waitSignal(page.retried) as blocker:
        page.retry_selected()
    assert len(blocker.args[0]) == 1 and first.id not in blocker.args[0]
    drain(qtbot, page.ctx)
    assert "待发送" in page.messages.text()
    assert page.model.rowCount() == 0


# ---------------------------------------------------------------- settings page

def test_settings_are_saved_to_the_database(qtbot, sqlite_db):
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db)
    assert page.isEnabled()
    assert page.fields["field_map"].toPlainText().startswith("thing1 = patient_name")
    assert page.secret_state.text() == "Not set" and page.fields["secret"].isHidden()
    page.fields["appid"].setText("wx-from-console")
    qtbot.mouseClick(page.replace_secret, Qt.MouseButton.LeftButton)
    assert page.fields["secret"].isVisible() and page.fields["secret"].hasFocus()
    qtbot.keyClicks(page.fields["secret"], "console-secret")
    page.fields["template_id"].setText("TPL-1")
    state = page.fields["miniprogram_state"]
    # words for the admin, WeChat's value stored
    assert [state.itemText(i) for i in range(state.count())] == [
        "Released version (formal)", "Trial version (trial)", "Developer version (developer)"]
    assert page.fields["lang"].currentText() == "Simplified Chinese"
    state.setCurrentIndex(state.findData("trial"))
    page.fields["field_map"].setPlainText("thing1 = patient_name\nphrase2 = result\n")
    with qtbot.waitSignal(page.saved):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    drain(qtbot, page.ctx)
    s = load_wechat_settings(sqlite_db, page.ctx.cfg)
    assert (s.appid, s.secret, s.template_id, s.miniprogram_state) == ("wx-from-console", "console-secret",
                                                                       "TPL-1", "trial")
    assert s.field_map == {"thing1": "patient_name", "phrase2": "result"}
    # the secret is never shown again: the page says it is set, and Replace opens an empty field
    assert page.fields["secret"].text() == "" and page.fields["secret"].isHidden()
    assert page.secret_state.text() == "Set"
    qtbot.mouseClick(page.replace_secret, Qt.MouseButton.LeftButton)
    assert page.fields["secret"].text() == ""


def test_bad_input_is_shown_and_nothing_is_stored(qtbot, sqlite_db):
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db)
    page.fields["field_map"].setPlainText("thing1 patient_name")
    page.save()  # the page's own check: under the field map
    assert "thing1 patient_name" in error_by(qtbot, page.errors, "field_map")
    assert cleared_by_editing(page.errors, "field_map",
                              lambda: page.fields["field_map"].setPlainText("thing1 = shoe_size"))
    page.fields["appid"].setText("wx-new")
    page.save()  # the service's: under the field map again
    drain(qtbot, page.ctx)
    assert "shoe_size" in error_by(qtbot, page.errors, "field_map")
    assert load_wechat_settings(sqlite_db, page.ctx.cfg).appid == ""
    assert page.fields["appid"].text() == "wx-new"  # kept for correcting
    page.fields["field_map"].setPlainText("thing1 = patient_name")
    page.fields["api_base"].setText("ftp://api.weixin.qq.com")
    page.save()
    assert "http" in error_by(qtbot, page.errors, "api_base")  # under the address, not the map
    assert not page.errors.line("field_map").isVisible()


def test_a_value_pinned_by_the_environment_is_read_only(qtbot, sqlite_db, monkeypatch):
    monkeypatch.setenv("REGDESK_WECHAT_APPID", "wx-env")
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db)
    assert page.fields["appid"].text() == "wx-env" and page.fields["appid"].isReadOnly()
    assert "环境变量" in page.notes["appid"].text()
    assert not page.fields["template_id"].isReadOnly()


def test_a_clerk_sees_the_settings_but_cannot_change_them(qtbot, sqlite_db):
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db, actor=CLERK)
    assert page.fields["appid"].isReadOnly() and not page.save_button.isEnabled()
    assert not page.test_button.isEnabled()


def test_send_a_test_message(qtbot, sqlite_db, fake):
    save_wechat_settings(sqlite_db, ADMIN, appid=fake.appid, secret=fake.secret, template_id=fake.template_id,
                         api_base=fake.url)
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db)
    page.test_openid.setText("o-admin")
    with qtbot.waitSignal(page.testDone, timeout=10_000) as blocker:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] is True
    assert [r.body["touser"] for r in fake.delivered()] == ["o-admin"]
    fake.per_openid["o-wrong"] = ("errcode", 40003)
    page.test_openid.setText("o-wrong")
    with qtbot.waitSignal(page.testDone, timeout=10_000) as blocker:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] is False and "40003" in page.test_result.text()
    assert page.test_result.isVisible()  # WeChat's refusal is about no input: under the box
    drain(qtbot, page.ctx)
    page.test_openid.setText("")
    with qtbot.waitSignal(page.testDone, timeout=10_000):
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert "openid" in error_by(qtbot, page.test_errors, "openid")  # no openid: said under the openid
    assert cleared_by_editing(page.test_errors, "openid", lambda: page.test_openid.setText("o-admin"))
    assert len(fake.delivered()) == 1


def test_test_message_without_settings_says_what_is_missing(qtbot, sqlite_db):
    page = open_page(qtbot, WeChatSettingsPage, sqlite_db)
    page.test_openid.setText("o-admin")
    with qtbot.waitSignal(page.testDone) as blocker:
        page.send_test()
    assert blocker.args[0] is False and "AppID" in page.test_result.text()
    drain(qtbot, page.ctx)
    with sqlite_db.read() as c:
        assert c.execute(select(Notification.id)).first() is None
