"""What a job is: a name, how often it runs, and a ``run`` that does one pass and says what it did."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from services import clock
from services.config import Config
from services.db import Database
from services.staff.actor import Actor

# who the jobs act as in the audit log (no-show marking needs more than AUTOAPPROVE may do)
JOBS = Actor(kind="system", name="jobs")


@dataclass
class Context:
    db: Database
    cfg: Config
    stop: threading.Event = field(default_factory=threading.Event)
    utc_now: Callable[[], dt.datetime] = clock.utcnow  # tests freeze the clock here

    def now(self) -> dt.datetime:
        """The hospital's wall-clock time (its zone from the database, not this machine's)."""
        return clock.local_now(self.utc_now)


class Job:
    name = ""
    every = 0.0  # seconds between passes; 0: every round

    def active(self) -> bool:
        """Whether this process wants to act for the job now (the demo's deciding toggle); an inactive
        job's lease is left to others, so the heartbeat never claims work that is not done."""
        return True

    def run(self, ctx: Context) -> str | None:
        """One pass; returns a line saying what it did, or None when there was nothing to do."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the job holds (a WeChat client's connections)."""
