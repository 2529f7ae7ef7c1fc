"""The walk-in dialog shows the desk share's places left (号源池) before the clinic day."""
from __future__ import annotations

import datetime as dt

from console.bookings.walkin import WalkInDialog
from services.bookings import decisions
from services.rosters import shares
from services.staff.actor import Actor
from tests import factories as f
from tests.console.bookings.test_walkin import ready
from tests.console.console_helpers import console_context, staff

TOMORROW = dt.date.today() + dt.timedelta(days=1)
ADMIN = Actor("staff", "admin", 1, "admin")


def test_the_walk_in_dialog_shows_desk_places_left(qtbot, sqlite_db, tmp_path):
    c = f.basic_clinic(sqlite_db, day=TOMORROW, capacity=4, slots=2)
    shares.set_share(sqlite_db, ADMIN, 50, department_id=c["department_id"])  # 2 of 4 kept for the desk
    clerk = staff(sqlite_db)
    decisions.walk_in(sqlite_db, clerk, c["slot_ids"][0], f.patient(sqlite_db))
    with console_context(sqlite_db, clerk, tmp_path) as ctx:
        dialog = WalkInDialog(ctx, TOMORROW, c["department_id"])
        qtbot.addWidget(dialog)
        dialog.open()
        ready(qtbot, dialog)
        texts = [dialog.slots.item(n).text() for n in range(dialog.slots.count())]
    assert texts[0].endswith("3 of 4 left · desk 1") or texts[0].endswith("余 3/4 · 现场号余 1"), texts
    assert texts[1].endswith("desk 2") or texts[1].endswith("现场号余 2"), texts
