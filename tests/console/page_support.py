"""Shared set-up for the rosters and administration page tests: a console context on a test database."""
from __future__ import annotations

import pytest

from console.common.context import ConsoleContext
from console.common.tasks import TaskRunner
from services.config import Config, WeChatSettings
from services.staff.actor import Actor

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


def error_by(qtbot, errors, name: str, timeout: int = 10_000, within: int = 30) -> str:
    """Wait for a form's error (console.common.forms.FieldErrors) and check that it stands by ``name``'s input:
    its line visible right under that input (at most ``within`` pixels below it, overlapping it across),
    the input outlined, the banner hidden. Returns the message."""
    from PySide6.QtCore import QPoint
    qtbot.waitUntil(lambda: errors.shown() is not None, timeout=timeout)
    shown = errors.shown()
    assert shown == name, f"the error {errors.text(shown or '')!r} is shown by {shown!r}, not by {name!r}"
    line = errors.line(name)
    assert line.isVisible() and line.text() and not errors.banner.isVisible()
    widget = errors.inputs(name)[0]
    assert all(w.property("invalid") for w in errors.inputs(name))
    top = widget.mapTo(widget.window(), QPoint(0, 0))
    at = line.mapTo(line.window(), QPoint(0, 0))
    below = at.y() - (top.y() + widget.height())
    assert 0 <= below <= within, f"the error line is {below}px below the input"
    assert at.x() < top.x() + widget.width() and top.x() < at.x() + line.width()
    return errors.text(name)


def cleared_by_editing(errors, name: str, edit) -> bool:
    """``edit()`` the input at fault: its error line and outline go at once."""
    assert errors.shown() == name
    edit()
    return errors.shown() is None and not errors.line(name).isVisible() \
        and not any(w.property("invalid") for w in errors.inputs(name))
