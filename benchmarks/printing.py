"""Benchmark: printing the day list of a big day, against the QTextDocument printout it replaced.

The day list's printout (console.bookings.printing) is built in two parts: the sheet's strings on a worker
(``build_sheet``), then the pages painted on the GUI thread (``paint_sheet``), which is the time the
window cannot answer. The baseline, in the same run: the same rows as an HTML table in a
QTextDocument printed with ``print_`` (what the console did before, all of it on the GUI thread).
Both write the same PDF (A4 landscape); no database is needed, the rows are what a screen shows.

Prints, for each size, the GUI thread's time of each and the ratio painter / QTextDocument.
Aim: under 1 s on the GUI thread for 2,000 rows; ratio <= 0.2.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/printing.py [--rows 500,2000,5000]
"""
from __future__ import annotations

import argparse
import html
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import QApplication

from console.bookings import printing

HEADERS = ("时段", "编号", "患者", "性别/年龄", "电话", "科室", "医生", "状态", "通知", "来源", "余号", "备注")
AIM_SECONDS, AIM_RATIO = 1.0, 0.2


def day_rows(n: int) -> list[tuple[str, ...]]:
    names, deps = ("张三丰", "欧阳明日", "李四", "王小明"), ("内科", "耳鼻喉科", "消化内科", "儿科")
    return [(f"{8 + i // 240:02d}:{i % 4 * 15:02d}–{8 + i // 240:02d}:{i % 4 * 15 + 15:02d}", str(1000 + i),
             names[i % 4], "男 40岁", f"138****{i % 10000:04d}", deps[i % 4], "王明", "预约成功", "已发送",
             "小程序", "2/4", "") for i in range(n)]


def painter(rows: list[tuple[str, ...]], out: Path) -> tuple[float, float]:
    """(worker seconds, GUI-thread seconds) of the console's printout."""
    view = printing.PrintView("门诊患者名单 2026-12-01 周二", ("内科",), HEADERS,
                              tuple((lambda r, c=c: r[c]) for c in range(len(HEADERS))),
                              (Qt.AlignmentFlag.AlignLeft,) * len(HEADERS), tuple(rows), len(rows))
    t0 = time.perf_counter()
    sheet = printing.build_sheet(view, "基准测试医院")
    t1 = time.perf_counter()
    printing.paint_sheet(sheet, printing.new_printer(out))
    return t1 - t0, time.perf_counter() - t1


def text_document(rows: list[tuple[str, ...]], out: Path) -> float:
    """GUI-thread seconds of the former printout: an HTML table in a QTextDocument, print_()."""
    t0 = time.perf_counter()
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in HEADERS) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    doc = QTextDocument()
    font = QFont()
    font.setPointSize(9)
    doc.setDefaultFont(font)
    doc.setHtml(f"<html><body><h3>基准测试医院 门诊患者名单</h3><table width='100%' cellspacing='0'>"
                f"<thead>{head}</thead><tbody>{body}</tbody></table></body></html>")
    doc.print_(printing.new_printer(out))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="500,2000,5000", help="comma-separated sizes")
    args = parser.parse_args(argv)
    QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="regdesk-bench-print-"))
    print("| rows | sheet (worker) | pages painted (GUI thread) | QTextDocument print_ (GUI thread) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    ok = True
    for n in (int(s) for s in args.rows.split(",")):
        rows = day_rows(n)
        worker, gui = painter(rows, folder / f"painter-{n}.pdf")
        baseline = text_document(rows, folder / f"document-{n}.pdf")
        ratio = gui / baseline
        print(f"| {n:,} | {worker * 1000:.0f} ms | {gui:.2f} s | {baseline:.2f} s | {ratio:.2f} |")
        if n == 2000:
            ok = gui < AIM_SECONDS and ratio <= AIM_RATIO
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    print(f"aim: GUI thread < {AIM_SECONDS:.0f} s for 2,000 rows, ratio <= {AIM_RATIO}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
