"""The job service in a thread of another process: the demo console (`regdesk --demo`) runs one,
so its simulated hospital decides (when the demo's menu says so), marks no-shows and queues
reminders as a real one whose `regdesk jobs` runs; its heartbeat names the console's process.

A real hospital runs `regdesk jobs` as a service instead (docs/deployment.md).
"""
from __future__ import annotations

import threading

from services.config import Config
from services.db import Database
from services.jobs.decide import Decide
from services.jobs.noshow import NoShows
from services.jobs.prune import Prune
from services.jobs.reminders import Reminders
from services.jobs.runner import Runner
from services.jobs.send import Send

THREAD_NAME = "regdesk-jobs"


class BackgroundJobs:
    """Every job in a daemon thread; deciding only while ``deciding`` (the demo's toggle, off at
    first so that a newcomer sees requests wait in the queue; the hospital's 自动审核 rule still wins)."""

    def __init__(self, url: str, cfg: Config, *, deciding: bool = False, interval: float = 2.0):
        self.db = Database(url)
        self.deciding = threading.Event()
        if deciding:
            self.deciding.set()
        jobs = [Decide(enabled=self.deciding.is_set), Send(), NoShows(), Reminders(), Prune()]
        self.runner = Runner(self.db, cfg, jobs, interval=interval)
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def _run(self) -> None:
        try:
            self.runner.run_forever()
        finally:
            self.db.dispose()

    def start(self) -> BackgroundJobs:
        self._thread.start()
        return self

    def set_deciding(self, on: bool) -> None:
        (self.deciding.set if on else self.deciding.clear)()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, wait: float = 5.0) -> bool:
        """Ask the loop to stop (between steps) and wait up to ``wait`` seconds; True when it has."""
        self.runner.stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)
        return not self._thread.is_alive()
