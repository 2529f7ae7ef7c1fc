"""Marking the no-shows of sessions that are over (services.bookings.attendance.mark_past_no_shows), by the
hospital's clock: a session is over when its end has passed in the hospital's zone."""
from __future__ import annotations

from services.bookings import attendance
from services.jobs.base import JOBS, Context, Job


class NoShows(Job):
    name = "noshow"
    every = 60.0

    def run(self, ctx: Context) -> str | None:
        n = attendance.mark_past_no_shows(ctx.db, JOBS, now=ctx.now())
        return f"marked {n} no-shows" if n else None
