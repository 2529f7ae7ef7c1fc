"""The demo's "decide requests automatically" toggle (View menu): the demo console runs the job service
in a thread of its own (services.jobs.background, ``ctx.jobs``); this switches its deciding on and off.
The hospital's 自动审核 rule still wins. A hospital runs `regdesk jobs` instead, and consoles decide
nothing in the background."""
from __future__ import annotations

from PySide6.QtCore import QObject

from console.common import settings as S
from console.common.context import ConsoleContext


class DemoAutoApprove(QObject):
    def __init__(self, ctx: ConsoleContext, parent: QObject):
        super().__init__(parent)
        self.ctx = ctx

    @property
    def available(self) -> bool:
        return self.ctx.jobs is not None

    def set_on(self, on: bool) -> None:
        if self.ctx.settings is not None:
            self.ctx.settings[S.DEMO_AUTOAPPROVE] = on
        if self.ctx.jobs is not None:
            self.ctx.jobs.set_deciding(on)
