"""Running a clerk's action over several bookings off the GUI thread: ``services.bookings.decisions.each`` runs it
(one transaction per booking, refusals reported per booking, a lost connection raised with what was
done), ``split`` sorts its answer for the page."""
from __future__ import annotations


def split(done: list[tuple[int, object]]) -> tuple[list[int], list[tuple[int, str]]]:
    """(ids the database accepted, [(id, refusal message)])."""
    ok = [i for i, r in done if not isinstance(r, str)]
    refused = [(i, r) for i, r in done if isinstance(r, str)]
    return ok, refused
