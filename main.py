"""regdesk entry point: `python main.py` and the installed `regdesk` are the same program."""
from __future__ import annotations

import sys


def main() -> int:
    from services.cli import main as cli_main
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
