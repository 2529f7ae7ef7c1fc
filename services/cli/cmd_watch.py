"""`regdesk watch`: print every change made by anyone, one JSON object a line, until stopped.

Each line is ``Change.to_json()`` (services/sync/feed.py): ``booking_id`` (null for a session, slot or rule
change), ``status``, ``entity``, ``entity_id``, ``op``, ``slot_id``, ``session_id``, ``patient_id``,
``who``, ``at`` (UTC, ISO 8601) and ``change_id`` (the change log's id: ``--after`` resumes from it).
Connection trouble is reported on standard error; the command reconnects by itself and loses nothing.
SIGINT or SIGTERM ends it with exit code 0.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from services import limits
from services.cli import int_arg, open_database
from services.config import Config
from services.sync.feed import ChangeFeed
from services.sync.follow import check_resume_cursor, follow

log = logging.getLogger(__name__)


def register(sub, common) -> None:
    p = sub.add_parser("watch", parents=[common],
                       help="print every booking change made by anyone as JSON lines, until stopped")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--from-start", action="store_true",
                       help="first replay the whole change log (what pruning has kept)")
    start.add_argument("--after", type=int_arg(limits.CHANGE_ID), metavar="CHANGE_ID",
                       help="start after this change_id (resume a previous watch)")
    p.add_argument("--bookings-only", action="store_true",
                   help="leave out the changes of sessions, slots and rules")
    p.set_defaults(func=cmd_watch)


def _install_stop_handlers(stop: threading.Event) -> dict:
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda _s, _f: stop.set())
        except ValueError:  # not the main thread (e.g. called from a test): no handlers
            break
    return previous


def cmd_watch(args: argparse.Namespace, cfg: Config) -> int:
    db = open_database(cfg)
    stop = threading.Event()
    previous = _install_stop_handlers(stop)
    feed = None
    try:
        cursor = 0 if args.from_start else args.after
        if cursor:
            check_resume_cursor(db, cursor)
        feed = ChangeFeed(db, cursor=cursor)

        def on_state(state: str) -> None:  # 'offline', 'catching_up', then 'live' again
            print(f"regdesk watch: {state.replace('_', ' ')}", file=sys.stderr, flush=True)

        def on_reload() -> None:
            print("regdesk watch: the change log was pruned past this point; earlier changes are missing",
                  file=sys.stderr, flush=True)

        def on_changes(changes) -> None:  # noqa: ANN001
            for ch in changes:  # flushed line by line: a reader of the pipe sees each change at once
                if args.bookings_only and ch.entity != "booking":
                    continue
                sys.stdout.write(json.dumps(ch.to_json(), ensure_ascii=False) + "\n")
                sys.stdout.flush()

        feed.on_state = on_state
        follow(feed, stop, on_changes, on_reload=on_reload)
    finally:
        if feed is not None:
            feed.close()
        db.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
