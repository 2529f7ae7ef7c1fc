"""Which failures the job service waits out (services.jobs.outage): the database being away, in the
drivers' own exception classes as they raise them, wrapped as SQLAlchemy wraps them; and what is
not an outage (a missing privilege, a broken constraint, a bug), which it must not hide by waiting."""
from __future__ import annotations

import socket

import psycopg.errors as pg
import pymysql.err as my
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from services.errors import DatabaseUnavailable, ValidationError
from services.jobs.outage import is_outage


def wrapped(orig: Exception, cls=OperationalError) -> DBAPIError:
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize("orig", [
    pg.CannotConnectNow("the database system is shutting down"),  # 57P03, also 'starting up', recovery
    pg.CannotConnectNow("the database system is starting up"),
    pg.CannotConnectNow("the database system is in recovery mode"),
    pg.AdminShutdown("terminating connection due to administrator command"),  # 57P01
    pg.ReadOnlySqlTransaction("cannot execute UPDATE in a read-only transaction"),  # 25006, a standby
    pg.ConnectionException("connection failure"),  # class 08
    pg.OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                        "Connection refused"),
    pg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
    pg.OperationalError('failed to resolve host "db.hospital.local": Temporary failure in name resolution'),
    my.OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)"),
    my.OperationalError(2002, "Can't connect to local server through socket"),
    my.OperationalError(2006, "MySQL server has gone away"),
    my.OperationalError(2013, "Lost connection to MySQL server during query"),
    my.OperationalError(1053, "Server shutdown in progress"),
    my.OperationalError(1927, "Connection was killed"),
    my.OperationalError(1290, "The MariaDB server is running with the --read-only option"),
])
def test_the_database_away_is_an_outage(orig):
    assert is_outage(wrapped(orig)), orig


def test_a_connection_the_dialect_found_dead_is_an_outage():
    # PyMySQL's "(0, '')" on a closed socket: SQLAlchemy's dialect marks the connection invalidated
    assert is_outage(DBAPIError("SELECT 1", {}, my.InterfaceError(0, ""), connection_invalidated=True))


def test_outages_seen_through_regdesk_and_python():
    assert is_outage(DatabaseUnavailable("database unreachable: connection refused"))
    assert is_outage(socket.gaierror(-3, "Temporary failure in name resolution"))
    assert is_outage(ConnectionResetError(104, "Connection reset by peer"))
    try:  # an outage under another error (a service that wrapped it) is still one
        try:
            raise wrapped(pg.AdminShutdown("terminating connection due to administrator command"))
        except OperationalError as exc:
            raise RuntimeError("round failed") from exc
    except RuntimeError as outer:
        assert is_outage(outer)


@pytest.mark.parametrize("exc", [
    wrapped(pg.InsufficientPrivilege("permission denied for table staff"), ProgrammingError),  # 42501
    wrapped(my.OperationalError(1142, "UPDATE command denied to user 'regdesk_desk'"), OperationalError),
    wrapped(pg.UniqueViolation("duplicate key value violates unique constraint"), IntegrityError),
    wrapped(my.IntegrityError(1062, "Duplicate entry"), IntegrityError),
    wrapped(pg.UndefinedTable('relation "job_leases" does not exist'), ProgrammingError),
    ValidationError("不是有效日期"),
    ZeroDivisionError("a bug"),
])
def test_what_is_not_an_outage(exc):
    assert not is_outage(exc)
