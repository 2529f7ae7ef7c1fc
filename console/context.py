"""What every window and page of the console needs: the database, who is logged in, the task runner."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.tasks import TaskRunner
from services.config import Config
from services.db import Database
from services.staff.actor import Actor


@dataclass
class ConsoleContext:
    db: Database
    actor: Actor
    tasks: TaskRunner
    cfg: Config
    settings: Any = None  # console.settings.Settings, the typed QSettings registry
    extras: dict = field(default_factory=dict)  # e.g. the live feed, the demo simulator

    def can(self, permission: str, department_id: int | None = None) -> bool:
        return self.actor.can(permission, department_id)
