"""`regdesk notify [--once]`: send the patients' WeChat notifications that are due, with retries.

The continuous mode is the job service's send job (services/jobs; `regdesk jobs` runs it with the
others), with its lease and its patience with database outages."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import threading

from services import limits
from services.cli import float_arg, int_arg, iso_date, open_database, restore_signals, stop_on_signals
from services.clock import hospital_today
from services.config import Config
from services.errors import ConfigError
from services.notify import delivery
from services.notify.wechat import WeChatClient
from services.notify.wechat_settings import check_settings, load_wechat_settings

log = logging.getLogger(__name__)


def register(sub, common) -> None:
    p = sub.add_parser("notify", parents=[common], help="send the patients' WeChat notifications that are due")
    p.add_argument("--once", action="store_true", help="send what is due now and exit (else keep running)")
    p.add_argument("--interval", type=float_arg(limits.INTERVAL, " seconds"), default=5.0, metavar="SECONDS",
                   help="pause between passes when running continuously (default 5)")
    p.add_argument("--timeout", type=float_arg(limits.TIMEOUT, " seconds"), default=10.0, metavar="SECONDS",
                   help="give up on a WeChat request after this long (default 10)")
    p.add_argument("--max-attempts", type=int_arg(limits.ATTEMPTS), default=delivery.DeliveryPolicy.max_attempts,
                   metavar="N", help="attempts before a message counts as failed (default %(default)s)")
    p.add_argument("--reminders", action="store_true",
                   help="also queue a reminder for every confirmed booking of tomorrow (once each)")
    p.add_argument("--reminders-for", type=iso_date, metavar="YYYY-MM-DD",
                   help="queue reminders for the bookings of this day (then send, with --once)")
    p.set_defaults(func=cmd_notify)


def cmd_notify(args: argparse.Namespace, cfg: Config) -> int:
    db = open_database(cfg)
    stop = threading.Event()
    previous = stop_on_signals(stop)
    try:
        settings = load_wechat_settings(db, cfg)
        if not settings.configured:
            raise ConfigError("WeChat is not configured: set appid, secret and template_id "
                              "(config file [wechat], REGDESK_WECHAT_* or the console's WeChat settings)")
        check_settings(settings)  # a configuration error stops here, before anything is queued or sent
        policy = delivery.DeliveryPolicy(max_attempts=args.max_attempts)
        if args.reminders_for:
            print(f"queued {delivery.enqueue_reminders(db, args.reminders_for)} reminders for {args.reminders_for}")
        if not args.once:  # the job service's send (and reminder) jobs: outages are waited out
            from services.jobs.reminders import Reminders
            from services.jobs.runner import Runner
            from services.jobs.send import Send
            jobs = [Send(args.timeout, policy)] + ([Reminders()] if args.reminders else [])
            Runner(db, cfg, jobs, stop=stop, interval=args.interval).run_forever()
            return 0
        if args.reminders:
            day = hospital_today() + dt.timedelta(days=1)
            print(f"queued {delivery.enqueue_reminders(db, day)} reminders for {day}")
        with WeChatClient(db, settings, timeout=args.timeout) as client:
            result = delivery.deliver_due(db, client, policy=policy, stop=stop)
        print(result)
        return 0
    finally:
        db.dispose()
        restore_signals(previous)
