"""Engines per dialect and transactions with bounded retry.

Every service function owns its transaction through :class:`Database`:

    with db.write() as conn:      # one write transaction, rolled back unless it completes
        ...
    db.run(fn)                    # fn(conn) in a write transaction, retried on deadlock

``run`` retries what is worth another try (is_retryable) a bounded number of times with a short,
jittered, growing back-off. On a multi-primary cluster (MariaDB Galera) this covers every regdesk
transaction that fails certification: Galera aborts the later of two transactions that wrote the
same row on different nodes with a deadlock error (1213), at any statement or at COMMIT.

On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so that two writers
never both read and then fail to upgrade their lock (SQLAlchemy's pysqlite recipe:
the driver's own transaction handling is switched off and we emit BEGIN ourselves).
MySQL/MariaDB connections run at READ COMMITTED so that every statement after a
``SELECT ... FOR UPDATE`` sees the latest committed rows, as on PostgreSQL.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from services import limits
from services.errors import ConfigError, DatabaseUnavailable, NotFound, ValidationError

log = logging.getLogger(__name__)


class _OneLinePoolReset(logging.Filter):
    """SQLAlchemy logs a connection whose rollback failed as it went back to its pool (the server went away
    mid-transaction: an outage, a restart) as an ERROR with a traceback. The caller has already met the
    failure and says so in one line ("database unreachable"): this keeps the pool's note to one line too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Exception during reset"):
            record.msg, record.args = "a connection was dropped on its way back to the pool: %s", (record.exc_info[1],)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


for _pool in ("QueuePool", "NullPool", "StaticPool", "SingletonThreadPool", "AsyncAdaptedQueuePool"):
    logging.getLogger(f"sqlalchemy.pool.impl.{_pool}").addFilter(_OneLinePoolReset())
T = TypeVar("T")

MAX_RETRIES = 8
SQLITE_BUSY_MS = 10_000


