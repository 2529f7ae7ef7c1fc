"""The StrEnums of services.domain are the contract's strings: the database's CHECK constraints and the
mini-program see exactly the values they saw before, in the same order."""
from __future__ import annotations

from services import models
from services.domain import TAKEN, BookingSource, BookingStatus, Period, Role, SessionStatus


def test_values_are_the_contract_strings():
    assert [*BookingStatus] == ["pending", "confirmed", "rejected", "full", "cancelled", "stopped", "checked_in",
                                "no_show"]
    assert [*Period] == ["am", "pm", "evening"] and [*SessionStatus] == ["draft", "published", "stopped"]
    assert [*BookingSource] == ["miniprogram", "desk"] and [*Role] == ["clerk", "head", "admin"]
    assert TAKEN == ("confirmed", "checked_in", "no_show")


def test_the_models_constraints_use_them():
    assert models.BOOKING_STATUSES == tuple(BookingStatus) and models.PERIODS == tuple(Period)
    assert models.SESSION_STATUSES == tuple(SessionStatus) and models.SOURCES == tuple(BookingSource)
    assert models.ROLES == tuple(Role) and models.TAKEN_STATUSES == TAKEN
    assert BookingStatus("no_show") is BookingStatus.NO_SHOW and f"{Period.AM}" == "am"
