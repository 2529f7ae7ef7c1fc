"""The job service (services/jobs, `regdesk jobs`) on every database: a round decides, sends, marks
no-shows, queues reminders and prunes; leases make one process act; heartbeats say it runs;
a configuration error is one line and spends nothing."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from services.bookings import rules
from services.cli import main
from services.cli.cmd_jobs import ALL_JOBS, make_jobs
from services.config import Config, WeChatSettings
from services.jobs import heartbeat, leases
from services.jobs.runner import Runner
from services.models import AuditLog, ChangeLog, JobLease, Notification
from services.notify import outbox
from services.notify.wechat_settings import save_wechat_settings
from services.staff.actor import Actor
from tests import factories as f
from tests.snapshot import snapshot
from tests.wechat_fake import FakeWeChat

ADMIN = Actor(kind="staff", name="admin1", role="admin")
TODAY = dt.date.today()


@pytest.fixture
def fake(db):
    with FakeWeChat() as fake_:
        save_wechat_settings(db, ADMIN, appid=fake_.appid, secret=fake_.secret, template_id=fake_.template_id,
                             api_base=fake_.url, page="pages/booking/detail?id={booking_id}")
        yield fake_


def runner(db, db_url, names=ALL_JOBS, **kw) -> Runner:
    return Runner(db, Config(db_url, WeChatSettings()), make_jobs(names, timeout=2), interval=0.1, **kw)


def _past_clinic(db):
    """Yesterday's session with a confirmed booking nobody checked in: a no-show once the job runs."""
    dep = f.department(db, "WK", "外科")
    sid, slots = f.session(db, f.doctor(db, dep, "李医生"), TODAY - dt.timedelta(days=1))
    b = f.request(db, slots[0], f.patient(db))
    f.set_status(db, b, "confirmed")
    return b


def test_a_round_decides_sends_marks_no_shows_and_beats(db, db_url, fake):
    c = f.basic_clinic(db, day=TODAY + dt.timedelta(days=1), capacity=1, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(2)]
    missed = _past_clinic(db)
    r = runner(db, db_url)
    try:
        said = r.run_once()
    finally:
        r.close()
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "full"]
    assert f.status_of(db, missed) == "no_show"
    assert said["decide"].startswith("1 confirmed, 1 full") and said["noshow"] == "marked 1 no-shows"
    # both decisions told; the confirmed booking of tomorrow gets its reminder, queued and sent
    # in the next round (reminders run after send in a round)
    assert len(fake.delivered()) == 2
    with db.read() as conn:
        kinds = sorted(conn.execute(select(Notification.kind)).scalars())
        who = set(conn.execute(select(AuditLog.actor).where(AuditLog.action == "no_show")).scalars())
    assert kinds == ["confirmed", "full", "reminder"] and who == {"jobs"}
    status = heartbeat.status(db)
    [me] = status.runners
    assert me.jobs == ALL_JOBS and me.last_round_at is not None and me.stopped_at is not None
    assert not status.running  # it stopped (close), and says so


def test_the_switch_stops_deciding_but_not_the_rest(db, db_url):
    c = f.basic_clinic(db)
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    missed = _past_clinic(db)
    rules.save(db, ADMIN, autoapprove_enabled=False)
    r = runner(db, db_url)
    try:
        r.run_once()
        assert heartbeat.status(db).running
    finally:
        r.close()
    assert f.status_of(db, b) == "pending" and f.status_of(db, missed) == "no_show"


def test_the_loop_decides_requests_written_while_it_runs(db, db_url):
    c = f.basic_clinic(db, capacity=5, slots=1)
    r = runner(db, db_url, ("decide",))
    worker = threading.Thread(target=r.run_forever, daemon=True)
    worker.start()
    try:
        ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
        for _ in range(400):  # wait for the condition (at most ~20 s), no fixed sleep
            if all(f.status_of(db, i) == "confirmed" for i in ids):
                break
            r.stop.wait(0.05)
        assert [f.status_of(db, i) for i in ids] == ["confirmed"] * 3
    finally:
        r.stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert leases.holders(db)["decide"][0] is None  # released on stopping


def test_pruning_keeps_the_change_log_small(db, db_url):
    c = f.basic_clinic(db, capacity=3, slots=1)
    for _ in range(3):
        f.request(db, c["slot_ids"][0], f.patient(db))
    with db.write() as conn:
        conn.execute(update(ChangeLog).values(changed_at=dt.datetime(2000, 1, 1)))
        before = conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one()
    r = runner(db, db_url, ("prune",))
    try:
        assert r.run_once()["prune"] == f"pruned {before} change-log rows"
    finally:
        r.close()
    with db.read() as conn:
        left = conn.execute(select(ChangeLog.entity)).scalars().all()
    assert left == ["feed"]  # only the marker: every old row went


def test_one_process_acts_and_another_takes_over_a_lapsed_lease(db, db_url):
    c = f.basic_clinic(db, capacity=5, slots=1)
    first, second = runner(db, db_url, ("decide",)), runner(db, db_url, ("decide",))
    first.run_once()
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    assert second.run_once() == {} and second.acting == set()
    assert f.status_of(db, b) == "pending"  # the second waits: the first holds the lease
    # the first dies without a word: its lease runs out (moved into the past rather than waited for)
    with db.write() as conn:
        conn.execute(update(JobLease).values(expires_at=dt.datetime(2000, 1, 1)))
    assert second.run_once()["decide"].startswith("1 confirmed") and second.acting == {"decide"}
    assert first.run_once() == {} and first.acting == set()  # woken, it finds the lease taken
    second.close()  # a clean stop hands over at once
    assert first.run_once() == {} and first.acting == {"decide"}
    first.close()


def test_a_wechat_base_url_that_is_no_url_is_one_line_and_spends_nothing(db, db_url, fake, capsys, monkeypatch):
    c = f.basic_clinic(db)
    pending = f.request(db, c["slot_ids"][0], f.patient(db))
    told = f.request(db, c["slot_ids"][1], f.patient(db))
    f.set_status(db, told, "confirmed")
    with db.write() as conn:  # a message due, as a decision leaves it
        outbox.enqueue(conn, [told], "confirmed")
    missed = _past_clinic(db)
    before = snapshot(db)
    monkeypatch.setenv("REGDESK_WECHAT_API_BASE", "not a url")
    assert main(["jobs", "--once", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("regdesk: ") and "Traceback" not in err, err
    assert snapshot(db) == before  # nothing decided, marked, claimed or counted
    assert fake.requests == [] and f.status_of(db, pending) == "pending" and f.status_of(db, missed) == "confirmed"


def test_once_prints_what_it_did_and_the_heartbeat_is_readable(db, db_url, capsys):
    c = f.basic_clinic(db)
    f.request(db, c["slot_ids"][0], f.patient(db))
    assert main(["jobs", "--once", "--jobs", "decide,noshow", "--db", db_url]) == 0
    assert capsys.readouterr().out == "decide: 1 confirmed, 0 full, 0 rejected, 0 skipped, 0 errors\n"
    [me] = heartbeat.status(db).runners
    assert me.jobs == ("decide", "noshow") and me.last_error is None and me.last_round_at is not None


@pytest.mark.parametrize("args", [["--jobs", "decide,mail"], ["--jobs", ""], ["--interval", "nan"],
                                  ["--lease", "1"], ["--lease", "inf"]])
def test_bad_options_are_one_line(db, db_url, capsys, args):
    before = snapshot(db)
    assert main(["jobs", "--once", *args, "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("regdesk: ") and "Traceback" not in err, err
    assert snapshot(db) == before
