"""The background runner hands results and errors back to the GUI thread and reports lost connections."""
import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from console.common.tasks import TaskRunner, user_message
from services.errors import DatabaseUnavailable, ValidationError


def test_result_arrives_in_gui_thread(qtbot):
    runner = TaskRunner()
    got = {}

    def work():
        got["worker"] = threading.get_ident()
        return 41 + 1

    def done(result, error):
        got["result"], got["error"] = result, error
        got["gui"] = QThread.currentThread() is QApplication.instance().thread()

    runner.run_task(work, done)
    qtbot.waitUntil(lambda: "result" in got)
    assert got["result"] == 42 and got["error"] is None and got["gui"]
    assert got["worker"] != threading.get_ident()
    assert runner.idle


def test_errors_and_connection_banner_signals(qtbot):
    runner = TaskRunner()
    seen = []

    def fail():
        raise DatabaseUnavailable("database unreachable: connection refused")

    with qtbot.waitSignal(runner.connectionLost, timeout=5000) as lost:
        runner.run_task(fail, lambda r, e: seen.append(e))
    assert "unreachable" in lost.args[0]
    assert isinstance(seen[0], DatabaseUnavailable)
    with qtbot.waitSignal(runner.connectionRestored, timeout=5000):
        runner.run_task(lambda: 1, None)
    assert not runner.offline


def test_user_message_keeps_our_messages():
    assert user_message(ValidationError("该时段已满")) == "该时段已满"
    assert user_message(ValueError("x")).startswith("操作失败")
