"""Fold a table of Chinese translations into resources/i18n/regdesk_zh_CN.ts (a one-off, for the lead).

    .venv/bin/python resources/i18n/fold_tsv.py path/to/branch_zh.tsv [...]

The .ts is the one source of the Chinese (Qt Linguist or `make ts` edit it). A branch written while
translations still came from per-feature tables arrives with a ``*_zh.tsv`` (context <TAB> English
source <TAB> Chinese per line): after `make ts` has put the branch's new strings into the .ts, this
fills in each one still unfinished (or empty) from the table, then the table can be deleted. A line
whose context and source the .ts does not have is reported (a string the code no longer has, or a
class renamed: fix the table's context), and so is a table line that would change a finished
translation (decide in Qt Linguist). Exit code 1 when anything was reported.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TS = Path(__file__).resolve().parent / "regdesk_zh_CN.ts"


def read_table(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise SystemExit(f"{path}:{n}: expected context<TAB>source<TAB>Chinese")
        rows.append((parts[0], parts[1], parts[2]))
    return rows


def finished(tr: ET.Element) -> str | None:
    if tr.get("type") in ("unfinished", "vanished", "obsolete"):
        return None
    forms = tr.findall("numerusform")
    text = (forms[0].text if forms else tr.text) or ""
    return text.strip() or None


def fold(rows: list[tuple[str, str, str]], ts: Path = TS) -> list[str]:
    tree = ET.parse(ts)
    messages = {(c.findtext("name"), m.findtext("source")): m
                for c in tree.getroot().iter("context") for m in c.iter("message")}
    problems = []
    for context, source, zh in rows:
        message = messages.get((context, source))
        if message is None:
            problems.append(f"not in the .ts: {context}\t{source}")
            continue
        tr = message.find("translation")
        if tr is None:
            tr = ET.SubElement(message, "translation")
        done = finished(tr)
        if done is not None:
            if done != zh:
                problems.append(f"already translated as {done!r}, not changed: {context}\t{source}")
            continue
        tr.attrib.pop("type", None)
        for form in tr.findall("numerusform"):
            tr.remove(form)
        if message.get("numerus") == "yes":
            tr.text = None
            ET.SubElement(tr, "numerusform").text = zh  # Chinese has one plural form
        else:
            tr.text = zh
    write_like_lupdate(tree, ts)
    return problems


def write_like_lupdate(tree: ET.ElementTree, ts: Path) -> None:
    """Write the .ts laid out as pyside6-lupdate writes it (contexts at the margin, four spaces a level), so
    that `make ts` after a fold changes nothing but the strings."""
    root = tree.getroot()
    root.text = "\n"
    for context in root:
        ET.indent(context, space="    ")
        context.tail = "\n"
    with ts.open("wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(fh, encoding="utf-8", xml_declaration=False)
        fh.write(b"\n")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    problems = fold([row for name in argv for row in read_table(Path(name))])
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{TS.name}: folded {len(argv)} table(s), {len(problems)} line(s) to look at")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
