"""The main window: live requests from a foreign writer, the connection banner, pages by role, closing
cleanly, and `regdesk --demo` end to end."""
from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from console.app import run_console
from console.common import settings as S
from console.common.tablemodel import ID_ROLE
from console.mainwindow import MainWindow
from console.shell import HelpDialog
from services import config as config_mod
from services.db import Database
from services.demo.simulate import Simulator
from tests import factories as f
from tests.console.console_helpers import clinic_with_requests, console_context, staff

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/regdesk"


@pytest.fixture
def app_restored(qapp):
    """run_console() sets the language, font and style of the whole application: put them back for
    the tests that follow (they may read English strings)."""
    from PySide6.QtCore import QLocale

    from console.common import i18n
    locale, font, sheet = QLocale(), qapp.font(), qapp.styleSheet()
    yield qapp
    i18n.install(qapp, "en")
    QLocale.setDefault(locale)
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)


def open_window(qtbot, ctx, **kw) -> MainWindow:
    w = MainWindow(ctx, **kw)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.queue.loaded, timeout=15_000)
    w.queue.table.setFocus()
    return w


@contextlib.contextmanager
def statements(db: Database):
    """Every SQL statement run on ``db`` meanwhile, in order."""
    from sqlalchemy import event
    read: list[str] = []

    def seen(_conn, _cursor, statement, *_rest) -> None:
        read.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield read
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def queue_ids(w: MainWindow) -> list[int]:
    p = w.queue.table.proxy
    return [p.index(r, 0).data(ID_ROLE) for r in range(p.rowCount())]


def test_a_foreign_request_appears_by_itself_and_the_selection_stays(qtbot, db, tmp_path):
    c = clinic_with_requests(db, 3)
    with console_context(db, staff(db), tmp_path) as ctx:
        w = open_window(qtbot, ctx)
        qtbot.waitUntil(lambda: w.status.state == "live", timeout=15_000)
        w.queue.table.select_id(c["requests"][1])
        w.queue.table.verticalScrollBar().setValue(0)
        resets = []
        w.queue.model.modelReset.connect(lambda: resets.append(1))
        w.queue.table.proxy.modelReset.connect(lambda: resets.append(2))
        new_id = f.request(db, c["slot_ids"][2], f.patient(db, name="小程序来的"))  # the mini-program's SQL
        qtbot.waitUntil(lambda: new_id in queue_ids(w), timeout=15_000)
        assert queue_ids(w) == c["requests"] + [new_id]  # oldest first, the new one last
        assert not resets
        assert w.queue.table.selected_ids() == [c["requests"][1]] and w.queue.table.current_id() == c["requests"][1]
        assert w.nav_items["queue"].text().endswith("4")
        assert "Last change" in w.status.last_label.text() or "最近变更" in w.status.last_label.text()
        w.close()


def test_the_database_going_away_shows_the_banner_and_loses_nothing(qtbot, sqlite_db, tmp_path):
    c = clinic_with_requests(sqlite_db, 2)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        w = open_window(qtbot, ctx, live=False)
        assert not w.banner.isVisible()
        ctx.db = Database(UNREACHABLE)
        qtbot.keyClick(w.queue.table, Qt.Key.Key_J)  # the oldest, chosen by the clerk
        qtbot.keyClick(w.queue.table, Qt.Key.Key_A)
        assert w.queue.model.busy  # greyed while the call is out, not removed
        qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=15_000)
        qtbot.waitUntil(lambda: not w.queue.model.busy, timeout=15_000)
        # not shown as done, not done, and still there to be decided
        assert queue_ids(w) == c["requests"]
        assert f.status_of(sqlite_db, c["requests"][0]) == "pending"
        assert "Not saved" in w.queue.messages.text() or "未保存" in w.queue.messages.text()
        assert w.status.state == "offline"
        ctx.db.dispose()
        ctx.db = sqlite_db  # the database is back
        qtbot.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not w.banner.isVisible(), timeout=15_000)
        w.queue.table.select_id(c["requests"][0])
        w.queue.table.setFocus()
        qtbot.keyClick(w.queue.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: f.status_of(sqlite_db, c["requests"][0]) == "confirmed", timeout=15_000)
        w.close()


def test_each_role_sees_only_what_it_may_do(qtbot, sqlite_db, tmp_path):
    f.department(sqlite_db, code="NK")
    roles = {"clerk": staff(sqlite_db, "c1", "clerk"), "head": staff(sqlite_db, "h1", "head", ("NK",)),
             "admin": staff(sqlite_db, "a1", "admin")}
    seen = {}
    for role, actor in roles.items():
        with console_context(sqlite_db, actor, tmp_path / role) as ctx:
            w = open_window(qtbot, ctx, live=False)
            seen[role] = set(w.nav_items)
            if role == "clerk":
                roster = w.page("roster")
                for name in ("publish_action", "stop_action", "substitute_action", "templates_action"):
                    action = getattr(roster, name, None)
                    assert action is None or not action.isVisible(), name
                assert not w.queue.approve_button.isHidden() and not w.daylist.walkin_button.isHidden()
            w.close()
    assert "admin" not in seen["clerk"] and "notify" not in seen["clerk"]
    assert {"queue", "daylist"} <= seen["clerk"]
    assert "admin" not in seen["head"]
    assert "admin" in seen["admin"]


