"""For every console test: the garbage collector is running when it starts. A big read holds the collector
off until its rows are painted (console.common.tasks.pause_collector); a pause that never ends
would leave a console without one. Whatever the previous test left to delete or to paint is let happen
first (a pause ends at the latest a second after its rows arrived, or when its widget is destroyed)."""
from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent


@pytest.fixture(autouse=True)
def collector_running(qapp, qtbot):
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(gc.isenabled, timeout=3000)
    yield
