"""The Chinese translations of the rosters and administration pages cover every tr() string, placeholders intact."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = ["rosters.py", "roster_grid.py", "roster_dialogs.py", "roster_templates.py", "admin.py", "admin_tabs.py",
         "admin_dialogs.py", "pagekit.py"]
# the pages' strings, and those issue 14 (booking supply) added to them
TSVS = [ROOT / "resources" / "i18n" / name for name in ("rosters_admin_zh.tsv", "supply_zh.tsv")]


def _lupdate() -> str | None:
    local = Path(sys.executable).parent / "pyside6-lupdate"
    return str(local) if local.exists() else shutil.which("pyside6-lupdate")


def _tsv() -> dict[tuple[str, str], str]:
    rows = [line.rstrip("\n").split("\t") for tsv in TSVS for line in tsv.read_text(encoding="utf-8").splitlines()
            if line]
    assert all(len(r) == 3 for r in rows)
    return {(c, s): z for c, s, z in rows}


def test_placeholders_survive_translation():
    for (context, source), zh in _tsv().items():
        assert sorted(re.findall(r"\{\w+\}", source)) == sorted(re.findall(r"\{\w+\}", zh)), (context, source)
        assert zh.strip(), (context, source)


@pytest.mark.skipif(_lupdate() is None, reason="pyside6-lupdate is not installed")
def test_every_source_string_is_translated(tmp_path):
    ts = tmp_path / "x.ts"
    subprocess.run([_lupdate(), *[str(ROOT / "console" / f) for f in FILES], "-ts", str(ts)],
                   check=True, capture_output=True)
    wanted = {(ctx.findtext("name"), m.findtext("source"))
              for ctx in ET.parse(ts).getroot().iter("context") for m in ctx.iter("message")}
    assert wanted, "lupdate found no strings"
    missing = wanted - set(_tsv())
    assert not missing, sorted(missing)