def test_the_queue_takes_the_keyboard_as_soon_as_its_rows_arrive(qtbot, sqlite_db, tmp_path):
    """Right after the log-in a clerk presses J, J, Space: the second request is chosen and marked. The
    queue's list has the keyboard focus, with a current row (none chosen for the clerk) once rows arrive."""
    clinic_with_requests(sqlite_db, 3)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        w = MainWindow(ctx, live=False)
        qtbot.addWidget(w)
        w.show()
        w.activateWindow()
        qtbot.waitUntil(lambda: w.queue.loaded and w.queue.model.rowCount() == 3, timeout=15_000)
        assert QApplication.focusWidget() is w.queue.table
        assert w.queue.table.currentIndex().row() == 0 and w.queue.table.selected_ids() == []
        for key in (Qt.Key.Key_J, Qt.Key.Key_J, Qt.Key.Key_Space):
            qtbot.keyClick(QApplication.focusWidget(), key)
        second = queue_ids(w)[1]
        assert w.queue.table.selected_ids() == [second] and w.queue.model.marked == {second}
        w.close()


def test_pages_not_shown_read_nothing_and_the_queue_still_loads(qtbot, sqlite_db, tmp_path):
    """An administrator's window opens on the roster page saved last time: the queue still loads; the
    notification and administration pages are not built and read nothing until first shown."""
    clinic_with_requests(sqlite_db, 2)
    with statements(sqlite_db) as read:
        with console_context(sqlite_db, staff(sqlite_db, "a1", "admin"), tmp_path) as ctx:
            ctx.settings[S.LAST_PAGE] = "roster"
            read.clear()  # what the window reads, not what setting up the test wrote
            w = open_window(qtbot, ctx, live=False)
            qtbot.waitUntil(lambda: ctx.tasks.idle and w.jobs_monitor.latest is not None, timeout=15_000)
            assert w.current_page() == "roster" and queue_ids(w) != []
            assert set(w.pages) == {"queue", "daylist", "roster"}
            assert {"notify", "wechat", "admin"} <= set(w.nav_items)
            # the staff list (administration), the failed notifications, the WeChat settings
            assert [s for s in read if re.search(r"\bFROM staff\b|notifications\.last_error|app_settings\.key", s)] == []
            w.show_page("admin")
            admin = w.page("admin")
            assert w.stack.currentWidget() is admin
            qtbot.waitUntil(lambda: admin.staff.model.rowCount() > 0 and ctx.tasks.idle, timeout=15_000)
            assert any(re.search(r"\bFROM staff\b", s) for s in read)
            w.close()


def test_the_queue_is_read_first_and_what_can_wait_is_read_once_its_rows_are_shown(qtbot, sqlite_db, tmp_path):
    """At start-up nothing competes with the queue's first read: the job service's heartbeat and the day
    list's departments are read once the queue's rows are on the screen (the departments without the day
    list being shown, so its pickers are ready), and the day itself only when the day list is first shown."""
    clinic_with_requests(sqlite_db, 2)
    shown_at: list[int] = []
    with statements(sqlite_db) as read:
        with console_context(sqlite_db, staff(sqlite_db, "a1", "admin"), tmp_path) as ctx:
            read.clear()
            w = MainWindow(ctx, live=False)
            qtbot.addWidget(w)
            # the rows in the model (what the rest waits for comes after they are painted, later still)
            w.queue.model.modelReset.connect(lambda: shown_at.append(len(read)))
            w.show()
            qtbot.waitUntil(lambda: shown_at != [] and ctx.tasks.idle and w.daylist.department.count() > 1
                            and w.jobs_monitor.latest is not None, timeout=15_000)
            before, after = read[:shown_at[0]], read[shown_at[0]:]

            def asks(statements, pattern):
                return any(re.search(pattern, s) for s in statements)
            assert asks(before, r"bookings\.status = \?") and queue_ids(w) != []  # the queue's pending requests
            assert not asks(before, r"\bFROM job_runners\b") and not asks(before, r"\bFROM departments\b")
            assert asks(after, r"\bFROM job_runners\b") and asks(after, r"\bFROM departments\b")
            assert w.daylist.model.query is None  # the day list was not shown: its day is not read
            w.close()


