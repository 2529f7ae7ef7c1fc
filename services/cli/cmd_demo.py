"""`regdesk demo seed` (the demo hospital) and `regdesk simulate` (mini-program traffic)."""
from __future__ import annotations

import argparse
import logging

from services import limits, migrate
from services.cli import float_arg, int_arg, open_database, require_existing
from services.config import Config
from services.db import Database
from services.demo import hospital, simulate

log = logging.getLogger(__name__)


def register(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="demo data")
    dsub = p.add_subparsers(dest="demo_command", metavar="ACTION", required=True, parser_class=type(p))
    s = dsub.add_parser("seed", parents=[common],
                        help="fill an empty database with a demo hospital (creates the schema if needed)")
    s.add_argument("--days", type=int_arg(limits.DEMO_DAYS), default=14, metavar="N",
                   help="publish sessions for N days from today")
    s.add_argument("--seed", type=int_arg(limits.SEED), default=20261126, metavar="S",
                   help="random seed (the same seed gives the same data)")
    s.set_defaults(func=cmd_seed)

    sim = sub.add_parser("simulate", parents=[common],
                         help="act as the mini-program: write N booking requests with plain SQL")
    sim.add_argument("--bookings", type=int_arg(limits.SIMULATED_BOOKINGS), required=True, metavar="N",
                     help="how many requests")
    sim.add_argument("--cancel-ratio", type=float_arg(limits.RATIO), default=0.1, metavar="R",
                     help="share of the requests the patients cancel again (0..1, default 0.1)")
    sim.add_argument("--new-patient-ratio", type=float_arg(limits.RATIO), default=0.2, metavar="R",
                     help="share of the requests from patients registering first (0..1, default 0.2)")
    sim.add_argument("--referral-ratio", type=float_arg(limits.RATIO), default=simulate.REFERRAL_RATIO, metavar="R",
                     help="share of the requests that are referrals (转诊/医联体; 0..1, default 0.05)")
    sim.add_argument("--seed", type=int_arg(limits.SEED), default=None, metavar="S", help="random seed")
    sim.set_defaults(func=cmd_simulate)


def cmd_seed(args: argparse.Namespace, cfg: Config) -> int:
    db = Database(cfg.database_url)
    try:
        if migrate.current_revision(db) is None:
            _, after = migrate.upgrade(db)  # a fresh file: `regdesk demo seed` is all it takes
            print(f"schema created ({after})")
        else:
            migrate.check(db)
        s = hospital.seed(db, days=args.days, seed=args.seed)
    finally:
        db.dispose()
    statuses = ", ".join(f"{k} {v}" for k, v in s.bookings.items())
    print(f"{s.hospital}: {s.departments} departments, {s.doctors} doctors, {s.templates} weekly templates, "
          f"{s.sessions} sessions ({s.first_day} .. {s.last_day}), {s.slots} slots, {s.patients} patients")
    print(f"bookings: {statuses}")
    print("accounts: " + ", ".join(f"{u}/{pw} ({role})" for u, _, role, pw, _ in hospital.STAFF))
    return 0


def cmd_simulate(args: argparse.Namespace, cfg: Config) -> int:
    require_existing(cfg.database_url)
    db = open_database(cfg)  # refuses a missing or outdated schema before anything is written
    db.dispose()
    s = simulate.simulate(cfg.database_url, args.bookings, cancel_ratio=args.cancel_ratio, rng_seed=args.seed,
                          new_patient_ratio=args.new_patient_ratio, referral_ratio=args.referral_ratio)
    print(f"{s.requests} booking requests, {s.cancellations} cancelled, {s.patients_created} new patients, "
          f"{s.referrals} referrals")
    return 0
