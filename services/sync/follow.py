"""Following the change feed from a long-running reader (``regdesk watch``, the console's live thread):
deliver changes until told to stop, through lost connections, and check a cursor a person typed."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from services import limits
from services.db import Database
from services.errors import DatabaseUnavailable, ValidationError
from services.sync.feed import OFFLINE, Change, ChangeFeed, change_log

log = logging.getLogger(__name__)


def follow(feed: ChangeFeed, stop: threading.Event, on_changes: Callable[[list[Change]], None], *,
           on_reload: Callable[[], None] | None = None, idle: float = 0.25, resync: float = 5.0) -> None:
    """Deliver the feed's changes to ``on_changes`` until ``stop`` is set; survives lost connections.

    Polls at once, then whenever wait() wakes, and every ``resync`` seconds as a safety net. Set
    ``feed.on_state`` to hear of 'offline' / 'catching_up' / 'live'."""
    due, last = True, time.monotonic()
    while not stop.is_set():
        if due or (feed.state != OFFLINE and time.monotonic() - last >= resync):
            try:
                changes = feed.poll()
            except DatabaseUnavailable as exc:
                log.warning("change feed: %s", exc)
                changes = None
            last = time.monotonic()
            if changes is not None:
                if feed.needs_reload and on_reload is not None:
                    on_reload()
                if changes:
                    on_changes(changes)
        if stop.is_set():
            break
        due = feed.wait(idle)


def check_resume_cursor(db: Database, cursor: int) -> int:
    """A cursor a person gave to resume from (``watch --after``): inside the change log's id range
    and not past its newest row, which pruning always keeps, so no cursor a feed handed out is
    ever past it. One that is (a typo, another database) would wait forever for ids that never
    come. Raises ValidationError."""
    cursor = limits.CHANGE_ID.check(cursor)
    with db.read() as conn:
        top = int(conn.execute(sa.select(sa.func.max(change_log.c.id))).scalar() or 0)
    if cursor > top:
        raise ValidationError(f"变更编号 {cursor} 还不存在（最新的是 {top}）")
    return cursor
