"""Delivery of the outbox against a local fake of the WeChat API, on every database:
every due message delivered exactly once, refusals not retried, failures recorded with their reason."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from services.cli import main as cli_main
from services.clock import utcnow
from services.config import Config, WeChatSettings
from services.db import Database
from services.errors import ConfigError, Conflict, NotFound, PermissionDenied, ValidationError
from services.jobs.runner import Runner
from services.jobs.send import Send
from services.models import Booking, ClinicSession, Department, Notification
from services.notify import outbox
from services.notify.delivery import (
    DeliveryPolicy,
    PassResult,
    deliver_due,
    enqueue_reminders,
    list_failures,
    retry,
    send_test,
)
from services.notify.wechat import WeChatClient, WeChatError
from services.notify.wechat_settings import save_wechat_settings
from services.staff.actor import Actor
from tests import factories as f
from tests.wechat_fake import FakeWeChat, settings_for

ADMIN = Actor(kind="staff", name="admin1", role="admin")
HEAD = Actor(kind="staff", name="head1", role="head")
CLERK = Actor(kind="staff", name="clerk1", role="clerk")
POLICY = DeliveryPolicy(max_attempts=3, backoff_base=dt.timedelta(seconds=30))
LATER = dt.timedelta(hours=2)  # past any back-off of POLICY


@pytest.fixture
def fake():
    with FakeWeChat() as f_:
        yield f_


@pytest.fixture
def client(db, fake):
    with WeChatClient(db, settings_for(fake), timeout=0.5) as c:
        yield c


def decide(db: Database, n: int = 1, status: str = "confirmed", openid: str | None = "auto",
           reason: str | None = None, clinic: dict | None = None) -> list[int]:
    """n requests decided as the booking engine does: status change + outbox row in one transaction."""
    clinic = clinic or f.basic_clinic(db, capacity=max(2, n), slots=1)
    ids = [f.request(db, clinic["slot_ids"][0], f.patient(db, openid=openid)) for _ in range(n)]
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id.in_(ids)).values(status=status, reason=reason))
        outbox.enqueue(c, ids, status)
    return ids


def rows(db: Database) -> list:
    with db.read() as c:
        return c.execute(select(Notification).order_by(Notification.id)).all()


def booking_of(rec) -> int:
    return int(rec.body["page"].split("id=")[1])


# ---------------------------------------------------------------- the plain path

def test_a_decision_is_sent_once_with_the_booking_values(db, client, fake):
    clinic = f.basic_clinic(db)
    [bid] = decide(db, clinic=clinic)
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1)
    [rec] = fake.delivered()
    body = rec.body
    with db.read() as c:
        openid = c.execute(select(Notification.patient_id)).scalar_one()
    assert body["touser"].startswith("o-test-") and body["template_id"] == fake.template_id
    assert body["page"] == f"pages/booking/detail?id={bid}" and body["miniprogram_state"] == "formal"
    day = clinic["day"]
    assert body["data"] == {"thing1": {"value": body["data"]["thing1"]["value"]}, "thing2": {"value": "内科"},
                            "time3": {"value": f"{day.year}年{day.month}月{day.day}日 08:00"},
                            "phrase4": {"value": "预约成功"}, "thing5": {"value": "请按预约时间到院就诊"}}
    assert body["data"]["thing1"]["value"].startswith("患者") and openid
    [row] = rows(db)
    assert (row.state, row.attempts, row.claimed_by, row.last_error) == ("sent", 1, None, None)
    assert row.sent_at is not None
    assert f.notification_states(db, [bid]) == {bid: "已发送"}
    assert deliver_due(db, client, policy=POLICY, now=utcnow() + LATER) == PassResult()
    assert len(fake.sends()) == 1


@pytest.mark.parametrize("status,result", [("rejected", "预约失败"), ("full", "预约已满"), ("stopped", "停诊")])
def test_each_outcome_carries_its_result_and_reason(db, client, fake, status, result):
    decide(db, status=status, reason="医生外出参加一个持续时间很长的学术会议，本周的门诊全部暂停")
    assert deliver_due(db, client, policy=POLICY).sent == 1
    data = fake.delivered()[0].body["data"]
    assert data["phrase4"]["value"] == result
    assert data["thing5"]["value"] == "医生外出参加一个持续时间很长的学术会议…"  # cut to 20


def test_walk_in_without_openid_gets_no_message(db, client, fake):
    [bid] = decide(db, openid=None)
    assert deliver_due(db, client, policy=POLICY) == PassResult()
    assert fake.requests == []
    assert f.notification_states(db, [bid]) == {bid: "无需发送"}


def test_nothing_is_invented_for_a_rolled_back_decision(db, client, fake):
    clinic = f.basic_clinic(db)
    bid = f.request(db, clinic["slot_ids"][0], f.patient(db))
    with pytest.raises(RuntimeError):
        with db.write() as c:
            c.execute(update(Booking).where(Booking.id == bid).values(status="confirmed"))
            outbox.enqueue(c, [bid], "confirmed")
            raise RuntimeError("the decision failed after the outbox row was written")
    assert deliver_due(db, client, policy=POLICY) == PassResult()
    assert fake.requests == [] and f.notification_states(db, [bid]) == {}


# ---------------------------------------------------------------- retries and refusals

def test_http_500_is_retried_after_back_off(db, client, fake):
    [bid] = decide(db)
    fake.queue("http500")
    t0 = utcnow()
    assert deliver_due(db, client, policy=POLICY, now=t0) == PassResult(retrying=1)
    [row] = rows(db)
    assert (row.state, row.attempts) == ("waiting", 1) and "500" in row.last_error
    assert row.next_attempt_at >= t0 + dt.timedelta(seconds=29)
    assert f.notification_states(db, [bid]) == {bid: "待发送"}
    # not due yet: nothing is sent
    assert deliver_due(db, client, policy=POLICY, now=t0 + dt.timedelta(seconds=5)) == PassResult()
    assert deliver_due(db, client, policy=POLICY, now=t0 + LATER) == PassResult(sent=1)
    assert [r.outcome for r in fake.sends()] == ["http 500", "ok"]


@pytest.mark.parametrize("code", [-1, 45011])
def test_busy_and_quota_errors_are_retried(db, client, fake, code):
    decide(db)
    fake.queue(("errcode", code))
    assert deliver_due(db, client, policy=POLICY).retrying == 1
    assert deliver_due(db, client, policy=POLICY, now=utcnow() + LATER).sent == 1
    assert len(fake.delivered()) == 1


def test_timeout_is_retried_and_delivered_once(db, client, fake):
    decide(db, n=2)
    fake.queue("hang")  # the first send is answered only after the client's 0.5 s timeout
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1, retrying=1)
    hung = [r for r in fake.sends() if r.outcome == "hung"]
    assert len(hung) == 1
    waiting = [r for r in rows(db) if r.state == "waiting"]
    assert len(waiting) == 1 and "超时" in waiting[0].last_error
    assert deliver_due(db, client, policy=POLICY, now=utcnow() + LATER).sent == 1
    assert sorted(booking_of(r) for r in fake.delivered()) == sorted(r.booking_id for r in rows(db))


def test_expired_token_is_refreshed_and_the_message_sent_in_the_same_pass(db, client, fake):
    decide(db)
    client.access_token()
    fake.expire_tokens()
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1)
    assert [r.outcome for r in fake.sends()] == ["errcode 42001", "ok"]
    assert rows(db)[0].attempts == 1


def test_no_subscription_left_is_not_retried(db, client, fake):
    [bid] = decide(db)
    fake.queue(("errcode", 43101))
    assert deliver_due(db, client, policy=POLICY) == PassResult(unsubscribed=1)
    assert deliver_due(db, client, policy=POLICY, now=utcnow() + dt.timedelta(days=3)) == PassResult()
    assert len(fake.sends()) == 1
    assert f.notification_states(db, [bid]) == {bid: "未订阅"}
    [failure] = list_failures(db)
    assert failure.state == "unsubscribed" and "43101" in failure.reason


@pytest.mark.parametrize("code,msg", [(40003, "invalid openid"), (47003, "argument invalid")])
def test_permanent_refusals_fail_with_wechats_message(db, client, fake, code, msg):
    [bid] = decide(db)
    fake.queue(("errcode", code))
    assert deliver_due(db, client, policy=POLICY) == PassResult(failed=1)
    assert deliver_due(db, client, policy=POLICY, now=utcnow() + dt.timedelta(days=3)) == PassResult()
    assert len(fake.sends()) == 1
    [failure] = list_failures(db)
    assert (failure.booking_id, failure.state, failure.state_label) == (bid, "failed", "发送失败")
    assert str(code) in failure.reason and msg in failure.reason
    assert failure.kind_label == "预约成功" and failure.department == "内科"
    assert f.notification_states(db, [bid]) == {bid: "发送失败"}


def test_gives_up_after_max_attempts(db, client, fake):
    decide(db)
    fake.queue("http500", "http500", "http500")
    t = utcnow()
    outcomes = []
    for i in range(4):
        outcomes.append(deliver_due(db, client, policy=POLICY, now=t + LATER * i))
    assert outcomes == [PassResult(retrying=1), PassResult(retrying=1), PassResult(failed=1), PassResult()]
    [failure] = list_failures(db)
    assert failure.attempts == 3 and "共尝试 3 次" in failure.reason and "500" in failure.reason


def test_retry_from_the_failures_page_sends_again(db, client, fake):
    [bid] = decide(db)
    fake.queue(("errcode", 40003))
    deliver_due(db, client, policy=POLICY)
    [failure] = list_failures(db)
    with pytest.raises(PermissionDenied):
        retry(db, CLERK, failure.id)
    retry(db, HEAD, failure.id)
    assert list_failures(db) == [] and f.notification_states(db, [bid]) == {bid: "待发送"}
    with pytest.raises(Conflict):
        retry(db, HEAD, failure.id)
    with pytest.raises(NotFound):
        retry(db, HEAD, failure.id + 1000)
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1)
    assert f.notification_states(db, [bid]) == {bid: "已发送"}


def test_a_head_sees_and_retries_the_failures_of_their_own_departments_only(db, client, fake):
    wk = f.department(db, "WK", "外科")
    other = {"slot_ids": [f.session(db, f.doctor(db, wk, "王医生"), dt.date.today() + dt.timedelta(days=2))[1][0]]}
    [ours] = decide(db)
    [theirs] = decide(db, clinic=other)
    fake.queue(("errcode", 40003), ("errcode", 40003))
    deliver_due(db, client, policy=POLICY)
    with db.read() as c:
        nk = c.execute(select(Department.id).where(Department.code == "NK")).scalar_one()
    head_nk = Actor(kind="staff", name="head_nk", role="head", department_ids=frozenset({nk}))
    assert {r.booking_id for r in list_failures(db, ADMIN)} == {ours, theirs}
    [mine] = list_failures(db, head_nk)
    assert mine.booking_id == ours
    foreign = next(r.id for r in list_failures(db, ADMIN) if r.booking_id == theirs)
    with pytest.raises(PermissionDenied):
        retry(db, head_nk, foreign)
    retry(db, head_nk, mine.id)


def test_refused_credentials_stop_the_pass_without_charging_the_message(db, fake):
    decide(db)
    with WeChatClient(db, settings_for(fake, secret="wrong"), timeout=0.5) as bad:
        with pytest.raises(WeChatError, match="40125"):
            deliver_due(db, bad, policy=POLICY)
    [row] = rows(db)
    assert (row.state, row.attempts, row.claimed_by) == ("waiting", 0, None)
    assert fake.sends() == []


# ---------------------------------------------------------------- claims

def test_a_stale_claim_is_taken_over_and_a_live_one_is_not(db, client, fake):
    a, b = decide(db, n=2)
    now = utcnow()
    with db.write() as c:
        c.execute(update(Notification).where(Notification.booking_id == a).values(
            state="sending", claimed_by="dead-worker", claimed_until=now - dt.timedelta(minutes=1), attempts=1))
        c.execute(update(Notification).where(Notification.booking_id == b).values(
            state="sending", claimed_by="busy-worker", claimed_until=now + dt.timedelta(minutes=5), attempts=1))
    assert deliver_due(db, client, policy=POLICY, now=now) == PassResult(sent=1)
    assert [booking_of(r) for r in fake.delivered()] == [a]
    by_booking = {r.booking_id: r for r in rows(db)}
    assert by_booking[a].state == "sent" and by_booking[a].attempts == 2
    assert by_booking[b].state == "sending" and by_booking[b].claimed_by == "busy-worker"


def test_a_stopped_pass_claims_nothing_more(db, client, fake):
    decide(db, n=2)
    stop = threading.Event()
    stop.set()
    assert deliver_due(db, client, policy=POLICY, stop=stop) == PassResult()
    assert fake.requests == [] and {r.state for r in rows(db)} == {"waiting"}


def test_two_workers_at_once_send_every_message_exactly_once(db, db_url, fake):
    ids = decide(db, n=30)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker(name):
        wdb = Database(db_url)
        try:
            with WeChatClient(wdb, settings_for(fake), timeout=5) as c:
                barrier.wait()
                results.append(deliver_due(wdb, c, worker=name, policy=POLICY))
        except Exception as exc:
            errors.append(exc)
        finally:
            wdb.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.sent for r in results) == 30
    assert sorted(booking_of(r) for r in fake.sends()) == sorted(ids)  # no send twice, none missed
    assert all(r.state == "sent" for r in rows(db))


def test_repeated_notify_once_runs_send_nothing_twice(db, db_url, fake, monkeypatch, capsys):
    clinic = f.basic_clinic(db, capacity=5, slots=1)
    ids = decide(db, n=2, clinic=clinic)
    monkeypatch.setenv("REGDESK_WECHAT_APPID", fake.appid)
    monkeypatch.setenv("REGDESK_WECHAT_SECRET", fake.secret)
    monkeypatch.setenv("REGDESK_WECHAT_TEMPLATE_ID", fake.template_id)
    monkeypatch.setenv("REGDESK_WECHAT_API_BASE", fake.url)
    monkeypatch.setenv("REGDESK_WECHAT_PAGE", "pages/booking/detail?id={booking_id}")
    fake.queue("ok", ("errcode", 40003))
    assert cli_main(["notify", "--once", "--db", db_url]) == 0
    assert "sent 1, retry later 0, failed 1" in capsys.readouterr().out
    assert cli_main(["notify", "--once", "--db", db_url]) == 0
    assert "sent 0" in capsys.readouterr().out
    ids += decide(db, n=1, clinic=clinic)
    assert cli_main(["notify", "--once", "--db", db_url]) == 0
    assert "sent 1" in capsys.readouterr().out
    assert len(fake.sends()) == 3 and len(fake.delivered()) == 2
    assert len({booking_of(r) for r in fake.delivered()}) == 2
    assert len(list_failures(db)) == 1 and set(ids) <= {r.booking_id for r in rows(db)}


def test_notify_without_wechat_settings_says_so(db, db_url, capsys):
    assert cli_main(["notify", "--once", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("regdesk: WeChat is not configured") and err.count("\n") == 1


def test_settings_from_the_console_drive_the_command_line(db, db_url, fake, capsys):
    decide(db)
    save_wechat_settings(db, ADMIN, appid=fake.appid, secret=fake.secret, template_id=fake.template_id,
                         api_base=fake.url)
    assert cli_main(["notify", "--once", "--db", db_url]) == 0
    assert len(fake.delivered()) == 1


def test_the_send_job_delivers_with_the_settings_saved_in_the_console(db, db_url, fake):
    ids = decide(db, n=2)
    save_wechat_settings(db, ADMIN, appid=fake.appid, secret=fake.secret, template_id=fake.template_id,
                         api_base=fake.url, page="pages/booking/detail?id={booking_id}")
    stop = threading.Event()
    runner = Runner(db, Config(db_url, WeChatSettings()), [Send(2)], stop=stop, interval=0.2)
    worker = threading.Thread(target=runner.run_forever, daemon=True)
    worker.start()
    try:
        assert fake.wait_delivered(2)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert sorted(booking_of(r) for r in fake.delivered()) == ids
    assert set(f.notification_states(db, ids).values()) == {"已发送"}


# ---------------------------------------------------------------- reminders

def test_reminders_are_queued_once_per_confirmed_booking(db, client, fake):
    clinic = f.basic_clinic(db, capacity=5, slots=1)
    confirmed = decide(db, n=2, clinic=clinic)
    decide(db, n=1, clinic=clinic, openid=None)  # walk-in: no reminder
    decide(db, n=1, clinic=clinic, status="rejected")
    assert enqueue_reminders(db, clinic["day"]) == 2
    assert enqueue_reminders(db, clinic["day"]) == 0
    assert enqueue_reminders(db, clinic["day"] + dt.timedelta(days=1)) == 0
    reminders = [r for r in rows(db) if r.kind == "reminder"]
    assert sorted(r.booking_id for r in reminders) == confirmed


def test_reminders_queued_by_two_processes_at_once_are_not_doubled(db, db_url):
    clinic = f.basic_clinic(db, capacity=10, slots=1)
    decide(db, n=6, clinic=clinic)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def worker():
        wdb = Database(db_url)
        try:
            barrier.wait()
            counts.append(enqueue_reminders(wdb, clinic["day"]))
        except Exception as exc:
            errors.append(exc)
        finally:
            wdb.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(counts) == [0, 6]
    assert len([r for r in rows(db) if r.kind == "reminder"]) == 6


def test_a_reminder_for_a_booking_changed_since_is_not_sent(db, client, fake):
    clinic = f.basic_clinic(db, capacity=5, slots=1)
    kept, cancelled = decide(db, n=2, clinic=clinic)
    deliver_due(db, client, policy=POLICY)
    enqueue_reminders(db, clinic["day"])
    with db.write() as c:  # the patient cancels in the mini-program
        c.execute(update(Booking).where(Booking.id == cancelled).values(status="cancelled"))
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1, skipped=1)
    reminder = fake.delivered()[-1]
    assert booking_of(reminder) == kept and reminder.body["data"]["phrase4"]["value"] == "就诊提醒"
    assert f.notification_states(db, [kept, cancelled]) == {kept: "已发送", cancelled: "无需发送"}


def test_reminder_skips_a_stopped_session(db, client, fake):
    clinic = f.basic_clinic(db)
    [bid] = decide(db, clinic=clinic)
    enqueue_reminders(db, clinic["day"])
    with db.write() as c:
        c.execute(update(ClinicSession).where(ClinicSession.id == clinic["session_id"]).values(status="stopped"))
    assert deliver_due(db, client, policy=POLICY) == PassResult(sent=1, skipped=1)


# ---------------------------------------------------------------- test message

def test_send_test_message(db, fake):
    save_wechat_settings(db, ADMIN, appid=fake.appid, secret=fake.secret, template_id=fake.template_id,
                         api_base=fake.url)
    send_test(db, ADMIN, "o-admin-phone", timeout=0.5)
    [rec] = fake.delivered()
    assert rec.body["touser"] == "o-admin-phone" and rec.body["data"]["thing5"]["value"] == "这是一条测试消息"
    fake.per_openid["o-nobody"] = ("errcode", 40003)
    with pytest.raises(WeChatError, match="40003"):
        send_test(db, ADMIN, "o-nobody", timeout=0.5)
    with pytest.raises(PermissionDenied):
        send_test(db, HEAD, "o-admin-phone")
    with pytest.raises(ValidationError):
        send_test(db, ADMIN, "  ")


def test_send_test_without_settings_is_a_config_error(db):
    with pytest.raises(ConfigError):
        send_test(db, ADMIN, "o-admin-phone")
