"""The shared table model and its search/sort proxy: in-place updates, never a reset, always what a
brute-force filter and sort of the same rows would show."""
from __future__ import annotations

import random
from typing import NamedTuple

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt

from console.common.collation import sort_key
from console.common.rowproxy import RowFilterProxy
from console.common.tablemodel import ID_ROLE, Column, RowTableModel, runs


class R(NamedTuple):
    id: int
    name: str
    value: int
    keep: bool = True


class M(RowTableModel):
    columns = (
        Column("id", "Id", lambda r: str(r.id), sort=lambda r: r.id),
        Column("name", "Name", lambda r: r.name),
        Column("value", "Value", lambda r: str(r.value), sort=lambda r: r.value),
    )
    presorted_column = 0

    def accepts(self, row) -> bool:
        return row.keep

    @classmethod
    def search_text(cls, row) -> str:
        return f"{row.id} {row.name}".lower()


NAMES = ["张三", "李四", "王五", "赵六", "Chen", "Liu", "张伟", "李娜"]


def expected(model: M, proxy: RowFilterProxy, terms: list[str], col: int, order, skip: int | None = None) -> list[int]:
    rows = [r for r in model.rows if all(t in M.search_text(r) for t in terms) and r.value != skip]
    if col >= 0:
        key = [lambda r: r.id, lambda r: sort_key(r.name), lambda r: r.value][col]  # names by pinyin
        index = {r.id: i for i, r in enumerate(model.rows)}
        rows.sort(key=lambda r: (key(r), index[r.id]))
        if order == Qt.SortOrder.DescendingOrder:
            rows.reverse()
    return [r.id for r in rows]


def shown(proxy: RowFilterProxy) -> list[int]:
    return [proxy.index(p, 0).data(ID_ROLE) for p in range(proxy.rowCount())]


def test_runs():
    assert runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert runs([]) == []


def test_models_pass_the_model_tester(qtmodeltester):
    model = M()
    model.set_rows([R(i, NAMES[i % len(NAMES)], i * 7 % 5) for i in range(1, 30)])
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    proxy.set_filter_text("张")
    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)
    model.apply([R(100, "张新", 3), R(2, "张改", 9)], gone_ids=[3])
    qtmodeltester.check(proxy)


def test_apply_updates_in_place_without_reset(qtbot):
    model = M()
    model.set_rows([R(1, "a", 1), R(2, "b", 2), R(3, "c", 3)])
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.rowsArrived) as arrived:
        assert model.apply([R(2, "b2", 2), R(4, "d", 4), R(3, "c", 3, keep=False)]) == (1, 1, 1)
    assert arrived.args == [[4]]
    assert [r.id for r in model.rows] == [1, 2, 4]
    assert model.rows[1].name == "b2"
    assert model.sync([R(4, "d", 4), R(5, "e", 5)]) == (1, 0, 2)
    assert [r.id for r in model.rows] == [4, 5] and not resets


@pytest.mark.parametrize("seed", range(12))
def test_proxy_matches_brute_force_under_random_changes(qtbot, seed):
    rng = random.Random(seed)
    model = M()
    model.set_rows([R(i, rng.choice(NAMES), rng.randrange(5)) for i in range(1, 60)])
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    resets = []
    proxy.modelReset.connect(lambda: resets.append(1))
    terms: list[str] = []
    col, order = -1, Qt.SortOrder.AscendingOrder
    skip = None
    next_id = 1000
    for _ in range(200):
        op = rng.random()
        if op < 0.05:
            skip = rng.choice([None, 0, 1, 2])
            proxy.set_predicate(None if skip is None else (lambda r, v=skip: r.value != v))
        elif op < 0.15:
            text = rng.choice(["", "张", "李", "li", "张三", "1", "2 张", "chen"])
            proxy.set_filter_text(text)
            terms = text.lower().split()
        elif op < 0.25:
            col = rng.choice([-1, 0, 1, 2])
            order = rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
            proxy.sort(col, order)
            if col < 0:
                order = proxy.sort_order()
        else:
            ids = [r.id for r in model.rows]
            changes, gone = [], []
            for _ in range(rng.randrange(1, 6)):
                kind = rng.random()
                if kind < 0.4 or not ids:
                    next_id += 1
                    changes.append(R(next_id, rng.choice(NAMES), rng.randrange(5)))
                elif kind < 0.75:
                    changes.append(R(rng.choice(ids), rng.choice(NAMES), rng.randrange(5)))
                elif kind < 0.9:
                    changes.append(R(rng.choice(ids), "x", 0, keep=False))
                else:
                    gone.append(rng.choice(ids))
            model.apply(changes, gone)
        assert shown(proxy) == expected(model, proxy, terms, col, order, skip)
    assert not resets


