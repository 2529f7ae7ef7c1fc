"""The demo's "decide requests automatically" toggle: every few seconds the hospital's rules decide up to
50 pending requests, as the autoapprove job does, when an admin's rule switches autoapproval on."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from console.common import settings as S
from console.common.context import ConsoleContext
from services.bookings import rules
from services.staff.actor import AUTOAPPROVE

AUTOAPPROVE_MS = 3000


class DemoAutoApprove(QObject):
    def __init__(self, ctx: ConsoleContext, parent: QObject):
        super().__init__(parent)
        self.ctx = ctx
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOAPPROVE_MS)
        self._timer.timeout.connect(self.round)

    def set_on(self, on: bool) -> None:
        if self.ctx.settings is not None:
            self.ctx.settings[S.DEMO_AUTOAPPROVE] = on
        if on:
            self._timer.start()
            self.round()
        else:
            self._timer.stop()

    def round(self) -> None:
        db = self.ctx.db

        def decide():
            # the hospital's switch (an admin's rule) wins over the demo's menu toggle
            if rules.load(db).autoapprove_enabled:
                return rules.decide_pending(db, AUTOAPPROVE, limit=50)
            return None
        self.ctx.tasks.run_task(decide, None)

    def stop(self) -> None:
        self._timer.stop()