def normalize_url(url: str) -> str:
    """Pick the drivers regdesk ships with when the URL names none; check folders exist.

    Every way a URL can be wrong is one ConfigError: not a URL at all, a broken host
    (``[::1``) or port (``:abc``, ``:99999``), a control character, a file path the file
    system cannot hold."""
    if not (url or "").strip():
        raise ConfigError("no database URL given (empty --db or REGDESK_DATABASE_URL)")
    bad = limits.refused_char(url)
    if bad is not None:
        raise ConfigError(f"not a database URL (control character {limits.char_code(url[bad])}): "
                          f"{limits.shown(url)!r}")
    try:
        u = make_url(url)
        port = u.port  # make_url takes ':99999' and ':-1' as they are
    except (ArgumentError, ValueError) as exc:  # '[::1/x' and ':abc' raise ValueError from int()
        raise ConfigError(f"not a database URL: {limits.shown(url, 80)!r}") from exc
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"not a database URL (port {port} is not 1-65535): {limits.shown(url, 80)!r}")
    backend = u.get_backend_name()
    driver = u.get_driver_name() if "+" in u.drivername else None
    if backend == "postgresql" and driver is None:
        u = u.set(drivername="postgresql+psycopg")
    elif backend in ("mysql", "mariadb") and driver is None:
        u = u.set(drivername=f"{backend}+pymysql")
    elif backend == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            try:
                folder = limits.file_path(db, "数据库文件名").resolve().parent
                exists = folder.is_dir()
            except (ValidationError, OSError) as exc:
                why = exc.strerror if isinstance(exc, OSError) else str(exc)
                raise ConfigError(f"not a usable database file: {limits.shown(db, 80)} ({why})") from exc
            if not exists:
                raise ConfigError(f"database folder does not exist: {limits.shown(str(folder), 200)}")
    elif backend not in ("postgresql", "mysql", "mariadb", "sqlite"):
        raise ConfigError(f"unsupported database {backend!r}: use sqlite, postgresql, mysql or mariadb")
    if u.get_backend_name() in ("mysql", "mariadb") and "charset" not in u.query:
        u = u.update_query_dict({"charset": "utf8mb4"})
    return u.render_as_string(hide_password=False)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("regdesk_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for any supported URL. Raises ConfigError for a bad URL."""
    url = normalize_url(url)
    u = make_url(url)
    backend = u.get_backend_name()
    opts: dict = {"future": True}
    if backend in ("mysql", "mariadb"):
        opts["isolation_level"] = "READ COMMITTED"
        opts["pool_recycle"] = 3600
        opts["connect_args"] = {"connect_timeout": 5}
    elif backend == "postgresql":
        opts["isolation_level"] = "READ COMMITTED"
        opts["connect_args"] = {"connect_timeout": 5}
    elif backend == "sqlite":
        opts["connect_args"] = {"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False}
    opts["pool_pre_ping"] = backend != "sqlite"
    opts.update(kwargs)
    try:
        engine = create_engine(url, **opts)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(f"cannot use database URL {u.render_as_string()}: {exc}") from exc
    if backend == "sqlite":
        _sqlite_setup(engine)
    return engine


def first_line(exc: BaseException) -> str:
    """The first line of a driver's message (PostgreSQL's run over several lines)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


# MySQL/MariaDB: deadlock (on Galera also a transaction that failed certification against another
# node's, at any statement or at COMMIT), lock wait timeout, and Galera's "WSREP has not yet prepared
# node for application use" (the node lost its quorum for a moment; the transaction was rolled back)
_RETRY_MYSQL = frozenset({1213, 1205, 1047})
# the slot counter's CHECK (taken <= capacity): another decision took the last place after this one
# read the counter (on a multi-primary cluster, on another node); the retry reads it again
SLOT_FULL_CHECK = "ck_slot_counters_free"


def is_retryable(exc: BaseException) -> bool:
    """Deadlocks, serialization and certification failures, SQLite's busy errors, and a place taken
    under a decision's feet (the slot counter's CHECK) are worth another try."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if code in ("40001", "40P01"):  # PostgreSQL serialization failure, deadlock
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _RETRY_MYSQL:
        return True
    msg = str(orig).lower()
    return "database is locked" in msg or "database table is locked" in msg or SLOT_FULL_CHECK in msg


def is_multi_primary(conn: Connection) -> bool:
    """Whether this MySQL/MariaDB server is a node of a Galera cluster (wsrep_on), where every writer
    must retry a transaction aborted with 1213 (docs/contract.md)."""
    if conn.dialect.name != "mysql":
        return False
    row = conn.exec_driver_sql("SHOW VARIABLES LIKE 'wsrep_on'").first()
    return row is not None and str(row[1]).upper() == "ON"


def is_certification_failure(exc: BaseException) -> bool:
    """MySQL/MariaDB's deadlock error 1213, which on Galera also means: failed certification."""
    orig = getattr(exc, "orig", None)
    args = getattr(orig, "args", ())
    return isinstance(exc, DBAPIError) and bool(args) and args[0] == 1213


# MySQL/MariaDB: access denied to a database, table, column or routine; PostgreSQL: 42501
_DENIED_MYSQL = frozenset({1044, 1142, 1143, 1370})


def is_permission_error(exc: BaseException) -> bool:
    """The database account lacks a privilege (not a bug, not an outage: a deployment choice)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if code == "42501":
        return True
    args = getattr(orig, "args", ())
    return bool(args) and isinstance(args[0], int) and args[0] in _DENIED_MYSQL


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        msg = str(exc.orig).lower()
        needles = ("connection refused", "could not connect", "can't connect", "unable to open database",
                   "server closed", "lost connection", "terminating connection", "connection timed out",
                   "gone away", "no such host", "could not translate host", "connection is closed")
        return any(n in msg for n in needles)
    return False


def row_by_id(conn: Connection, query, row_id, what: str):
    """The first row of ``query`` (a SELECT already narrowed to ``row_id``), else NotFound "没有{what} {row_id}".
    An id no row can have is not looked up: a database would overflow on it."""
    row = conn.execute(query).first() if limits.is_row_id(row_id) else None
    if row is None:
        raise NotFound(f"没有{what} {limits.shown(row_id)}")
    return row


class Database:
    """An engine plus the transaction helpers every service uses."""

    def __init__(self, url_or_engine: str | Engine):
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.dialect = self.engine.dialect.name  # 'sqlite', 'postgresql', 'mysql' (MariaDB too)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; committed when the block completes, rolled back on any error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if is_connection_error(exc):
                raise DatabaseUnavailable(f"database unreachable: {first_line(exc)}") from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (no write lock on SQLite)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(regdesk_readonly=True)
                with conn.begin():
                    yield conn
        except DBAPIError as exc:
            if is_connection_error(exc):
                raise DatabaseUnavailable(f"database unreachable: {first_line(exc)}") from exc
            raise

    def run(self, fn: Callable[[Connection], T], retries: int = MAX_RETRIES) -> T:
        """Run ``fn(conn)`` in a write transaction, retrying deadlocks a bounded number of times."""
        for attempt in range(retries + 1):
            try:
                with self.write() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if attempt >= retries or not is_retryable(exc):
                    raise
                delay = min(0.5, 0.01 * (2 ** attempt)) * (0.5 + random.random())
                log.info("retrying after %s (attempt %d): %s", type(exc.orig).__name__, attempt + 1, exc.orig)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc) -> None:
        """``with open_database(cfg) as db:`` disposes of the engine whatever happens inside."""
        self.dispose()

    def dispose(self) -> None:
        self.engine.dispose()
