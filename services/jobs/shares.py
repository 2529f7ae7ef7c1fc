"""Shares of the places (号源池, services.rosters.shares): at the hospital's cut-offs, open each session's kept
shares (the desk's, the referrals', the follow-ups') to everyone (the waitlist job then fills from the places
they free)."""
from __future__ import annotations

from services.jobs.base import Context, Job
from services.rosters import shares


class Shares(Job):
    name = "shares"

    def run(self, ctx: Context) -> str | None:
        opened = shares.open_due(ctx.db, ctx.now())
        return f"opened the kept shares of {opened} sessions" if opened else None
