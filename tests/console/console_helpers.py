"""Shared set-up for the console's GUI tests: staff actors, a ConsoleContext, a small clinic with requests."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication

from console.common.context import ConsoleContext
from console.common.settings import Settings
from console.common.tasks import TaskRunner
from services.config import Config, WeChatSettings
from services.db import Database
from services.staff import auth
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

PASSWORD = "secret-pass-1"


def staff(db: Database, username: str = "clerk1", role: str = "clerk", departments: tuple[str, ...] = ()) -> Actor:
    auth.create_staff(db, SYSTEM, username, f"{username} 姓名", role, PASSWORD, departments)
    return auth.actor_for(db, username)


@contextmanager
def console_context(db: Database, actor: Actor, tmp_path) -> Iterator[ConsoleContext]:
    tasks = TaskRunner()
    ctx = ConsoleContext(db=db, actor=actor, tasks=tasks,
                         cfg=Config(database_url=db.url, wechat=WeChatSettings()),
                         settings=Settings(tmp_path / "console.ini"))
    try:
        yield ctx
    finally:
        tasks.wait_for_done()
        QCoreApplication.processEvents()


def clinic_with_requests(db: Database, n: int = 3, day: dt.date | None = None, capacity: int = 2) -> dict:
    """A published session and ``n`` pending requests from different patients (the first slot)."""
    c = f.basic_clinic(db, day=day, capacity=capacity)
    c["patients"] = [f.patient(db, name=f"测试{i}") for i in range(n)]
    c["requests"] = [f.request(db, c["slot_ids"][0], p) for p in c["patients"]]
    return c