def test_closing_saves_the_window_and_stops_the_feed_and_simulator(qtbot, sqlite_db, tmp_path):
    clinic_with_requests(sqlite_db, 1, day=dt.date.today() + dt.timedelta(days=1))
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        sim = Simulator(sqlite_db.engine.url.render_as_string(hide_password=False), min_interval=0.05,
                        max_interval=0.1)
        ctx.simulator = sim
        sim.start()
        w = open_window(qtbot, ctx)
        qtbot.waitUntil(lambda: w.status.state == "live", timeout=15_000)
        w.show_page("daylist")
        w.resize(1300, 700)
        w.show_help()
        help_dialog = w.findChild(HelpDialog)
        assert help_dialog is not None and help_dialog.isVisible()
        help_dialog.close()
        w.close()
        assert not sim.is_alive() and not w.feed.running
        assert ctx.settings[S.LAST_PAGE] == "daylist" and not ctx.settings[S.GEOMETRY].isEmpty()


def test_demo_console_end_to_end(qtbot, app_restored):
    """`regdesk --demo`: the demo database is created and seeded, requests arrive by themselves."""
    cfg = config_mod.load()
    seen = {}

    def watch():
        seen["ticks"] = seen.get("ticks", 0) + 1
        if seen["ticks"] > 600:  # give up: close whatever is open, so the test fails instead of hanging
            seen["left_open"] = [type(w).__name__ + ":" + w.windowTitle()
                                 for w in QApplication.topLevelWidgets() if w.isVisible()]
            for w in QApplication.topLevelWidgets():
                w.close()
            QApplication.quit()
            return
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return
        w = windows[0]
        sim = w.ctx.simulator
        seen.setdefault("first", w.queue.model.rowCount() if w.queue.loaded else None)
        if w.queue.loaded and sim.requests >= 1 and w.queue.model.rowCount() > (seen["first"] or 0):
            seen["grew"] = True
            w.close()

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(100)
    code = run_console(cfg, demo=True, db_given=False)
    timer.stop()
    assert "left_open" not in seen, f"the console did not end; windows left open: {seen['left_open']}"
    assert code == 0
    assert seen.get("grew"), seen.get("first")
    assert (config_mod.data_dir() / "demo.db").exists()


def test_console_opens_after_log_in_on_a_new_embedded_database(qtbot, monkeypatch, app_restored):
    """`regdesk` without --db: the embedded database is created, the clerk logs in, the window opens."""
    from console.app import open_database
    from console.login import LoginDialog
    from services.staff import auth
    from services.staff.actor import SYSTEM
    cfg = config_mod.load()
    db = open_database(cfg.database_url, create=True)  # as a first start would; then an account
    auth.create_staff(db, SYSTEM, "clerk9", "窗口九", "clerk", "secret-pass-9")
    db.dispose()
    opened = {}

    def log_in(dialog: LoginDialog) -> None:
        dialog.username.setText("clerk9")
        dialog.password.setText("secret-pass-9")
        dialog.submit()

    real_exec = LoginDialog.exec
    monkeypatch.setattr(LoginDialog, "exec", lambda self: (QTimer.singleShot(0, lambda: log_in(self)),
                                                           real_exec(self))[1])

    def watch():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible() and w.queue.loaded:
                opened["who"] = w.ctx.actor.name
                w.close()

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(50)
    assert run_console(cfg, demo=False, db_given=False) == 0
    timer.stop()
    assert opened == {"who": "clerk9"}


def test_the_log_in_comes_first_and_an_unreachable_database_then_says_why(qtbot, monkeypatch, app_restored):
    """The log-in dialog does not wait for the database: it is on the screen while the database opens
    behind it; when that fails, the start-up dialog says why with Retry, and Quit ends the console."""
    from console.app import StartupDialog
    from console.login import LoginDialog
    seen: list[str] = []
    shown = LoginDialog.showEvent
    monkeypatch.setattr(LoginDialog, "showEvent", lambda self, event: (seen.append("login"), shown(self, event)))

    def watch():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, StartupDialog) and w.isVisible() and w.error is not None and w.retry.isEnabled():
                seen.append("startup:" + w.label.text())
                w.quit.click()

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(20)
    code = run_console(config_mod.Config(UNREACHABLE, config_mod.WeChatSettings()), demo=False, db_given=True)
    timer.stop()
    assert code == 1
    assert seen[0] == "login" and len(seen) == 2, seen
    assert "cannot be reached" in seen[1] or "无法连接" in seen[1]


@pytest.mark.parametrize("sound", [False, True])
def test_new_requests_ring_the_bell_only_when_asked(qtbot, sqlite_db, tmp_path, monkeypatch, sound):
    """The optional sound (文件 → 设置): the system bell when a new request arrives, never otherwise."""
    bells = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: bells.append(1)))
    c = clinic_with_requests(sqlite_db, 1)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        ctx.settings[S.SOUND_NOTIFY] = sound
        w = open_window(qtbot, ctx, live=False)
        assert bells == []  # what was already waiting at start-up is not news
        new_id = f.request(db=sqlite_db, slot_id=c["slot_ids"][1], patient_id=f.patient(sqlite_db))
        w.queue.reload()
        qtbot.waitUntil(lambda: new_id in queue_ids(w), timeout=15_000)
        assert bells == ([1] if sound else [])
        w.close()
