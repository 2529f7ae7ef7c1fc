"""The no-show blacklist arithmetic and the rule value checks, without a database."""
from __future__ import annotations

import datetime as dt

import pytest

from services.bookings import rules
from services.errors import ValidationError

D = dt.date(2026, 3, 1)


def days(*offsets: int) -> list[dt.date]:
    return sorted(D + dt.timedelta(days=o) for o in offsets)


def test_fewer_than_the_limit_never_blocks():
    assert rules.blocked_until(days(0, 1), rules.Rules()) is None
    assert rules.blocked_until([], rules.Rules()) is None


def test_block_runs_from_the_latest_of_the_group():
    assert rules.blocked_until(days(0, 10, 20), rules.Rules()) == (D + dt.timedelta(days=110), 3)


def test_lookback_window_is_the_n_days_ending_on_the_latest():
    # 90 days apart: outside a 90-day window ending on the latest; 89 apart: inside
    assert rules.blocked_until(days(0, 45, 90), rules.Rules()) is None
    assert rules.blocked_until(days(1, 45, 90), rules.Rules()) == (D + dt.timedelta(days=180), 3)


def test_the_latest_qualifying_group_wins_and_counts_its_members():
    r = rules.Rules(noshow_limit=2, noshow_lookback_days=30, blacklist_days=14)
    assert rules.blocked_until(days(0, 5, 100, 101, 102), r) == (D + dt.timedelta(days=116), 3)


def test_two_no_shows_on_one_day_count_twice():
    assert rules.blocked_until(days(0, 7, 7), rules.Rules()) == (D + dt.timedelta(days=97), 3)


@pytest.mark.parametrize("key, value", [
    ("booking_window_days", 366), ("cutoff_minutes", 1441), ("noshow_limit", 0), ("blacklist_days", -1),
    ("one_per_department_day", "yes"), ("autoapprove_enabled", None), ("nope", 1), ("noshow_limit", 2.0),
])
def test_bad_values_refused(key, value):
    with pytest.raises(ValidationError):
        rules._check(key, value)


def test_every_rule_has_a_label_and_good_defaults_pass_their_own_checks():
    for key, value in vars(rules.Rules()).items():
        assert key in rules.RULE_LABELS
        assert rules._check(key, value) == value
