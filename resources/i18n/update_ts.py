"""Refresh resources/i18n/regdesk_zh_CN.ts from the console's sources and fill in the Chinese.

    .venv/bin/python resources/i18n/update_ts.py

1. pyside6-lupdate collects every tr()/translate()/QT_TRANSLATE_NOOP string of console/*.py
   (no source locations, so the file only changes when a string does);
2. each message without a translation gets one from the *_zh.tsv files next to this script
   (context <TAB> English source <TAB> Chinese), which the console's authors keep with their pages;
3. a TSV line for a string that the code has, but under another context, is added as a message of
   its own: PySide's tr() looks a string up under the *object's* class, so a string tr()'d in a base
   class needs an entry per subclass (lupdate only sees the base class);
4. what is still missing is listed (exit code 1), so nobody ships English by accident.

Qt Linguist can edit the .ts directly too: a translation made there is kept unless a TSV has one.
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TS = HERE / "regdesk_zh_CN.ts"


def _lupdate() -> Path:
    exe = Path(sys.executable).parent / "pyside6-lupdate"
    return exe if exe.exists() else Path("pyside6-lupdate")


def load_tsv() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for path in sorted(HERE.glob("*_zh.tsv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                print(f"{path.name}:{n}: expected 3 tab-separated fields", file=sys.stderr)
                continue
            table[(parts[0], parts[1])] = parts[2]
    return table


def _add_subclass_contexts(tree: ET.ElementTree, table: dict[tuple[str, str], str]) -> None:
    root = tree.getroot()
    contexts = {c.findtext("name"): c for c in root.iter("context")}
    present = {(name, m.findtext("source")) for name, c in contexts.items() for m in c.iter("message")}
    sources = {src for _name, src in present}
    for (name, source), zh in sorted(table.items()):
        if (name, source) in present or source not in sources:
            continue  # already there, or a string the code no longer has
        context = contexts.get(name)
        if context is None:
            context = contexts[name] = ET.SubElement(root, "context")
            ET.SubElement(context, "name").text = name
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        ET.SubElement(message, "translation").text = zh


def main() -> int:
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "console").glob("*.py"))
    subprocess.run([str(_lupdate()), *sources, "-ts", str(TS.relative_to(ROOT)), "-no-obsolete",
                    "-locations", "none", "-source-language", "en", "-target-language", "zh_CN"],
                   cwd=ROOT, check=True, capture_output=True)
    table = load_tsv()
    tree = ET.parse(TS)
    missing = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            tr = message.find("translation")
            if tr is None:
                tr = ET.SubElement(message, "translation")
            forms = tr.findall("numerusform")
            done = tr.get("type") not in ("unfinished", "vanished") and (
                any((f.text or "").strip() for f in forms) if forms else bool((tr.text or "").strip()))
            zh = table.get((name, source))
            if zh is None:
                if not done:
                    missing.append((name, source))
                continue  # a translation made in Qt Linguist stays
            tr.attrib.pop("type", None)
            if message.get("numerus") == "yes":
                for f in forms:
                    tr.remove(f)
                tr.text = None
                ET.SubElement(tr, "numerusform").text = zh  # Chinese has one plural form
            else:
                tr.text = zh
    _add_subclass_contexts(tree, table)
    ET.indent(tree, space="    ")
    with TS.open("wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(fh, encoding="utf-8", xml_declaration=False)
        fh.write(b"\n")
    for name, source in missing:
        print(f"untranslated: {name}\t{source}", file=sys.stderr)
    print(f"{TS.relative_to(ROOT)}: {len(missing)} untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
