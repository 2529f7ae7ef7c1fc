"""The console's one channel of "what changed" (Anki's ``operation_did_execute``): ``ctx.changes``.

Every change reaches the pages here as one value, services.sync.changes.Changes:
- what this console just did, published by the page that did it as soon as the database said yes
  (``ctx.changes.publish(result.changes, self)``), without waiting for the feed;
- what anyone did, from the live feed (``follow(feed)``: each batch of Change rows as one Changes);
- ``EVERYTHING`` when nobody can tell (a gap in the feed, a poll without a feed, a connection back).

A page subscribes once and updates in place what the value touches:

    ctx.changes.subscribe(self, self.apply_changes)   # apply_changes(changes: Changes)

The page that published a change is not told of it again (it has applied its own result already);
a subscription ends with its page.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from services.sync.changes import EVERYTHING, Changes


class _Subscription(QObject):
    """A child of the page: Qt drops the connection when the page (and so this) is deleted."""

    def __init__(self, page: QObject, handler: Callable[[Changes], None]):
        super().__init__(page)
        self._page = page
        self._handler = handler

    @Slot(object, object)
    def receive(self, changes: Changes, source: object) -> None:
        if source is not self._page:
            self._handler(changes)


class ChangeHub(QObject):
    changed = Signal(object, object)  # Changes, and who made them (a page; None: the feed or unknown)

    def publish(self, changes: Changes, source: QObject | None = None) -> None:
        """Tell every page (but ``source``) what changed; nothing when nothing did."""
        if changes:
            self.changed.emit(changes, source)

    def subscribe(self, page: QObject, handler: Callable[[Changes], None]) -> None:
        """``handler(changes)`` for every change ``page`` did not publish itself, while it exists."""
        self.changed.connect(_Subscription(page, handler).receive)

    def reload_all(self) -> None:
        """Nobody can tell what changed: every page looks again at what it shows."""
        self.publish(EVERYTHING)

    def follow(self, feed) -> None:
        """Publish a console.common.live.LiveFeed's batches (and its gaps, as EVERYTHING)."""
        feed.changes.connect(lambda batch: self.publish(Changes.from_feed(batch)))
        feed.reloadNeeded.connect(self.reload_all)
