"""Log-in: wrong password, lock-out message, success; the start-up dialog for schemas and lost databases."""
from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from console.app import StartupDialog, open_database
from console.common import settings as S
from console.common.settings import Settings
from console.common.tasks import TaskRunner
from console.login import LoginDialog
from services import migrate
from services.db import Database
from tests.console.console_helpers import PASSWORD, staff
from tests.console.page_support import cleared_by_editing, error_by

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/regdesk"  # nothing listens on port 1


def dialog(qtbot, db, tmp_path) -> LoginDialog:
    d = LoginDialog(lambda: db, db.url, TaskRunner(), Settings(tmp_path / "console.ini"))
    qtbot.addWidget(d)
    d.open()
    return d


def attempt(qtbot, d: LoginDialog, username: str, password: str) -> None:
    d.username.setText(username)
    d.password.setText(password)
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.busy, timeout=15_000)


def test_wrong_password_then_lock_out_message(qtbot, sqlite_db, tmp_path):
    staff(sqlite_db, "clerk1")
    d = dialog(qtbot, sqlite_db, tmp_path)
    attempt(qtbot, d, "clerk1", "wrong-password")
    assert "用户名或密码错误" in error_by(qtbot, d.errors, "credentials")  # under both, not saying which
    assert d.username.property("invalid") and d.password.property("invalid")
    assert d.actor is None and d.isVisible() and d.password.text() == ""
    assert cleared_by_editing(d.errors, "credentials", lambda: d.password.setText("x"))
    for _ in range(4):
        attempt(qtbot, d, "clerk1", "wrong-password")
    assert "尝试次数过多" in d.errors.text("credentials")
    attempt(qtbot, d, "clerk1", PASSWORD)  # the right password waits like any other on this PC
    assert "尝试次数过多" in d.errors.text("credentials") and d.actor is None


def test_success_logs_in_and_remembers_the_username(qtbot, sqlite_db, tmp_path):
    staff(sqlite_db, "clerk1")
    d = dialog(qtbot, sqlite_db, tmp_path)
    with qtbot.waitSignal(d.loggedIn, timeout=15_000) as logged:
        d.username.setText("Clerk1")
        d.password.setText(PASSWORD)
        qtbot.keyClick(d.password, Qt.Key.Key_Return)
    assert logged.args[0].name == "clerk1" and logged.args[0].role == "clerk"
    assert d.result() == LoginDialog.DialogCode.Accepted
    assert Settings(tmp_path / "console.ini")[S.LAST_USER] == "clerk1"
    again = dialog(qtbot, sqlite_db, tmp_path)
    assert again.username.text() == "clerk1" and again.focusWidget() is again.password


def test_empty_fields_ask_without_a_database_call(qtbot, sqlite_db, tmp_path):
    d = dialog(qtbot, sqlite_db, tmp_path)
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    assert error_by(qtbot, d.errors, "username") and not d.busy and d.focusWidget() is d.username
    assert cleared_by_editing(d.errors, "username", lambda: d.username.setText("clerk1"))
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    assert error_by(qtbot, d.errors, "password") and not d.busy and d.focusWidget() is d.password
    assert cleared_by_editing(d.errors, "password", lambda: d.password.setText("x"))


def test_unreachable_database_is_said_plainly(qtbot, tmp_path):
    db = Database(UNREACHABLE)
    d = dialog(qtbot, db, tmp_path)
    attempt(qtbot, d, "clerk1", PASSWORD)
    assert "cannot be reached" in d.error.text() or "无法连接" in d.error.text()
    db.dispose()


def startup(qtbot, work) -> StartupDialog:
    d = StartupDialog(TaskRunner(), work)
    qtbot.addWidget(d)
    qtbot.waitUntil(lambda: d.result_value is not None or d.error is not None, timeout=20_000)
    return d


def test_an_empty_embedded_database_is_created(qtbot, tmp_path):
    url = "sqlite:///" + str(tmp_path / "new" / "regdesk.db")
    d = startup(qtbot, lambda: open_database(url, create=True))
    assert d.error is None
    migrate.check(d.result_value)
    d.result_value.dispose()


def test_a_shared_database_without_schema_is_not_touched(qtbot, db_url):
    d = startup(qtbot, lambda: open_database(db_url, create=False))
    assert d.result_value is None and "regdesk db upgrade" in d.label.text()
    probe = Database(db_url)
    assert migrate.current_revision(probe) is None
    probe.dispose()


def test_a_newer_schema_gets_a_clear_dialog(qtbot, sqlite_db):
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    d = startup(qtbot, lambda: open_database(url, create=True))
    assert d.result_value is None
    assert "newer" in d.label.text() or "新版本" in d.label.text()


def test_an_unreachable_database_offers_retry(qtbot):
    d = startup(qtbot, lambda: open_database(UNREACHABLE, create=False))
    assert d.error is not None and d.retry.isEnabled()
    assert "cannot be reached" in d.label.text() or "无法连接" in d.label.text()
    d.error = None
    qtbot.mouseClick(d.retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.error is not None, timeout=20_000)
