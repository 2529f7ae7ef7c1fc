"""The console's live feed: services.sync.feed.ChangeFeed running in its own thread, reported with Qt signals.
Pages do not connect to it: the main window publishes it on ``ctx.changes`` (console.common.changes), where
each batch arrives as one services.sync.changes.Changes.

    live = LiveFeed(db)
    live.changes.connect(on_changes)          # list[services.sync.feed.Change], in the GUI thread
    live.stateChanged.connect(show_state)     # 'live', 'catching_up', 'offline'
    live.reloadNeeded.connect(reload_all)     # the feed cannot tell what changed: reload in full
    live.lastChangeAt.connect(show_time)      # datetime (local wall clock) of the newest change
    live.start()
    ...
    live.stop()                               # joins the thread; also done when the application quits

A worker object is moved to a QThread (no QThread subclass): it runs services.sync.follow.follow, which
blocks in ChangeFeed.wait (PostgreSQL LISTEN, SQLite data_version, MySQL max(id)) and wakes at least
every quarter second to notice stop(). Its signals are connected to LiveFeed's with queued
connections, so every slot runs in the GUI thread. A lost database shows as 'offline'; the feed
reconnects with back-off, says 'catching_up', and delivers what was missed from its cursor.
"""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from services import clock
from services.db import Database
from services.errors import DatabaseUnavailable
from services.sync.feed import BACKOFF, CATCHING_UP, LIVE, OFFLINE, Change, ChangeFeed
from services.sync.follow import follow

log = logging.getLogger(__name__)


class _Worker(QObject):
    """Lives in the feed thread; everything it emits crosses to the GUI thread through LiveFeed."""

    changes = Signal(list)
    stateChanged = Signal(str)
    reloadNeeded = Signal()
    lastChangeAt = Signal(object)
    done = Signal()

    def __init__(self, db: Database, cursor: int | None, stop: threading.Event, idle: float, result: dict):
        super().__init__()
        self._db = db
        self._cursor = cursor
        self._stop = stop
        self._idle = idle
        self._result = result  # a plain dict: still readable after Qt has deleted this object

    def _open(self) -> ChangeFeed | None:
        """The feed, once the database answers; None if stopped first."""
        failures = 0
        while not self._stop.is_set():
            try:
                feed = ChangeFeed(self._db, cursor=self._cursor)
            except DatabaseUnavailable as exc:
                if failures == 0:
                    log.warning("live feed: %s; retrying", exc)
                    self.stateChanged.emit(OFFLINE)
                self._stop.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])
                failures += 1
                continue
            if failures and self._cursor is None:
                # a feed that starts "now" cannot know what changed while the database was away
                self.stateChanged.emit(CATCHING_UP)
                self.reloadNeeded.emit()
            return feed
        return None

    def _deliver(self, changes: list[Change]) -> None:
        self.changes.emit(changes)
        newest = max((c.at for c in changes if c.at is not None), default=None)
        self.lastChangeAt.emit(clock.utc_to_local(newest) if newest else clock.local_now())

    @Slot()
    def run(self) -> None:
        feed = None
        try:
            feed = self._open()
            if feed is None:
                return
            self.stateChanged.emit(LIVE)
            feed.on_state = self.stateChanged.emit
            failures = 0
            while not self._stop.is_set():
                try:
                    follow(feed, self._stop, self._deliver, on_reload=self.reloadNeeded.emit, idle=self._idle)
                except Exception:  # a bug or an unexpected database error must not end live updates
                    log.exception("live feed failed; retrying")
                    self.stateChanged.emit(OFFLINE)
                    self._stop.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])
                    failures += 1
        finally:
            if feed is not None:
                self._result["cursor"] = feed.cursor
                feed.close()
            self.done.emit()


class LiveFeed(QObject):
    """Changes made by anyone, delivered to the GUI thread. See the module docstring."""

    changes = Signal(list)
    stateChanged = Signal(str)
    reloadNeeded = Signal()
    lastChangeAt = Signal(object)

    def __init__(self, db: Database, cursor: int | None = None, parent: QObject | None = None, *,
                 idle: float = 0.25):
        super().__init__(parent)
        self._db = db
        self._cursor = cursor
        self._idle = idle
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._result: dict = {}
        self._stop = threading.Event()
        self.state = OFFLINE  # until the feed has started
        self.stateChanged.connect(self._remember_state)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    @Slot(str)
    def _remember_state(self, state: str) -> None:
        self.state = state

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def cursor(self) -> int | None:
        """After stop(): where a new LiveFeed can resume without losing anything."""
        return self._cursor

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop = threading.Event()
        self._result = {}
        thread = QThread()
        thread.setObjectName("regdesk-live-feed")
        worker = _Worker(self._db, self._cursor, self._stop, self._idle, self._result)
        worker.moveToThread(thread)
        queued = Qt.ConnectionType.QueuedConnection
        worker.changes.connect(self.changes, queued)
        worker.stateChanged.connect(self.stateChanged, queued)
        worker.reloadNeeded.connect(self.reloadNeeded, queued)
        worker.lastChangeAt.connect(self.lastChangeAt, queued)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)  # Qt's recipe: deleted in its own thread
        self._thread, self._worker = thread, worker
        thread.start()

    @Slot()
    def stop(self) -> None:
        """Stop the feed thread and wait for it (within about a quarter second)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.quit()
        thread.wait()
        self._cursor = self._result.get("cursor", self._cursor)
        self._thread = None
        self._worker = None
