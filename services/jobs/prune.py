"""Pruning the change log (services.sync.feed.prune): the feed's readers keep a cursor, so rows older than
two days are of no use, and the log stays small without a cron job."""
from __future__ import annotations

from services.jobs.base import Context, Job
from services.sync import feed as sync


class Prune(Job):
    name = "prune"
    every = 3600.0

    def run(self, ctx: Context) -> str | None:
        n = sync.prune(ctx.db)
        return f"pruned {n} change-log rows" if n else None
