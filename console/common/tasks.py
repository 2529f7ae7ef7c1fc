"""Background work for the console (as in Picard): ``run_task(func, next_func)``.

``func`` runs on a QThreadPool worker (it may call services, which do the database
work); ``next_func(result, error)`` is then called in the GUI thread. The window
never waits on the database. Connection trouble is reported once through the
``connectionLost``/``connectionRestored`` signals so the main window can show a banner.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from services.errors import DatabaseUnavailable, RegdeskError

log = logging.getLogger(__name__)

NextFunc = Callable[[Any, BaseException | None], None]


def user_message(error: BaseException) -> str:
    """What a clerk should read for an error: our own messages as they are, anything else briefly."""
    if isinstance(error, RegdeskError):
        return str(error)
    from services.db import first_line, is_connection_error
    if is_connection_error(error):
        return "数据库连接中断：" + first_line(error)
    return f"操作失败：{type(error).__name__}: {first_line(error)}"


def is_unreachable(error: BaseException | None) -> bool:
    if error is None:
        return False
    if isinstance(error, DatabaseUnavailable):
        return True
    from services.db import is_connection_error
    return is_connection_error(error)


class _Relay(QObject):
    """Lives in the GUI thread; the worker emits ``done`` and Qt queues it to the GUI thread."""
    done = Signal(object, object, object)  # next_func, result, error


class _Job(QRunnable):
    def __init__(self, func: Callable[[], Any], next_func: NextFunc | None, relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._func, self._next, self._relay = func, next_func, relay

    def run(self) -> None:  # worker thread
        result, error = None, None
        try:
            result = self._func()
        except BaseException as exc:
            error = exc
            if not isinstance(exc, RegdeskError) and not is_unreachable(exc):
                log.error("background task failed:\n%s", "".join(traceback.format_exception(exc)))
        try:
            self._relay.done.emit(self._next, result, error)
        except RuntimeError:  # the relay is gone: the console is shutting down
            pass


class TaskRunner(QObject):
    """Runs service calls off the GUI thread and hands results back to it."""

    connectionLost = Signal(str)
    connectionRestored = Signal()
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 4):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.done.connect(self._finish)
        self._pending = 0
        self.offline = False

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def run_task(self, func: Callable[[], Any], next_func: NextFunc | None = None,
                 owner: QObject | None = None) -> None:
        """``owner``: when ``next_func`` is a lambda or a partial, the widget it belongs to; the result
        is dropped if that widget was deleted meanwhile (a bound method's object is checked anyway)."""
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        if owner is not None and next_func is not None:
            inner = next_func

            def next_func(result: Any, error: BaseException | None) -> None:
                if shiboken6.isValid(owner):
                    inner(result, error)
        self._pool.start(_Job(func, next_func, self._relay))

    @Slot(object, object, object)
    def _finish(self, next_func: NextFunc | None, result: Any, error: BaseException | None) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busyChanged.emit(False)
        if is_unreachable(error):
            if not self.offline:
                self.offline = True
                self.connectionLost.emit(user_message(error))
        elif self.offline and error is None:
            self.offline = False
            self.connectionRestored.emit()
        if next_func is None:
            return
        owner = getattr(next_func, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # the widget that asked was closed meanwhile
        next_func(result, error)

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until all workers finished (shutdown and tests); queued results still need the event loop."""
        return self._pool.waitForDone(msecs)
