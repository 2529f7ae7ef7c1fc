"""The job service's loop: rounds of jobs, leases, heartbeats; never dies of the database.

A round: read the hospital's time zone, renew or take each job's lease (services.jobs.leases), run
each job whose lease this process holds and whose time has come, write the heartbeat. Every
failure that is the database being away (services.jobs.outage) ends the round and is waited out
with a back-off (doubling up to ``max_backoff``), then the next round reconnects (the engine's pool
pings and replaces dead connections) and catches up: deciding and sending look at everything
pending or due, not at what changed while we were away. A job's own failure (WeChat refusing,
a bug) is recorded in the heartbeat and logged once, and the other jobs go on.

What ends the loop: ``stop`` (the command's SIGTERM/SIGINT handler sets it; every wait and every
job looks at it between steps) or a configuration error found before the first round (``start``
raises it: a schema this program does not fit, WeChat settings that cannot work).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from services import clock, migrate
from services.config import Config
from services.db import Database, first_line
from services.errors import ConfigError, RegdeskError, SchemaError
from services.jobs import heartbeat, leases
from services.jobs.base import Context, Job
from services.jobs.outage import is_outage

log = logging.getLogger(__name__)


class Runner:
    def __init__(self, db: Database, cfg: Config, jobs: Sequence[Job], *, stop: threading.Event | None = None,
                 interval: float = 2.0, lease_ttl: float = leases.DEFAULT_TTL, max_backoff: float = 15.0,
                 utc_now: Callable | None = None, on_line: Callable[[str], None] | None = None,
                 preflight: Callable[[Context], None] | None = None):
        self.ctx = Context(db, cfg, stop or threading.Event(), utc_now or clock.utcnow)
        self.jobs = list(jobs)
        self.names = [j.name for j in self.jobs]
        self.interval = interval
        self.lease_ttl = lease_ttl
        self.max_backoff = max_backoff
        self.on_line = on_line or (lambda line: log.info("%s", line))
        self.preflight = preflight
        self.id = leases.new_holder_id()
        self.acting: set[str] = set()
        self.rounds = 0
        self._registered = False
        self._next: dict[str, float] = {}
        self._errors: dict[str, str] = {}  # job -> its last error, logged once until it changes
        self._outage_since: float | None = None
        self._outage_error = ""

    @property
    def failed(self) -> dict[str, str]:
        """job -> its error, for the jobs whose last pass failed."""
        return dict(self._errors)

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def stop(self) -> threading.Event:
        return self.ctx.stop

    # ---------------------------------------------------------------- one round

    def _start(self) -> None:
        """Before the first round: the schema fits, the jobs' configuration works, our rows exist."""
        try:
            migrate.check(self.db)
        except SchemaError as exc:
            raise ConfigError(str(exc)) from None
        if self.preflight is not None:
            self.preflight(self.ctx)
        leases.ensure_rows(self.db, self.names)
        heartbeat.register(self.db, self.id, self.names)
        self._registered = True

    def run_once(self) -> dict[str, str]:
        """One round; returns job -> the line it said. Raises on an outage (after the round's
        transactions rolled back) and ConfigError from the checks before the first round."""
        if not self._registered:
            self._start()
        clock.load_zone(self.db)
        wanted = [j.name for j in self.jobs if j.active()]
        if set(self.acting) - set(wanted):
            leases.release(self.db, self.id, set(self.acting) - set(wanted))
        self.acting = leases.hold(self.db, self.id, wanted, self.lease_ttl)
        said: dict[str, str] = {}
        error = None
        for job in self.jobs:
            if self.stop.is_set():
                break
            if job.name not in self.acting or time.monotonic() < self._next.get(job.name, 0.0):
                continue
            try:
                line = job.run(self.ctx)
            except Exception as exc:
                if is_outage(exc):
                    raise
                error = self._job_failed(job, exc)
                self._next[job.name] = time.monotonic() + max(job.every, 30.0)
                continue
            self._next[job.name] = time.monotonic() + job.every
            if self._errors.pop(job.name, None) is not None:
                log.info("%s: working again", job.name)
            if line:
                said[job.name] = line
                self.on_line(f"{job.name}: {line}")
        if self._outage_since is not None:
            lasted = time.monotonic() - self._outage_since
            log.warning("database back after %.0f s; caught up", lasted)
            error = error or f"database unreachable for {lasted:.0f} s: {self._outage_error}"
            self._outage_since = None
        heartbeat.beat(self.db, self.id, acting=[n for n in self.names if n in self.acting], round_done=not self.stop.is_set(), error=error)
        self.rounds += 1
        return said

    def _job_failed(self, job: Job, exc: Exception) -> str:
        message = f"{job.name}: {first_line(exc) if not isinstance(exc, RegdeskError) else str(exc)}"
        if self._errors.get(job.name) != message:
            if isinstance(exc, RegdeskError):
                log.error("%s", message)
            else:
                log.exception("%s failed", job.name)
            self._errors[job.name] = message
        return message

    # ---------------------------------------------------------------- the loop

    def run_forever(self) -> None:
        """Rounds until ``stop`` is set; raises ConfigError only from the checks before the first round."""
        backoff = 0.5
        try:
            while not self.stop.is_set():
                try:
                    busy = self.run_once()
                    backoff = 0.5
                    if not busy:  # a round that did something may have left more: the next one at once
                        self.stop.wait(self.interval)
                except ConfigError:  # only before the first round: a job's own is recorded, not raised
                    raise
                except Exception as exc:
                    if not is_outage(exc):
                        if not self._registered:
                            raise
                        log.exception("round failed")
                    elif self._outage_since is None:
                        self._outage_since = time.monotonic()
                        self._outage_error = first_line(exc)
                        log.warning("database unreachable (%s); waiting for it", self._outage_error)
                    else:
                        log.info("database still unreachable (%s); next try in %.1f s", first_line(exc), backoff)
                    self.stop.wait(backoff)
                    backoff = min(self.max_backoff, backoff * 2)
        finally:
            self.close()

    def close(self) -> None:
        """Release the leases (the other process takes over at once) and say we stopped; the
        database may be away, then the leases lapse by themselves."""
        for job in self.jobs:
            try:
                job.close()
            except Exception:
                log.exception("closing %s", job.name)
        if self._registered:
            try:
                leases.release(self.db, self.id)
                heartbeat.stopped(self.db, self.id)
            except Exception as exc:
                log.info("could not release the leases (%s); they lapse by themselves", first_line(exc))
