"""The change feed: every change of bookings, sessions, slots and rules, whoever made it, in order of a cursor.

Triggers (migration 0002, services/migrations/helpers.py) write one change_log row per change, so a
change made with plain SQL by the mini-program is seen like any other. Readers keep a cursor on
change_log.id, never on timestamps:

    feed = ChangeFeed(db)              # starts at the current end of the log
    while running:
        if feed.wait(1.0):             # PostgreSQL LISTEN / SQLite data_version / MySQL max(id)
            for change in feed.poll(): ...
            if feed.needs_reload: ...  # the log was pruned past us: reload in full

Out-of-order ids. A sequence (PostgreSQL) or auto-increment (MySQL/MariaDB) hands out an id when a
transaction inserts, which may commit after a later id has become visible. A reader therefore keeps
*gaps*: the ids below the highest one seen that it has not seen yet, and looks for them again on every
poll (by primary key: the cost is what is missing, not what exists). Every id is delivered once.
A gap is given up when it can no longer appear:
- PostgreSQL: each gap remembers the xmax of the snapshot in which it was first missed; any
  transaction that holds it had its xid by then (the change row is written by an AFTER trigger, after
  the transaction's first write). Once a later snapshot's xmin reaches that xmax, all such
  transactions have ended, so a gap still missing then was rolled back. Nothing is ever skipped.
- MySQL/MariaDB: there is no cheap view of running transactions, so a gap expires GAP_TIMEOUT seconds
  (reader's monotonic clock) after it was first missed; a transaction that holds a change uncommitted
  longer than that (InnoDB's lock wait timeout is 50 s) may have it skipped.
- SQLite: one writer at a time, and rowids are taken while holding the write lock: ids become visible
  in order, so there are no gaps to wait for.

Pruning (prune()) deletes old rows and writes a marker row ('feed', 'prune', X = the lowest id kept).
A reader that still lacked an id below X learns from the marker that it may have missed a change:
``needs_reload`` is True after that poll, and the caller reloads in full. ``cursor`` is the safe point
to resume from: every id up to it has been delivered or given up.
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services.clock import as_datetime, utcnow
from services.db import Database, first_line
from services.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

CHANNEL = "regdesk_changes"  # the pg_notify channel of the triggers
LISTENER_NAME = "regdesk-listen"  # application_name of the PostgreSQL LISTEN connection
LIVE, CATCHING_UP, OFFLINE = "live", "catching_up", "offline"
ENTITIES = ("booking", "session", "slot", "rule")

BATCH = 1000  # rows per query
MAX_ROWS_PER_POLL = 20_000  # a reader far behind catches up over several polls
START_WINDOW = 1000  # a new feed looks this many ids back for in-flight changes
GAP_TIMEOUT = 120.0  # MySQL/MariaDB: seconds a missing id is waited for
PG_GAP_TIMEOUT = 3600.0  # PostgreSQL backstop (e.g. a forgotten prepared transaction)
MAX_GAPS = 10_000
SQLITE_TICK = 0.05
MYSQL_TICK = 0.15
BACKOFF = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)

# the change log as the feed and services.sync.follow read it
change_log = sa.table(
    "change_log",
    sa.column("id", sa.BigInteger), sa.column("entity", sa.String), sa.column("entity_id", sa.String),
    sa.column("op", sa.String), sa.column("status", sa.String), sa.column("changed_at", sa.DateTime),
    sa.column("slot_id", sa.Integer), sa.column("session_id", sa.Integer), sa.column("patient_id", sa.Integer),
    sa.column("actor", sa.String),
)
_COLS = tuple(change_log.c)


@dataclass(frozen=True)
class Change:
    """One row of the change log. ``status`` is the status the change set (a hint: reload the row
    for its current state); ``at`` is the database's UTC time of the change; ``who`` the audit log's
    actor, 'miniprogram' for a booking change nobody audited."""
    id: int
    entity: str  # 'booking', 'session', 'slot', 'rule'
    entity_id: int | str  # str for a rule (its key)
    op: str  # 'insert', 'update', 'delete'
    status: str | None
    at: dt.datetime | None
    slot_id: int | None = None
    session_id: int | None = None
    patient_id: int | None = None
    who: str | None = None

    def to_json(self) -> dict:
        at = self.at.replace(tzinfo=dt.UTC).isoformat() if self.at else None
        return {"booking_id": self.entity_id if self.entity == "booking" else None, "status": self.status,
                "entity": self.entity, "entity_id": self.entity_id, "op": self.op, "slot_id": self.slot_id,
                "session_id": self.session_id, "patient_id": self.patient_id, "who": self.who, "at": at,
                "change_id": self.id}


def _change(row) -> Change:
    eid: int | str = row.entity_id if row.entity == "rule" else int(row.entity_id)
    who = row.actor or ("miniprogram" if row.entity == "booking" else None)
    return Change(int(row.id), row.entity, eid, row.op, row.status, as_datetime(row.changed_at),
                  row.slot_id, row.session_id, row.patient_id, who)


def _offline_error(exc: BaseException) -> bool:
    """A lost or refused connection (SQLAlchemy's, sqlite3's, or the LISTEN connection's psycopg one)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (DatabaseUnavailable, OperationalError, InterfaceError, sqlite3.OperationalError)):
        return True
    kind = type(exc)
    return kind.__module__.startswith("psycopg") and kind.__name__ in ("OperationalError", "InterfaceError")


class ChangeFeed:
    """A reader of the change log. Use from one thread at a time; see the module docstring."""

    def __init__(self, db: Database, cursor: int | None = None, *, gap_timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._db = db
        self._dialect = db.dialect
        self._clock = clock  # ages of gaps only (tests advance it); waits use time.monotonic
        self._gap_timeout = gap_timeout if gap_timeout is not None else (
            PG_GAP_TIMEOUT if self._dialect == "postgresql" else GAP_TIMEOUT)
        self._gaps: dict[int, tuple[float, int | None]] = {}  # id -> (first missed at, PG snapshot xmax)
        self._high = 0
        self._more = False
        self._state = LIVE
        self._backoff = 0
        self._retry_at = 0.0
        self._waiter = None  # psycopg / sqlite3 / SQLAlchemy connection used by wait()
        self._last_probe = None  # SQLite data_version, MySQL max(id)
        self.needs_reload = False
        self.on_state: Callable[[str], None] | None = None  # called (in the feed's thread) on a new state
        try:
            self._open_waiter()  # before reading the end: nothing committed after it goes unnoticed
            with self._db.read() as conn:
                self._start(conn, cursor)
        except Exception as exc:
            self.close()
            if _offline_error(exc) and not isinstance(exc, DatabaseUnavailable):
                raise DatabaseUnavailable(f"database unreachable: {first_line(exc)}") from exc
            raise

    # ------------------------------------------------------------------ public

    @property
    def cursor(self) -> int:
        """Every change up to this id has been delivered (or given up): resume a new feed from here."""
        return min(self._gaps) - 1 if self._gaps else self._high

    @property
    def state(self) -> str:
        return self._state

    def poll(self) -> list[Change]:
        """The changes committed since the last poll, each exactly once, in id order within the batch.

        Raises DatabaseUnavailable (and the state becomes 'offline') when the database is out of reach;
        the next successful poll catches up from the cursor."""
        self.needs_reload = False
        if self._state == OFFLINE:
            self._set_state(CATCHING_UP)
        try:
            with self._db.read() as conn:
                changes = self._poll(conn)
        except Exception as exc:
            if _offline_error(exc):
                self._set_state(OFFLINE)
                raise DatabaseUnavailable(f"database unreachable: {first_line(exc)}") from exc
            raise
        self._backoff = 0
        self._set_state(CATCHING_UP if self._more else LIVE)
        return changes

    def wait(self, timeout: float) -> bool:
        """Block until something may have changed (True) or ``timeout`` seconds pass (False).

        Never raises for a lost connection: it reconnects with back-off, and returns True once it is
        back (with state 'catching_up'), since changes may have been made meanwhile."""
        deadline = time.monotonic() + max(0.0, timeout)
        if self._more:
            return True
        while True:
            if self._waiter is None or self._state == OFFLINE:
                if self._reconnect(deadline):
                    return True
                if time.monotonic() >= deadline:
                    return False
                continue
            try:
                if self._wait_once(deadline):
                    return True
            except Exception as exc:
                if not _offline_error(exc):
                    raise
                # the connection dropped or the server restarted
                log.warning("change feed: lost the database (%s); reconnecting", first_line(exc))
                self._close_waiter()
                self._set_state(OFFLINE)
                continue
            if time.monotonic() >= deadline:
                return False

    def close(self) -> None:
        self._close_waiter()

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def _start(self, conn: Connection, cursor: int | None) -> None:
        if cursor is not None:
            self._high = int(cursor)
            return
        top = conn.execute(sa.select(sa.func.max(change_log.c.id))).scalar()
        self._high = int(top or 0)
        if self._dialect == "sqlite" or not top:
            return
        # transactions in flight now hold ids below the end: wait for those like for any other gap
        low = max(self._high - START_WINDOW + 1,
                  int(conn.execute(sa.select(sa.func.min(change_log.c.id))).scalar()))  # not the pruned part
        seen = set(conn.execute(sa.select(change_log.c.id).where(change_log.c.id >= low)).scalars())
        xmax = self._pg_snapshot(conn)[1]
        now = self._clock()
        for i in range(low, self._high):
            if i not in seen:
                self._gaps[i] = (now, xmax)

    def _pg_snapshot(self, conn: Connection) -> tuple[int | None, int | None]:
        if self._dialect != "postgresql":
            return None, None
        row = conn.exec_driver_sql(
            "SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text),"
            " CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text)").one()
        return int(row[0]), int(row[1])

    def _poll(self, conn: Connection) -> list[Change]:
        high_before, gaps_before = self._high, set(self._gaps)
        xmin_before, _ = self._pg_snapshot(conn)  # taken before the gap check (see module docstring)
        rows = []
        if self._gaps:
            ids = sorted(self._gaps)
            for i in range(0, len(ids), BATCH):
                rows += conn.execute(sa.select(*_COLS).where(change_log.c.id.in_(ids[i:i + BATCH]))).all()
            for r in rows:
                self._gaps.pop(int(r.id), None)
            self._expire_gaps(xmin_before)
        new = []
        self._more = False
        while True:
            batch = conn.execute(sa.select(*_COLS).where(change_log.c.id > self._high)
                                 .order_by(change_log.c.id).limit(BATCH)).all()
            new += batch
            if batch:
                self._high = int(batch[-1].id)
            if len(batch) < BATCH:
                break
            if len(new) >= MAX_ROWS_PER_POLL:
                self._more = True
                break
        if new and self._dialect != "sqlite":
            _, xmax_after = self._pg_snapshot(conn)  # taken after the read: an upper bound of its holders
            now, prev = self._clock(), high_before
            for r in new:
                for missing in range(prev + 1, int(r.id)):
                    self._gaps[missing] = (now, xmax_after)
                prev = int(r.id)
            self._cap_gaps()
        changes = []
        for r in sorted(rows + new, key=lambda r: r.id):
            if r.entity == "feed":
                if r.op == "prune":
                    self._pruned_below(int(r.entity_id), high_before, gaps_before)
                continue
            changes.append(_change(r))
        return changes

    def _expire_gaps(self, xmin: int | None) -> None:
        now = self._clock()
        for gid, (since, xmax) in list(self._gaps.items()):
            settled = xmin is not None and xmax is not None and xmin >= xmax
            if settled or now - since >= self._gap_timeout:
                if not settled:
                    log.warning("change feed: gave up waiting for change id %d after %.0f s", gid, now - since)
                del self._gaps[gid]

    def _cap_gaps(self) -> None:
        if len(self._gaps) > MAX_GAPS:
            drop = sorted(self._gaps)[:len(self._gaps) - MAX_GAPS]
            log.warning("change feed: too many missing ids; giving up %d of them", len(drop))
            for gid in drop:
                del self._gaps[gid]

    def _pruned_below(self, lowest_kept: int, high_before: int, gaps_before: set[int]) -> None:
        if high_before + 1 < lowest_kept or any(g < lowest_kept for g in gaps_before):
            log.info("change feed: the log was pruned below %d, past this reader: full reload", lowest_kept)
            self.needs_reload = True
            for gid in [g for g in self._gaps if g < lowest_kept]:
                del self._gaps[gid]

    # ------------------------------------------------------------------ waiting

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            if self.on_state is not None:
                self.on_state(state)

    def _reconnect(self, deadline: float) -> bool:
        """Try to (re)open the wait connection, respecting the back-off; True once it is back."""
        now = time.monotonic()
        if now < self._retry_at:
            time.sleep(max(0.0, min(self._retry_at, deadline) - now))
            if time.monotonic() < self._retry_at:
                return False
        try:
            self._close_waiter()
            self._open_waiter()
        except Exception as exc:
            delay = BACKOFF[min(self._backoff, len(BACKOFF) - 1)]
            self._backoff += 1
            self._retry_at = time.monotonic() + delay
            log.info("change feed: database still unreachable (%s); next try in %.1f s", first_line(exc), delay)
            self._set_state(OFFLINE)
            return False
        self._backoff = 0
        self._set_state(CATCHING_UP)
        return True

    def _open_waiter(self) -> None:
        if self._dialect == "postgresql":
            import psycopg
            url = self._db.engine.url.set(drivername="postgresql")
            conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                                   connect_timeout=5, application_name=LISTENER_NAME)
            conn.execute(f"LISTEN {CHANNEL}")
            self._waiter = conn
        elif self._dialect == "sqlite":
            path = self._db.engine.url.database
            if path and path != ":memory:":
                conn = sqlite3.connect(path, timeout=5, check_same_thread=False, isolation_level=None)
                self._last_probe = conn.execute("PRAGMA data_version").fetchone()[0]
                self._waiter = conn
            else:
                self._waiter = False  # an in-memory database has no other writers to wait for
        else:
            conn = self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                conn.execute(sa.select(sa.func.max(change_log.c.id))).scalar()
            except Exception:
                conn.close()
                raise
            self._waiter = conn

    def _close_waiter(self) -> None:
        w, self._waiter = self._waiter, None
        if w:
            try:
                w.close()
            except Exception:  # closing a dead connection may complain; it is gone either way
                log.debug("closing the wait connection failed", exc_info=True)

    def _wait_once(self, deadline: float) -> bool:
        remaining = max(0.0, deadline - time.monotonic())
        if self._dialect == "postgresql":
            got = False
            for _n in self._waiter.notifies(timeout=remaining, stop_after=1):
                got = True
            if got:  # one poll answers all of a transaction's notifications: drain them
                for _n in self._waiter.notifies(timeout=0):
                    pass
            return got
        if self._waiter is False:
            time.sleep(min(remaining, SQLITE_TICK))
            return True
        if self._dialect == "sqlite":
            # PRAGMA data_version changes when another connection has committed (ours never writes)
            version = self._waiter.execute("PRAGMA data_version").fetchone()[0]
            if version != self._last_probe:
                self._last_probe = version
                return True
            time.sleep(min(remaining, SQLITE_TICK))
            return False
        top = self._waiter.execute(sa.select(sa.func.max(change_log.c.id))).scalar() or 0
        if top > self._high:
            return True
        if self._gaps:  # a late commit below the highest id does not move max(id)
            ids = sorted(self._gaps)[:BATCH]
            if self._waiter.execute(sa.select(sa.func.count()).select_from(change_log)
                                    .where(change_log.c.id.in_(ids))).scalar():
                return True
        time.sleep(min(remaining, MYSQL_TICK))
        return False


def prune(db: Database, keep_days: float = 2.0, keep_rows: int | None = None) -> int:
    """Delete change rows older than ``keep_days`` (and beyond the newest ``keep_rows``, if given).

    Writes a marker row so readers that had not yet read the deleted part reload in full. The newest
    row always survives (the marker), so SQLite and MariaDB never hand out a used id again.
    Returns the number of rows deleted."""
    cutoff = utcnow() - dt.timedelta(days=keep_days)

    def work(conn: Connection) -> int:
        newest = conn.execute(sa.select(sa.func.max(change_log.c.id))).scalar()
        if newest is None:
            return 0
        old = conn.execute(sa.select(sa.func.max(change_log.c.id)).where(change_log.c.changed_at < cutoff)).scalar()
        keep_from = int(old) + 1 if old is not None else 0
        if keep_rows is not None:
            keep_from = max(keep_from, int(newest) - keep_rows + 1)
        keep_from = min(keep_from, int(newest) + 1)
        n = conn.execute(sa.delete(change_log).where(change_log.c.id < keep_from)).rowcount if keep_from > 0 else 0
        if n:
            conn.execute(sa.insert(change_log).values(entity="feed", entity_id=str(keep_from), op="prune"))
            log.info("change log pruned: %d rows below id %d", n, keep_from)
        return n

    return db.run(work)


def changes_since(db: Database, cursor: int, limit: int = 1000) -> Iterable[Change]:
    """The changes after ``cursor`` as they are now (no gap tracking): for tools and tests."""
    with db.read() as conn:
        rows = conn.execute(sa.select(*_COLS).where(change_log.c.id > cursor, change_log.c.entity != "feed")
                            .order_by(change_log.c.id).limit(limit)).all()
    return [_change(r) for r in rows]
