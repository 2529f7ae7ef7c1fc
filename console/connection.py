"""The connection as the clerk sees it: the banner over the pages when the database is out of reach (with
Retry and a retry every few seconds), the status bar's state and last change, the live feed started for
the pages and published on ``ctx.changes`` (console.common.changes), and a poll every two seconds when no
feed runs. A poll, a gap in the feed and a restored connection ask every page for a full look
(``ctx.changes.reload_all()``)."""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from console.common.context import ConsoleContext
from console.common.live import LiveFeed
from console.common.tasks import is_unreachable
from console.shell import Banner, ConnectionStatus
from services.bookings import queries

log = logging.getLogger(__name__)

POLL_MS = 2000  # without a live feed
RETRY_MS = 5000  # while the database is out of reach


class ConnectionWatch(QObject):
    def __init__(self, ctx: ConsoleContext, banner: Banner, status: ConnectionStatus, parent: QObject):
        super().__init__(parent)
        self.ctx = ctx
        self.banner = banner
        self.status = status
        banner.retry.connect(self.ping)
        ctx.tasks.connectionLost.connect(self.lost)
        ctx.tasks.connectionRestored.connect(self.restored)
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.ping)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(ctx.changes.reload_all)
        self.feed: LiveFeed | None = None

    def start(self, live: bool) -> LiveFeed | None:
        """The live feed (put in ``ctx.live`` for the pages), or polling when it cannot start."""
        if live:
            self.feed = self._start_feed()
            if self.feed is None:
                self._poll.start()
        return self.feed

    def _start_feed(self) -> LiveFeed | None:
        try:
            feed = LiveFeed(self.ctx.db, parent=self)
        except Exception:
            log.exception("live feed unavailable; polling instead")
            return None
        self.ctx.live = feed
        self.ctx.changes.follow(feed)
        feed.stateChanged.connect(self._feed_state)
        feed.lastChangeAt.connect(lambda at: self.status.set_last_change(at))
        feed.start()
        return feed

    def _feed_state(self, state: str) -> None:
        self.status.set_state(state)
        if state == "offline":
            self.lost(self.tr("The live feed lost the database."))
        elif state == "live" and not self.ctx.tasks.offline:
            self.banner.hide()

    def lost(self, message: str) -> None:
        self.banner.show_offline(message)
        self.status.set_state("offline")
        if not self._retry.isActive():
            self._retry.start()

    def restored(self) -> None:
        self._retry.stop()
        self.banner.hide()
        self.status.set_state(self.feed.state if self.feed is not None else "live")
        self.ctx.changes.reload_all()  # whatever happened meanwhile, applied in place

    def ping(self) -> None:
        """One cheap query: its success (through the task runner) hides the banner."""
        db = self.ctx.db
        self.banner.set_retrying()

        def done(_result, error):
            if error is not None and not is_unreachable(error):
                log.warning("connection check failed: %s", error)
        self.ctx.tasks.run_task(lambda: queries.latest_booking_id(db), done, owner=self)

    def stop(self) -> None:
        for t in (self._retry, self._poll):
            t.stop()
        if self.feed is not None:
            self.feed.stop()
