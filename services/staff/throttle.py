"""The log-in throttle: a growing delay per typed username and workstation, never a lock-out.

A hard lock after N wrong passwords lets anyone keep the admin out by typing wrong passwords
for "admin", and its answer ("account locked") tells that the account exists. Instead every
failed log-in is counted for the pair (username as typed, workstation), whether that username
exists or not: after ``FREE_FAILURES`` failures in a row the next attempt from that workstation
for that username must wait ``FIRST_DELAY``, doubling with each further failure up to
``MAX_DELAY``. Someone guessing at one PC slows only that PC down for that name; the admin logs
in from any other PC at once (and `regdesk staff unlock NAME` clears the delays). An unknown
username collects exactly the same delays, so neither the answers nor their timing tell
whether an account exists.

The workstation is the computer's network name as the program reports it. A program that lies
about it can dodge the delay, but such a program holds a desk database account and could read the
password hashes anyway (docs/deployment.md says who holds which account): the throttle is against
guessing at the log-in dialog and the command line.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.db import Database
from services.models import LoginThrottle

log = logging.getLogger(__name__)

FREE_FAILURES = 4                        # failures in a row that cost nothing
FIRST_DELAY = dt.timedelta(seconds=30)   # after the 5th, doubled after each further one
MAX_DELAY = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=24)    # a name's failures older than this no longer count
MAX_KEY = 64


def this_workstation() -> str:
    """This computer's name, as the throttle keys it."""
    try:
        name = socket.gethostname()
    except OSError:
        name = ""
    return (name.strip().lower() or "unknown")[:MAX_KEY]


def delay_after(failures: int) -> dt.timedelta | None:
    """How long the next attempt must wait after this many failures in a row (None: not at all)."""
    if failures <= FREE_FAILURES:
        return None
    return min(MAX_DELAY, FIRST_DELAY * (2 ** min(failures - FREE_FAILURES - 1, 10)))


def waiting_until(conn: Connection, username: str, workstation: str, now: dt.datetime) -> dt.datetime | None:
    """When this username may be tried again from this workstation, if that is still ahead."""
    until = conn.execute(select(LoginThrottle.next_allowed_at).where(
        LoginThrottle.username == username, LoginThrottle.workstation == workstation)).scalar()
    return until if until is not None and until > now else None


def record_failure(db: Database, username: str, workstation: str, now: dt.datetime,
                   on_counted=None) -> tuple[int, dt.datetime | None]:  # noqa: ANN001 - callback
    """Count one failure; returns (failures in a row, the moment the next attempt is allowed or None).

    ``on_counted(conn, failures, until)`` runs in the same transaction (the audit row). The row is
    locked and updated conditionally, so concurrent failures from several processes all count; two
    first failures inserting the row at once: the loser counts again on the row the winner made."""
    def tx(conn: Connection) -> tuple[int, dt.datetime | None]:
        key = (LoginThrottle.username == username, LoginThrottle.workstation == workstation)
        row = conn.execute(select(LoginThrottle.failures, LoginThrottle.last_failure_at)
                           .where(*key).with_for_update()).first()
        fresh = row is None or row.last_failure_at < now - FORGET_AFTER
        failures = 1 if fresh else row.failures + 1
        wait = delay_after(failures)
        until = now + wait if wait is not None else None
        values = {"failures": failures, "last_failure_at": now, "next_allowed_at": until}
        if row is None:
            conn.execute(insert(LoginThrottle).values(username=username, workstation=workstation, **values))
        elif conn.execute(update(LoginThrottle).where(*key, LoginThrottle.failures == row.failures)
                          .values(**values)).rowcount != 1:
            raise IntegrityError("login_throttle changed under its lock", None, Exception())
        # names typed once and never again must not pile up
        conn.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER))
        if on_counted is not None:
            on_counted(conn, failures, until)
        return failures, until

    try:
        return db.run(tx)
    except IntegrityError:
        return db.run(tx)


def clear(conn: Connection, username: str, workstation: str | None = None) -> None:
    """Forget the failures of ``username`` (on one workstation, or on all of them)."""
    q = delete(LoginThrottle).where(LoginThrottle.username == username)
    if workstation is not None:
        q = q.where(LoginThrottle.workstation == workstation)
    conn.execute(q)


def delayed_until(conn: Connection) -> dict[str, dt.datetime]:
    """username -> the latest moment some workstation was told to wait for (past or not)."""
    rows = conn.execute(select(LoginThrottle.username, func.max(LoginThrottle.next_allowed_at))
                        .where(LoginThrottle.next_allowed_at.is_not(None)).group_by(LoginThrottle.username))
    return {name: until for name, until in rows}
