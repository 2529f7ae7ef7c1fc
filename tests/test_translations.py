"""resources/i18n/regdesk_zh_CN.ts, the one source of the console's Chinese, has a finished translation
for every string of the code (a new tr() string without Chinese fails here), nothing the code no longer
has, and the placeholders of each source in its translation."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "i18n" / "regdesk_zh_CN.ts"
PLACEHOLDER = re.compile(r"\{\w+\}|%n|%\d")


def _lupdate() -> str | None:
    local = Path(sys.executable).parent / "pyside6-lupdate"
    return str(local) if local.exists() else shutil.which("pyside6-lupdate")


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    return {(c.findtext("name"), m.findtext("source")): m
            for c in ET.parse(ts).getroot().iter("context") for m in c.iter("message")}


def translation(message: ET.Element) -> str | None:
    tr = message.find("translation")
    if tr is None or tr.get("type") in ("unfinished", "vanished", "obsolete"):
        return None
    forms = tr.findall("numerusform")
    return ((forms[0].text if forms else tr.text) or "").strip() or None


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> dict[tuple[str, str], ET.Element]:
    """What `make ts` would make of the .ts: lupdate over the console's sources into a copy."""
    if _lupdate() is None:
        pytest.skip("pyside6-lupdate is not installed")
    ts = tmp_path_factory.mktemp("ts") / TS.name
    shutil.copy(TS, ts)
    sources = sorted(str(p) for p in (ROOT / "console").rglob("*.py"))
    subprocess.run([_lupdate(), *sources, "-ts", str(ts), "-no-obsolete", "-locations", "none",
                    "-source-language", "en", "-target-language", "zh_CN"], check=True, capture_output=True, cwd=ROOT)
    return messages(ts)


def test_every_string_of_the_code_has_chinese(refreshed):
    assert len(refreshed) > 500, "lupdate found too few strings"
    missing = sorted(key for key, m in refreshed.items() if translation(m) is None)
    assert missing == [], f"{len(missing)} string(s) without Chinese (run `make ts`, translate them): {missing[:10]}"


def test_the_ts_holds_only_strings_the_code_has(refreshed):
    stale = sorted(set(messages(TS)) - set(refreshed))
    assert stale == [], f"entries for strings the code no longer has (run `make ts`): {stale[:10]}"


def test_placeholders_survive_translation():
    for (context, source), m in messages(TS).items():
        zh = translation(m) or ""
        assert sorted(set(PLACEHOLDER.findall(source)) - {"%n"}) == sorted(set(PLACEHOLDER.findall(zh)) - {"%n"}), \
            (context, source, zh)
