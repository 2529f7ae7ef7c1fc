"""`regdesk autoapprove [--once]`: decide pending bookings by the hospital's rules (services.bookings.rules).

Runs as the AUTOAPPROVE actor. With ``--once`` it decides what is pending now, prints one summary
line and exits; without it, it keeps deciding (woken by the change feed when there is one) and
prints a line for every round that decided something, until stopped (Ctrl+C or SIGTERM).
When an admin has switched auto-approval off, it decides nothing. The continuous mode is the job
service's decide job (services/jobs; `regdesk jobs` runs it with the others): it waits out database
outages and shares the job service's lease, so only one process decides at a time.
"""
from __future__ import annotations

import argparse
import logging
import threading

from services import limits
from services.bookings import rules
from services.cli import float_arg, int_arg, open_database, restore_signals, stop_on_signals
from services.config import Config
from services.staff.actor import AUTOAPPROVE

log = logging.getLogger(__name__)


def register(sub, common) -> None:
    p = sub.add_parser("autoapprove", parents=[common],
                       help="decide pending bookings by the hospital's rules (capacity, duplicates, no-shows)")
    p.add_argument("--once", action="store_true", help="decide what is pending now, then exit")
    p.add_argument("--limit", type=int_arg(limits.DECIDE_LIMIT), default=None, metavar="N",
                   help="with --once: decide at most N bookings")
    p.add_argument("--interval", type=float_arg(limits.INTERVAL, " seconds"), default=1.0, metavar="SECONDS",
                   help="without --once: how often to look for new requests "
                        f"({limits.INTERVAL.lo:g} to {limits.INTERVAL.hi:g})")
    p.set_defaults(func=cmd_autoapprove)


def cmd_autoapprove(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        if args.once:
            if not rules.load(db).autoapprove_enabled:
                print("autoapprove: auto-approval is switched off in the rules; nothing decided", flush=True)
                return 0
            summary = rules.decide_pending(db, AUTOAPPROVE, limit=args.limit)
            print(f"autoapprove: {summary.line()}", flush=True)
            return 1 if summary.errors else 0
        # the job service's decide (shares, waitlist and prune) jobs, with its leases: beside a running `regdesk jobs`
        # only one of them decides at a time
        from services.cli.cmd_jobs import make_jobs
        from services.jobs.runner import Runner
        stop = threading.Event()
        previous = stop_on_signals(stop)
        print(f"autoapprove: running on {db.url} (Ctrl+C to stop)", flush=True)
        jobs = make_jobs(("decide", "shares", "waitlist", "prune"))
        runner = Runner(db, cfg, jobs, stop=stop, interval=args.interval,
                        on_line=lambda line: print(f"autoapprove: {line.split(': ', 1)[-1]}", flush=True)
                        if line.startswith("decide:") else log.info("%s", line))
        try:
            runner.run_forever()
        finally:
            restore_signals(previous)
        return 0
