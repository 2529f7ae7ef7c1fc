"""Opening the console from the command line (the only place the CLI reaches into console/)."""
from __future__ import annotations

import argparse

from services.config import Config


def launch_console(args: argparse.Namespace, cfg: Config) -> int:
    # imported here so that every other command runs without loading Qt
    from console.app import run_console
    return run_console(cfg, demo=bool(args.demo), db_given=hasattr(args, "db"))
