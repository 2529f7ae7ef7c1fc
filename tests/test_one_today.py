"""What "today" means at the hospital is said in one place, services.clock.hospital_today: no other
module takes the date from the PC's clock itself (a desk PC in another time zone would then check in,
list and remind for the wrong day)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN_TODAY = re.compile(r"local_now\(\)\)?\.date\(\)|\bdate\.today\(\)|QDate\.currentDate\(\)|datetime\.now\(\)")


def test_no_module_but_the_clock_says_what_today_is():
    found = []
    for folder in ("console", "services"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "services" / "clock.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OWN_TODAY.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "use services.clock.hospital_today():\n" + "\n".join(found)
