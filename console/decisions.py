"""Running a clerk's action over several bookings, one transaction each, off the GUI thread.

``decide_each(ids, fn)`` runs in a worker: a refusal by the service (a colleague decided first,
the slot is full, the clinic stopped) becomes that booking's message and the others go on; a
lost connection stops the run and is raised, carrying what was already done (``done``), so the
page shows exactly what reached the database and nothing more.
"""
from __future__ import annotations

import logging
from typing import Callable

from console.tasks import is_unreachable, user_message
from services.errors import DatabaseUnavailable, RegdeskError

log = logging.getLogger(__name__)


class Interrupted(DatabaseUnavailable):
    """The database went away in the middle of several actions: what was done before is kept."""

    def __init__(self, message: str, done: list):
        super().__init__(message)
        self.done = done


def decide_each(ids: list[int], decide: Callable[[int], object]) -> list[tuple[int, object]]:
    """[(id, result or refusal message)]; raises DatabaseUnavailable/Interrupted when the database is gone."""
    out: list[tuple[int, object]] = []
    for booking_id in ids:
        try:
            out.append((booking_id, decide(booking_id)))
        except RegdeskError as exc:
            if not is_unreachable(exc):
                out.append((booking_id, str(exc)))
                continue
            if not out:
                raise
            raise Interrupted(str(exc), out) from exc
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            if not out:
                raise DatabaseUnavailable(user_message(exc)) from exc
            raise Interrupted(user_message(exc), out) from exc
    return out


def split(done: list[tuple[int, object]]) -> tuple[list[int], list[tuple[int, str]]]:
    """(ids the database accepted, [(id, refusal message)])."""
    ok = [i for i, r in done if not isinstance(r, str)]
    refused = [(i, r) for i, r in done if isinstance(r, str)]
    return ok, refused
