"""`regdesk jobs [--once]`: the job service, every background job of the hospital in one process
(services/jobs), and `regdesk timezone [ZONE]`: the hospital's clock.

`regdesk jobs` runs until SIGTERM or SIGINT (then it stops within 5 seconds: the job in hand stops
between steps, an unfinished transaction is rolled back, its leases are released), waits out every
database outage, and exits only on a configuration error (one line on stderr, exit 2). It logs to
standard error and to a rotating file in the user's log folder (platformdirs; REGDESK_LOG_DIR
overrides). ``--once`` runs one round and exits (cron, tests): 0, or 1 when a job failed.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import threading
from pathlib import Path

from services import clock, limits
from services.cli import cli_actor, float_arg, open_database, require_existing, restore_signals, stop_on_signals
from services.config import Config
from services.db import Database
from services.jobs import leases
from services.jobs.base import Context
from services.jobs.runner import Runner

log = logging.getLogger(__name__)

ALL_JOBS = ("decide", "shares", "waitlist", "send", "noshow", "reminders", "prune")
STOP_WITHIN = 4.5  # seconds: a signal ends the process within 5
DECIDE_BATCH = 500


def register(sub, common) -> None:
    p = sub.add_parser("jobs", parents=[common],
                       help="the job service: decide requests, open desk shares, fill the waitlist, send WeChat messages, mark no-shows, "
                            "queue reminders, prune the change log; runs until stopped")
    p.add_argument("--once", action="store_true", help="run one round of every job, then exit")
    p.add_argument("--jobs", default=",".join(ALL_JOBS), metavar="LIST", type=_job_list,
                   help=f"the jobs to run, comma-separated (default: all: {','.join(ALL_JOBS)})")
    p.add_argument("--interval", type=float_arg(limits.INTERVAL, " seconds"), default=2.0, metavar="SECONDS",
                   help="pause between rounds (default 2)")
    p.add_argument("--lease", type=float_arg(limits.LEASE, " seconds"), default=leases.DEFAULT_TTL,
                   metavar="SECONDS", help="how long another job service waits for a silent one before it "
                                           "takes over (default %(default)g)")
    p.add_argument("--timeout", type=float_arg(limits.TIMEOUT, " seconds"), default=4.0, metavar="SECONDS",
                   help="give up on a WeChat request after this long (default 4)")
    p.set_defaults(func=cmd_jobs)
    t = sub.add_parser("timezone", parents=[common],
                       help="show the hospital's time zone, or set it (an admin logs in): e.g. Asia/Shanghai")
    t.add_argument("zone", nargs="?", help="the IANA name of the zone to set")
    t.set_defaults(func=cmd_timezone)


def _job_list(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in ALL_JOBS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown job {limits.shown(','.join(unknown) or value)!r}: "
                                         f"choose from {','.join(ALL_JOBS)}")
    return tuple(dict.fromkeys(names))


def make_jobs(names, *, timeout: float = 10.0, decide_limit: int | None = DECIDE_BATCH) -> list:
    """The job objects for ``names``, in the order a round runs them (deciding first: the most urgent).
    A round decides at most ``decide_limit`` requests, so that it renews its leases well within their
    time however long the queue (the next round follows at once)."""
    from services.jobs.decide import Decide
    from services.jobs.noshow import NoShows
    from services.jobs.prune import Prune
    from services.jobs.reminders import Reminders
    from services.jobs.send import Send
    from services.jobs.shares import Shares
    from services.jobs.waitlist import Waitlist
    made = {"decide": lambda: Decide(decide_limit), "shares": Shares, "waitlist": Waitlist,
            "send": lambda: Send(timeout),
            "noshow": NoShows, "reminders": Reminders, "prune": Prune}
    return [made[n]() for n in ALL_JOBS if n in names]


def log_dir() -> Path:
    override = os.environ.get("REGDESK_LOG_DIR")
    if override:
        return Path(override)
    import platformdirs
    return Path(platformdirs.user_log_dir("regdesk", appauthor=False))


def _log_to_file(verbose: bool) -> Path | None:
    """Log INFO and up to standard error (already set up by main) and to a rotating file."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in root.handlers:
        h.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "jobs.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    except OSError as exc:
        log.warning("no log file (%s); logging to standard error only", exc)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema check says nothing useful each start
    return path


def preflight(names):
    """Before the first round: WeChat settings that are set but cannot work are a configuration error
    (one line, exit 2), found before any message is claimed."""
    def check(ctx: Context) -> None:
        if "send" in names:
            from services.jobs.send import checked_settings
            checked_settings(ctx, required=False)
    return check


def cmd_jobs(args: argparse.Namespace, cfg: Config) -> int:
    require_existing(cfg.database_url)  # no empty SQLite file behind a typo
    db = Database(cfg.database_url)  # a bad URL is a ConfigError here; the database may be away
    stop = threading.Event()
    previous = stop_on_signals(stop)
    runner = Runner(db, cfg, make_jobs(args.jobs, timeout=args.timeout), stop=stop, interval=args.interval,
                    lease_ttl=args.lease, preflight=preflight(args.jobs),
                    on_line=lambda line: log.info("%s", line) if not args.once else print(line, flush=True))
    try:
        if args.once:
            try:
                runner.run_once()
            finally:
                runner.close()
            return 1 if runner.failed else 0
        path = _log_to_file(getattr(args, "verbose", False))
        log.info("regdesk jobs %s on %s: %s (log: %s)", runner.id, db.url, ",".join(args.jobs), path)
        failure: list[BaseException] = []

        def work() -> None:
            try:
                runner.run_forever()
            except BaseException as exc:
                failure.append(exc)
                stop.set()
        worker = threading.Thread(target=work, name="regdesk-jobs", daemon=True)
        worker.start()
        while worker.is_alive() and not stop.is_set():
            stop.wait(0.5)
        worker.join(STOP_WITHIN)
        if failure:
            raise failure[0]
        if worker.is_alive():
            log.warning("stopping with a database call in hand; the database rolls it back")
        else:
            log.info("stopped")
        return 0
    finally:
        restore_signals(previous)
        # a worker still in a database call keeps its connection: the process ends, the server rolls back
        if not any(t.name == "regdesk-jobs" and t.is_alive() for t in threading.enumerate()):
            db.dispose()


def cmd_timezone(args: argparse.Namespace, cfg: Config) -> int:
    with open_database(cfg) as db:
        if args.zone is None:
            name = clock.load_zone(db)
            print(f"{name} (now {clock.local_now():%Y-%m-%d %H:%M} there)")
            return 0
        actor = cli_actor(db, args)
        name = clock.save_zone(db, actor, args.zone)
        print(f"the hospital's time zone is now {name} (now {clock.local_now():%Y-%m-%d %H:%M} there)")
        return 0
