"""Shares of the places (号源池, services.rosters.shares): at the hospital's cut-off, open the desk share of
each session to online requests (the waitlist job then fills from the places it frees)."""
from __future__ import annotations

from services.jobs.base import Context, Job
from services.rosters import shares


class Shares(Job):
    name = "shares"

    def run(self, ctx: Context) -> str | None:
        opened = shares.open_due(ctx.db, ctx.now())
        return f"opened the desk share of {opened} sessions" if opened else None
