"""What the console shows of the job service, which does the background work consoles no longer do:
no sender in any console; the status bar item (heads, admins), the banner when the jobs have not
run for minutes while 自动审核 is on, the administration page's 后台服务 tab, the confirmations'
words about who sends; the demo console's in-process job service."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update

from console.mainwindow import MainWindow
from console.notifications.delivery import delivery_text
from services.bookings import rules
from services.cli.cmd_jobs import make_jobs
from services.clock import utcnow
from services.config import Config, WeChatSettings
from services.jobs import heartbeat
from services.jobs.background import THREAD_NAME, BackgroundJobs
from services.jobs.runner import Runner
from services.models import JobRunner
from services.notify.outbox import OutboxState
from tests import factories as f
from tests.console.console_helpers import clinic_with_requests, console_context, staff
from tests.console.page_support import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
NOON = dt.datetime(2026, 3, 2, 12, 0)


def open_window(qtbot, ctx, **kw) -> MainWindow:
    w = MainWindow(ctx, live=False, **kw)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.queue.loaded and ctx.tasks.idle and w.jobs_monitor.latest is not None, timeout=15_000)
    return w


def one_round(db) -> None:
    """A job service's round, as `regdesk jobs --once` does it (its heartbeat stays: not closed)."""
    Runner(db, Config(db.url, WeChatSettings()), make_jobs(("decide", "noshow"))).run_once()


def either(text: str, *choices: str) -> bool:
    return any(c in text for c in choices)


def menu_texts(w: MainWindow) -> list[str]:
    return [a.text() for menu in w.menuBar().actions() if menu.menu() is not None for a in menu.menu().actions()]


@pytest.mark.parametrize("role", ["clerk", "head", "admin"])
def test_no_console_sends(qtbot, sqlite_db, tmp_path, role):
    f.department(sqlite_db, code="NK")
    with console_context(sqlite_db, staff(sqlite_db, "u1", role, ("NK",) if role == "head" else ()), tmp_path) as ctx:
        w = open_window(qtbot, ctx)
        assert not any("send" in t.lower() or "发送" in t for t in menu_texts(w))
        assert not hasattr(w, "send_action") and not hasattr(w, "wechat_sender")
        assert not [t for t in threading.enumerate() if t.name in ("regdesk-notify", THREAD_NAME)]
        assert (w.jobs_status is not None) == (role != "clerk")  # heads and admins see the item
        w.close()


def test_the_window_says_whether_the_jobs_run(qtbot, qtmodeltester, sqlite_db, tmp_path):
    with console_context(sqlite_db, staff(sqlite_db, "a1", "admin"), tmp_path) as ctx:
        w = open_window(qtbot, ctx)
        # never ran, 自动审核 on (the default): the banner tells everyone, the item says so in red
        assert w.jobs_banner.isVisible()
        assert either(w.jobs_banner.label.text(), "never run", "从未在此数据库上运行")
        assert either(w.jobs_status.text(), "has never run", "从未运行")
        one_round(sqlite_db)
        w.jobs_monitor.refresh()
        qtbot.waitUntil(lambda: either(w.jobs_status.text(), "running", "运行中"), timeout=10_000)
        assert not w.jobs_banner.isVisible()
        # the administration page's tab: one row, the process that just ran
        w.show_page("admin")
        admin = w.pages["admin"]
        admin.tabs.setCurrentWidget(admin.jobs)
        qtbot.waitUntil(lambda: admin.jobs.model.rowCount() == 1, timeout=10_000)
        qtmodeltester.check(admin.jobs.model)
        [runner] = heartbeat.status(sqlite_db).runners
        cells = [admin.jobs.model.index(0, c).data() for c in range(admin.jobs.model.columnCount())]
        assert cells[0] == runner.host and cells[1] == str(runner.pid)
        assert either(cells[3], "running", "运行中") and either(cells[4], "deciding requests", "审核预约")
        # silent for ten minutes: the banner is back, with how long
        past = utcnow() - dt.timedelta(minutes=10, seconds=5)
        with sqlite_db.write() as conn:
            conn.execute(update(JobRunner).values(beat_at=past, last_round_at=past))
        w.jobs_monitor.refresh()
        qtbot.waitUntil(lambda: w.jobs_banner.isVisible(), timeout=10_000)
        assert either(w.jobs_banner.label.text(), "not run for 10 minute", "已有 10 分钟没有运行")
        assert either(w.jobs_status.text(), "not running", "未运行")
        w.close()


