"""Background work for the console (as in Picard): ``run_task(func, next_func)``.

``func`` runs on a QThreadPool worker (it may call services, which do the database
work); ``next_func(result, error)`` is then called in the GUI thread. The window
never waits on the database. Connection trouble is reported once through the
``connectionLost``/``connectionRestored`` signals so the main window can show a banner.
"""
from __future__ import annotations

import gc
import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from console.common.widgets import after_paint
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


PAUSE_AT_MOST_MS = 2000  # a pause whose rows never got painted (their page closed first) ends by itself
_pause = {"count": 0, "timer": None}


def pause_collector() -> None:
    """(GUI thread) Hold off Python's cyclic garbage collector while a big read builds its rows and the page
    paints them (a day of 30,000 bookings: about 50 ms of collections that find nothing, since rows hold
    no cycles); reference counting still frees everything as usual. Pauses are counted: the collector
    runs again when the last one ends (:func:`resume_collector`), and at the latest PAUSE_AT_MOST_MS after
    the newest began, so a pause whose end never comes costs nothing lasting."""
    timer = _pause["timer"]
    if timer is None:
        timer = _pause["timer"] = QTimer(QCoreApplication.instance())
        timer.setSingleShot(True)
        timer.timeout.connect(_resume_all)
    _pause["count"] += 1
    gc.disable()
    timer.start(PAUSE_AT_MOST_MS)


def resume_collector() -> None:
    """(GUI thread) One pause over (nothing if they were all ended already)."""
    if _pause["count"] > 0:
        _pause["count"] -= 1
        if _pause["count"] == 0:
            _resume_all()


def resume_collector_after_paint(widget: QWidget | None) -> None:
    """(GUI thread) End a pause once ``widget`` has painted what it was given (at once without one)."""
    if widget is not None and shiboken6.isValid(widget):
        after_paint(widget, resume_collector)
    else:
        resume_collector()


def _resume_all() -> None:
    _pause["count"] = 0
    if _pause["timer"] is not None:
        _pause["timer"].stop()
    gc.enable()


class _Relay(QObject):
    """Lives in the GUI thread; the worker emits ``done`` and Qt queues it to the GUI thread."""
    done = Signal(object, object, object, object)  # next_func, result, error, the widget that shows it or None


class _Job(QRunnable):
    def __init__(self, func: Callable[[], Any], next_func: NextFunc | None, relay: _Relay, shown_in: QWidget | None):
        super().__init__()
        self.setAutoDelete(True)
        self._func, self._next, self._relay, self._shown_in = func, next_func, relay, shown_in

    def run(self) -> None:  # worker thread
        result, error = None, None
        try:
            result = self._func()
        except BaseException as exc:
            error = exc
            if not isinstance(exc, RegdeskError) and not is_unreachable(exc):
                log.error("background task failed:\n%s", "".join(traceback.format_exception(exc)))
        try:
            self._relay.done.emit(self._next, result, error, self._shown_in)
        except RuntimeError:  # the relay is gone (the console is shutting down); a pause ends by its time bound
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
                 owner: QObject | None = None, shown_in: QWidget | None = None) -> None:
        """``owner``: when ``next_func`` is a lambda or a partial, the widget it belongs to; the result
        is dropped if that widget was deleted meanwhile (a bound method's object is checked anyway).
        ``shown_in``: a read of many rows that this widget shows (a list's viewport): run with the collector
        paused (:func:`pause_collector`) until the widget has painted them."""
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        if owner is not None and next_func is not None:
            inner = next_func

            def next_func(result: Any, error: BaseException | None) -> None:
                if shiboken6.isValid(owner):
                    inner(result, error)
        if shown_in is not None:
            pause_collector()
        self._pool.start(_Job(func, next_func, self._relay, shown_in))

    @Slot(object, object, object, object)
    def _finish(self, next_func: NextFunc | None, result: Any, error: BaseException | None,
                shown_in: QWidget | None) -> None:
        try:
            self._deliver(next_func, result, error)
        finally:
            if shown_in is not None:  # once the widget has painted what next_func gave it
                resume_collector_after_paint(shown_in)

    def _deliver(self, next_func: NextFunc | None, result: Any, error: BaseException | None) -> None:
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
