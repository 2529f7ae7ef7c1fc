"""Shared set-up for the rosters and administration page tests: a console context on a test database."""
from __future__ import annotations

import pytest

from services.actor import Actor
from services.config import Config, WeChatSettings

from console.context import ConsoleContext
from console.tasks import TaskRunner

# the offscreen platform says so whenever a top-level window (a page, a dialog) is shown
OFFSCREEN_NOISE = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

ADMIN = Actor(kind="staff", name="admin", role="admin", display_name="管理员")
CLERK = Actor(kind="staff", name="clerk", role="clerk", display_name="挂号员")


def head(*department_ids: int) -> Actor:
    return Actor(kind="staff", name="head", role="head", department_ids=frozenset(department_ids),
                 display_name="主任")


def make_ctx(db, actor: Actor) -> ConsoleContext:
    return ConsoleContext(db=db, actor=actor, tasks=TaskRunner(), cfg=Config(db.url, WeChatSettings()))


def drain(qtbot, ctx: ConsoleContext, timeout: int = 10_000) -> None:
    """Wait until every background task finished and its result was handed to the GUI thread."""
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=timeout)
