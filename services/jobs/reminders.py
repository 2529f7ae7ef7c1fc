"""Day-before reminders (outbox kind 'reminder', services.notify.delivery.enqueue_reminders): from REMINDER_FROM
on the hospital's clock, every confirmed booking of the hospital's tomorrow gets one, once (the
queueing is idempotent, so passes every few minutes also catch bookings confirmed later that day).
Not before REMINDER_FROM: nobody wants a WeChat message at midnight. Only while WeChat is set up:
a reminder queued with nobody to send it would go out late, on the day itself."""
from __future__ import annotations

import datetime as dt

from services.clock import hospital_today
from services.jobs.base import Context, Job
from services.notify import delivery as notify

REMINDER_FROM = dt.time(7, 0)


class Reminders(Job):
    name = "reminders"
    every = 300.0

    def run(self, ctx: Context) -> str | None:
        now = ctx.now()
        if now.time() < REMINDER_FROM:
            return None
        if not notify.load_wechat_settings(ctx.db, ctx.cfg).configured:
            return None
        day = hospital_today(now) + dt.timedelta(days=1)
        n = notify.enqueue_reminders(ctx.db, day)
        return f"queued {n} reminders for {day}" if n else None
