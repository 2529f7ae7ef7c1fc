"""Leases: several `regdesk jobs` processes may run (one per machine, for failover); for each job the
one holding its unexpired lease acts, the others wait.

A lease is a row of ``job_leases`` (one per job, created on first use). Every round the holder
renews it with one conditional UPDATE (``WHERE holder = me``); a waiting process takes it with
another (``WHERE holder IS NULL OR expires_at < now``), so two processes never both win it.
Times are the database's clock, not the machines': two servers whose clocks disagree still agree
on who holds a lease. A process that stops cleanly releases its leases (the other takes over at
its next round); one that dies lets them lapse after ``ttl`` seconds.

A round is kept short (at most 500 decisions; the next round follows at once) so that the holder
renews well within the lease. Two processes that act for the same job for a moment (the old holder
hung longer than the lease, or a send pass over a long outbox outlasted it) still never send a
message twice: each outbox row is claimed by a conditional UPDATE (services.notify.delivery), and each
decision changes a booking only if it is still pending.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.clock import as_datetime
from services.db import Database
from services.models import JobLease

log = logging.getLogger(__name__)

DEFAULT_TTL = 30.0  # seconds: a dead holder's jobs are taken over within this and one round


def new_holder_id() -> str:
    """This process's name in leases and heartbeats: host, pid and a random part (pids repeat)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def db_now(conn: Connection) -> dt.datetime:
    """The database server's UTC time, naive (the form stored in timestamp columns)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        sql = "SELECT CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp)"
    elif dialect == "mysql":
        sql = "SELECT UTC_TIMESTAMP(6)"
    else:
        sql = "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"
    return as_datetime(conn.execute(text(sql)).scalar())


def ensure_rows(db: Database, jobs) -> None:
    """Create the lease rows that do not exist yet (each insert on its own: another process may
    insert the same one at the same time, and then its row serves)."""
    with db.read() as conn:
        have = set(conn.execute(select(JobLease.job)).scalars())
    for job in jobs:
        if job in have:
            continue
        try:
            with db.write() as conn:
                conn.execute(insert(JobLease).values(job=job))
        except IntegrityError:
            pass


def hold(db: Database, holder: str, jobs, ttl: float = DEFAULT_TTL) -> set[str]:
    """Renew the leases ``holder`` has and take those that are free or lapsed; returns the jobs it
    holds now (one short transaction)."""
    def fn(conn: Connection) -> set[str]:
        now = db_now(conn)
        until = now + dt.timedelta(seconds=ttl)
        held = set()
        for job in jobs:
            n = conn.execute(update(JobLease).where(JobLease.job == job, JobLease.holder == holder)
                             .values(expires_at=until)).rowcount
            if n != 1:
                n = conn.execute(update(JobLease).where(
                    JobLease.job == job, or_(JobLease.holder.is_(None), JobLease.expires_at.is_(None),
                                             JobLease.expires_at < now))
                    .values(holder=holder, expires_at=until, acquired_at=now)).rowcount
                if n == 1:
                    log.info("now acting for the job %r", job)
            if n == 1:
                held.add(job)
        return held
    return db.run(fn)


def release(db: Database, holder: str, jobs=None) -> None:
    """Give up the leases ``holder`` has (all, or those of ``jobs``): a clean stop, or a job this
    process no longer wants; another process takes over at once."""
    q = update(JobLease).where(JobLease.holder == holder)
    if jobs is not None:
        q = q.where(JobLease.job.in_(list(jobs)))
    with db.write() as conn:
        conn.execute(q.values(holder=None, expires_at=None))


def holders(db: Database) -> dict[str, tuple[str | None, dt.datetime | None]]:
    """job -> (holder, expires_at UTC) as the database has them now."""
    with db.read() as conn:
        return {r.job: (r.holder, as_datetime(r.expires_at))
                for r in conn.execute(select(JobLease.job, JobLease.holder, JobLease.expires_at))}
