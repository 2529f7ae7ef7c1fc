"""Heartbeats: each `regdesk jobs` process writes a row of ``job_runners`` (host, pid, version, its
jobs, the jobs it acts for, its last round, its last error) so the console can show whether the
background work runs and when it last did.

A process beats at the end of every round; while the database is away it cannot, so its beat grows
old and the console says so. Rows of processes that stopped long ago are removed at start.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from services.clock import as_datetime, utc_to_local, utcnow
from services.db import Database
from services.models import JobRunner

FRESH = dt.timedelta(minutes=2)  # a process beats every few seconds: older means it is not running
LATE = dt.timedelta(minutes=5)  # no round for this long while 自动审核 is on: the console's banner
FORGET = dt.timedelta(days=7)


def version() -> str:
    try:
        from importlib.metadata import version as dist_version
        return dist_version("regdesk")[:32]
    except Exception:  # not installed (run from a source folder)
        return "dev"


def register(db: Database, runner_id: str, jobs) -> None:
    now = utcnow()
    with db.write() as conn:
        conn.execute(delete(JobRunner).where(JobRunner.beat_at < now - FORGET))
        conn.execute(insert(JobRunner).values(
            id=runner_id, host=socket.gethostname()[:255], pid=os.getpid(), version=version(),
            jobs=",".join(jobs)[:200], started_at=now, beat_at=now))


def beat(db: Database, runner_id: str, *, acting, round_done: bool, error: str | None = None,
         error_at: dt.datetime | None = None) -> None:
    now = utcnow()
    values = {"beat_at": now, "acting": ",".join(acting)[:200] or None}
    if round_done:
        values["last_round_at"] = now
    if error is not None:
        values.update(last_error=error[:500], last_error_at=error_at or now)
    with db.write() as conn:
        conn.execute(update(JobRunner).where(JobRunner.id == runner_id).values(**values))


def stopped(db: Database, runner_id: str) -> None:
    with db.write() as conn:
        conn.execute(update(JobRunner).where(JobRunner.id == runner_id).values(stopped_at=utcnow(), acting=None))


@dataclass(frozen=True)
class RunnerInfo:
    id: str
    host: str
    pid: int
    version: str
    jobs: tuple[str, ...]
    acting: tuple[str, ...]
    started_at: dt.datetime  # hospital's local time, as every time here
    beat_at: dt.datetime
    last_round_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    stopped_at: dt.datetime | None
    fresh: bool  # beat within FRESH and not stopped: it runs


@dataclass(frozen=True)
class JobsStatus:
    """What the console shows of the job service."""
    runners: tuple[RunnerInfo, ...]  # newest beat first

    @property
    def running(self) -> bool:
        return any(r.fresh for r in self.runners)

    @property
    def last_round_at(self) -> dt.datetime | None:
        rounds = [r.last_round_at for r in self.runners if r.last_round_at is not None]
        return max(rounds) if rounds else None

    def late(self, now_local: dt.datetime) -> bool:
        """No round anywhere for LATE or longer (or never)."""
        last = self.last_round_at
        return last is None or now_local - last >= LATE


def status(db: Database, now: dt.datetime | None = None) -> JobsStatus:
    now = now or utcnow()
    with db.read() as conn:
        rows = conn.execute(select(*JobRunner.__table__.c).order_by(JobRunner.beat_at.desc()).limit(20)).all()
    out = []
    for r in rows:
        beat_at = as_datetime(r.beat_at)
        out.append(RunnerInfo(
            r.id, r.host, r.pid, r.version, tuple(filter(None, (r.jobs or "").split(","))),
            tuple(filter(None, (r.acting or "").split(","))), utc_to_local(as_datetime(r.started_at)),
            utc_to_local(beat_at), utc_to_local(as_datetime(r.last_round_at)), r.last_error,
            utc_to_local(as_datetime(r.last_error_at)), utc_to_local(as_datetime(r.stopped_at)),
            r.stopped_at is None and now - beat_at < FRESH))
    return JobsStatus(tuple(out))
