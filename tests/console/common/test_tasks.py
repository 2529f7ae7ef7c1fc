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


def test_a_big_read_holds_the_collector_off_until_its_rows_are_painted(qtbot):
    """A big read (run_task(shown_in=the list's viewport)) runs, and its result is handed over and painted,
    without Python's cyclic collector walking the rows it builds; the collector runs again once the
    widget has painted, also when the read failed, and, bounded in time, when the runner is gone before
    its result arrived."""
    import gc

    from PySide6.QtWidgets import QWidget
    assert gc.isenabled()
    view = QWidget()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    runner = TaskRunner()
    seen = {}
    release = threading.Event()

    def work():
        release.wait(10)
        seen["during"] = gc.isenabled()
        return [(i, str(i)) for i in range(1000)]

    def done(result, error):
        seen["handed over"] = gc.isenabled()
        seen["rows"] = len(result)
        view.update()  # the rows to paint

    runner.run_task(work, done, shown_in=view)
    release.set()
    qtbot.waitUntil(lambda: "rows" in seen, timeout=5000)
    assert seen == {"during": False, "handed over": False, "rows": 1000}
    qtbot.waitUntil(gc.isenabled, timeout=5000)

    def fail():
        raise DatabaseUnavailable("database unreachable: connection refused")
    runner.run_task(fail, lambda r, e: seen.update(failed=e is not None), shown_in=view)
    qtbot.waitUntil(lambda: seen.get("failed") and gc.isenabled(), timeout=5000)

    gone = TaskRunner()
    hold = threading.Event()
    gone.run_task(lambda: hold.wait(10), None, shown_in=view)
    assert not gc.isenabled()
    hold.set()
    gone.wait_for_done()
    gone.deleteLater()
    qtbot.waitUntil(gc.isenabled, timeout=5000)  # never handed over: the pause ended by itself (PAUSE_AT_MOST_MS)
