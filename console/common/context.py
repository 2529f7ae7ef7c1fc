"""What every window and page of the console needs: the database, who is logged in, the task runner,
the settings, and what the main window starts for the pages (the live feed, the demo's simulator and
job service) and the one channel of what changed (``changes``: console.common.changes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from console.common.changes import ChangeHub

if TYPE_CHECKING:  # not imported at run time: the log-in dialog does not wait for SQLAlchemy
    from PySide6.QtWidgets import QMainWindow

    from console.common.live import LiveFeed
    from console.common.settings import Settings
    from console.common.tasks import TaskRunner
    from services.config import Config
    from services.db import Database
    from services.demo.simulate import Simulator
    from services.jobs.background import BackgroundJobs
    from services.staff.actor import Actor


@dataclass
class ConsoleContext:
    db: Database
    actor: Actor
    tasks: TaskRunner
    cfg: Config
    settings: Settings | None = None  # the typed QSettings registry; None in tests that need none
    live: LiveFeed | None = None  # set by the main window before it builds the pages; None while polling
    changes: ChangeHub = field(default_factory=ChangeHub)  # what changed: pages subscribe (console.common.changes)
    simulator: Simulator | None = None  # the demo's mini-program, stopped with the window
    jobs: BackgroundJobs | None = None  # the demo's job service in a thread (a hospital runs `regdesk jobs`)

    def can(self, permission: str, department_id: int | None = None) -> bool:
        return self.actor.can(permission, department_id)


class WindowPart(QObject):
    """A part of the main window that acts for it (the File menu's actions, the news of new requests): the
    console's context and the window, which owns it."""

    def __init__(self, ctx: ConsoleContext, window: QMainWindow):
        super().__init__(window)
        self.ctx = ctx
        self.window = window
