"""Deciding pending requests by the hospital's rules (services.bookings.rules.decide_pending), while the
admin's 自动审核 rule is on: what `regdesk autoapprove` does, in the job service."""
from __future__ import annotations

from collections.abc import Callable

from services.bookings import rules
from services.jobs.base import Context, Job
from services.staff.actor import AUTOAPPROVE


class Decide(Job):
    name = "decide"

    def __init__(self, limit: int | None = None, enabled: Callable[[], bool] | None = None):
        self.limit = limit
        self.enabled = enabled  # the demo console's menu toggle (services.jobs.background)

    def active(self) -> bool:
        return self.enabled is None or self.enabled()

    def run(self, ctx: Context) -> str | None:
        if not rules.load(ctx.db).autoapprove_enabled:
            return None
        summary = rules.decide_pending(ctx.db, AUTOAPPROVE, now=ctx.now(), limit=self.limit, stop=ctx.stop)
        self.last = summary
        if summary.decided or summary.skipped or summary.errors or summary.waiting:
            return summary.line()
        return None