def test_selection_survives_search_and_changes(qtbot):
    model = M()
    model.set_rows([R(i, NAMES[i % len(NAMES)], i) for i in range(1, 41)])
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    sel = QItemSelectionModel(proxy)
    target = proxy.row_of_id(9)  # 张三 (9 % 8 == 1 -> 李四) ... whichever name: keep its id
    sel.setCurrentIndex(proxy.index(target, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QItemSelectionModel.SelectionFlag.Rows)
    name = model.rows[model.index_of(9)].name
    proxy.set_filter_text(name)
    assert sel.currentIndex().isValid() and sel.currentIndex().data(ID_ROLE) == 9
    model.apply([R(500, name, 1), R(1, "改名", 1)], gone_ids=[2])
    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    assert sel.currentIndex().data(ID_ROLE) == 9
    assert [i.data(ID_ROLE) for i in sel.selectedRows()] == [9]
    proxy.set_filter_text("no such patient")
    assert not sel.currentIndex().isValid() or sel.currentIndex() == QModelIndex()


def test_a_late_answer_to_an_older_query_does_not_undo_a_decision():
    model = M()
    model.set_rows([R(1, "a", 1), R(2, "b", 2)])
    old = model.ticket()  # a refresh starts...
    model.remove_ids([1])  # ...the database confirms a decision on row 1...
    newer = model.ticket()
    model.apply([R(2, "b2", 2)], since=newer)  # ...a later refresh lands first...
    model.apply([R(1, "a", 1), R(2, "b", 2)], since=old)  # ...then the old one, with stale rows
    assert [(r.id, r.name) for r in model.rows] == [(2, "b2")]
    model.apply([R(1, "a", 1)], since=model.ticket())  # anything newer still counts
    assert [r.id for r in model.rows] == [2, 1]


def test_chinese_names_sort_by_pinyin_in_every_table(qtbot):
    """One collation everywhere: the Python-sorted tables and the Qt-sorted pages agree (pinyin)."""
    from console.common.collation import CollatingProxy
    from console.common.pagekit import RecordModel
    from console.common.tablemodel import SORT_ROLE
    names = ["于雅艳", "万梦梦", "严妍慧", "陈", "张伟", "崔思敏", "李颖"]
    pinyin = ["陈", "崔思敏", "李颖", "万梦梦", "严妍慧", "于雅艳", "张伟"]
    model = M()
    model.set_rows([R(i, n, 0) for i, n in enumerate(names, 1)])
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(p, 1).data() for p in range(proxy.rowCount())] == pinyin
    records = RecordModel([Column("name", "Name", lambda r: r.name)])
    records.set_rows([R(i, n, 0) for i, n in enumerate(names, 1)])
    qt_proxy = CollatingProxy()
    qt_proxy.setSourceModel(records)
    qt_proxy.setSortRole(SORT_ROLE)
    qt_proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert [qt_proxy.index(p, 0).data() for p in range(qt_proxy.rowCount())] == pinyin


def test_small_tables_use_the_same_model_and_update_in_place(qtbot, qtmodeltester):
    """RecordModel (administration, notifications, templates) is the one model: the same roles, rows
    changed, added and gone updated in place; a reset only when the rows came back in another order."""
    from PySide6.QtGui import QColor

    from console.common.pagekit import RecordModel
    from console.common.tablemodel import SORT_ROLE
    model = RecordModel([Column("name", "Name", lambda r: r.name), Column("value", "Value", lambda r: r.value)],
                        inactive=lambda r: not r.keep)
    model.set_rows([R(1, "甲", 1), R(2, "乙", 2), R(3, "丙", 3)])
    qtmodeltester.check(model)
    events = []
    model.modelReset.connect(lambda: events.append("reset"))
    model.dataChanged.connect(lambda a, _b, _r: events.append(("changed", a.row())))
    model.rowsRemoved.connect(lambda _p, a, _b: events.append(("removed", a)))
    model.rowsInserted.connect(lambda _p, a, _b: events.append(("inserted", a)))
    model.set_rows([R(1, "甲", 1), R(3, "丙", 30, keep=False), R(4, "丁", 4)])
    assert events == [("changed", 2), ("removed", 1), ("inserted", 2)]
    assert [(model.index(i, 0).data(ID_ROLE), model.index(i, 1).data()) for i in range(3)] == [
        (1, "1"), (3, "30"), (4, "4")]
    assert model.index(1, 1).data(SORT_ROLE) == 30 and model.index_of(4) == 2
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) == QColor("#8a8a8a")  # inactive: greyed
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    events.clear()
    model.set_rows([R(4, "丁", 4), R(1, "甲", 1)])  # another order: the query's order wins
    assert events == ["reset"] and [r.id for r in model.rows] == [4, 1]
    qtmodeltester.check(model)
