"""Which failures are the database being away: the job service waits those out, it never dies of them.

An outage is anything that says "no usable connection right now": refused, reset, timed out,
terminated by the administrator, the server shutting down, starting up or in recovery (SQLSTATE
57P01-57P03, class 08), a read-only standby (25006) or a read-only MariaDB (1290, 1836), a host
name that does not resolve, MySQL/MariaDB client errors 2002/2003/2005/2006/2013/2055 and server
errors 1053 (shutdown in progress), 1927 (connection killed), 1040 (too many connections), 1205
(lock wait timeout) and 4031 (idle timeout). What it is not: a privilege missing (a deployment
error, said once per round), a bug (logged with its traceback, the round goes on), a configuration
error (the process stops with one line).
"""
from __future__ import annotations

import socket

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout

from services.errors import DatabaseUnavailable

PG_STATES = frozenset({"57P01", "57P02", "57P03", "57P05", "25006", "53300", "58000", "58030"})
MYSQL_CODES = frozenset({1040, 1053, 1077, 1078, 1079, 1080, 1081, 1152, 1153, 1154, 1155, 1156, 1157, 1158,
                         1159, 1160, 1161, 1184, 1290, 1836, 1927, 2001, 2002, 2003, 2004, 2005, 2006, 2011,
                         2012, 2013, 2026, 2027, 2047, 2048, 2055, 4031})
NEEDLES = ("connection refused", "could not connect", "can't connect", "server closed", "lost connection",
           "terminating connection", "connection timed out", "timeout expired", "gone away", "no such host",
           "could not translate host", "name or service not known", "temporary failure in name resolution",
           "connection is closed", "connection reset", "broken pipe", "shutting down", "starting up",
           "in recovery", "not yet accepting connections", "read-only transaction", "read only",
           "the connection is lost", "connection already closed", "consuming input failed",
           "server conn crashed", "no connection to the server", "bad file descriptor")


def _sqlstate(orig: object) -> str | None:
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) means the database cannot be used right now."""
    seen = 0
    while exc is not None and seen < 8:
        seen += 1
        if isinstance(exc, (DatabaseUnavailable, DisconnectionError, PoolTimeout, socket.gaierror,
                            ConnectionError, TimeoutError)):
            return True
        if isinstance(exc, DBAPIError):
            if exc.connection_invalidated:
                return True
            orig = exc.orig
            state = _sqlstate(orig)
            if state is not None and (state.startswith("08") or state in PG_STATES):
                return True
            args = getattr(orig, "args", ())
            if args and isinstance(args[0], int) and args[0] in MYSQL_CODES:
                return True
            if isinstance(exc, (OperationalError, InterfaceError)):
                msg = str(orig).lower()
                if any(n in msg for n in NEEDLES):
                    return True
        exc = exc.__cause__ or exc.__context__
    return False
