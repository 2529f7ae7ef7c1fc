"""The waitlist (候补, services.bookings.waitlist.fill) while the hospital's ``waitlist`` rule is on: each
round, what waits past its cut-off becomes full, freed places go to the oldest waiting requests, and
the positions in the waiting requests' reasons are kept current."""
from __future__ import annotations

from services.bookings import rules, waitlist
from services.jobs.base import Context, Job
from services.staff.actor import AUTOAPPROVE


class Waitlist(Job):
    name = "waitlist"

    def run(self, ctx: Context) -> str | None:
        if not rules.load(ctx.db).waitlist:
            return None
        return waitlist.fill(ctx.db, AUTOAPPROVE, now=ctx.now(), stop=ctx.stop).line()