def test_the_demo_window_shows_its_job_service_running_after_its_first_round(qtbot, sqlite_db, tmp_path):
    """The demo's job service runs in the console: once it has done a round the window says so at once,
    not at the heartbeat's next 30-second reading (never "has never run" while it runs)."""
    with console_context(sqlite_db, staff(sqlite_db, "a1", "admin"), tmp_path) as ctx:
        jobs = BackgroundJobs(sqlite_db.engine.url.render_as_string(hide_password=False), ctx.cfg, interval=0.1)
        ctx.jobs = jobs
        w = open_window(qtbot, ctx, demo=True)
        assert w.jobs_banner.isVisible()  # read before its first round: it has never run
        assert either(w.jobs_banner.label.text(), "never run", "从未在此数据库上运行")
        jobs.start()
        qtbot.waitUntil(lambda: jobs.runner.rounds >= 1, timeout=10_000)
        qtbot.waitUntil(lambda: not w.jobs_banner.isVisible() and either(w.jobs_status.text(), "running", "运行中"),
                        timeout=10_000)
        w.close()
        assert not jobs.running


def test_no_banner_while_automatic_approval_is_off(qtbot, sqlite_db, tmp_path):
    admin = staff(sqlite_db, "a1", "admin")
    rules.save(sqlite_db, admin, autoapprove_enabled=False)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        w = open_window(qtbot, ctx)
        assert not w.jobs_banner.isVisible() and w.jobs_status is None
        w.close()


def test_the_confirmations_say_the_job_service_sends_and_whether_it_runs(qapp):
    running = OutboxState(True, 0, None, NOON, True, NOON)
    assert delivery_text(running).startswith("The job service sends WeChat messages")
    silent = OutboxState(True, 4, NOON, None, False, NOON - dt.timedelta(hours=1))
    text = delivery_text(silent)
    assert "has not reported since 03-02 11:00" in text and "4 message(s) have waited since 03-02 12:00" in text
    never = OutboxState(True, 0, None, None, False, None)
    assert "never run on this database" in delivery_text(never)
    assert "regdesk jobs" in delivery_text(OutboxState(False, 0, None, None))
    for state in (running, silent, never):
        assert "console" not in delivery_text(state)  # no console sends


def test_the_demo_decides_through_its_own_job_service(qtbot, sqlite_db, tmp_path):
    c = clinic_with_requests(sqlite_db, 2, capacity=5)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        jobs = BackgroundJobs(sqlite_db.engine.url.render_as_string(hide_password=False), ctx.cfg, interval=0.1)
        ctx.jobs = jobs.start()
        w = open_window(qtbot, ctx, demo=True)
        assert not w.menus.autoapprove_action.isChecked()
        qtbot.waitUntil(lambda: jobs.runner.rounds >= 1, timeout=10_000)
        assert [f.status_of(sqlite_db, b) for b in c["requests"]] == ["pending", "pending"]  # off: they wait
        [me] = heartbeat.status(sqlite_db).runners
        assert "decide" not in me.acting and "send" in me.acting  # it claims no deciding it does not do
        w.menus.autoapprove_action.trigger()
        qtbot.waitUntil(lambda: all(f.status_of(sqlite_db, b) == "confirmed" for b in c["requests"]), timeout=15_000)
        qtbot.waitUntil(lambda: "decide" in heartbeat.status(sqlite_db).runners[0].acting, timeout=10_000)
        w.jobs_monitor.refresh()
        qtbot.waitUntil(lambda: not w.jobs_banner.isVisible() and w.jobs_monitor.latest.status.running,
                        timeout=10_000)
        w.close()
        assert not jobs.running
