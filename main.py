"""regdesk entry point: `python main.py` and the installed `regdesk` are the same program.

A command (`regdesk db upgrade`, ...) runs in services.cli, which never imports the console; without
one, the console opens, launched from here.
"""
from __future__ import annotations

import argparse
import sys

from services.config import Config


def launch_console(args: argparse.Namespace, cfg: Config) -> int:
    # imported here so that every command runs without loading Qt
    from console.app import run_console
    return run_console(cfg, demo=bool(args.demo), db_given=hasattr(args, "db"))


def main() -> int:
    from services.cli import main as cli_main
    return cli_main(console=launch_console)


if __name__ == "__main__":
    sys.exit(main())
