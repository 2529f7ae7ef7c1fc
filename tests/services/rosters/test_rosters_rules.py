"""The roster rules that need no database: times, weekdays, periods, slots (ISO weeks: test_xlsx, parse_week)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.errors import ValidationError
from services.rosters.calendar import check_hours, overlaps, parse_time, parse_weekday, slot_times

T = dt.time


@pytest.mark.parametrize("value, weekday", [
    (0, 0), (6, 6), ("1", 0), ("7", 6), ("mon", 0), ("Sun", 6), ("friday", 4), ("周三", 2), ("星期日", 6),
])
def test_parse_weekday(value, weekday):
    assert parse_weekday(value) == weekday


@pytest.mark.parametrize("value", [7, -1, "0", "8", "monn", "", None, True])
def test_parse_weekday_rejects(value):
    with pytest.raises(ValidationError):
        parse_weekday(value)


def test_parse_time():
    assert parse_time("8:05") == T(8, 5)
    assert parse_time(T(17, 30)) == T(17, 30)
    for bad in ("24:00", "12:60", "noon", "8", "", None, T(8, 0, 30)):
        with pytest.raises(ValidationError):
            parse_time(bad, "开始时间")


@pytest.mark.parametrize("period, start, end", [
    ("am", T(7), T(12)), ("am", T(11, 59), T(13)), ("pm", T(12), T(17)), ("pm", T(17, 59), T(19)),
    ("evening", T(17), T(21)), ("evening", T(22), T(23, 59)),
])
def test_check_hours_accepts(period, start, end):
    check_hours(period, start, end)


@pytest.mark.parametrize("period, start, end, message", [
    ("am", T(9), T(8), "结束时间 08:00 早于开始时间 09:00"),
    ("am", T(12), T(13), "上午出诊须在 12:00 前开始（开始时间 12:00）"),
    ("pm", T(11), T(13), "下午出诊须在 12:00 至 18:00 之间开始"),
    ("pm", T(18), T(20), "下午出诊须在 12:00 至 18:00 之间开始"),
    ("evening", T(16, 59), T(20), "晚上出诊须在 17:00 或以后开始"),
])
def test_check_hours_rejects(period, start, end, message):
    with pytest.raises(ValidationError, match=message):
        check_hours(period, start, end)


def test_overlaps_is_half_open():
    assert overlaps(T(8), T(12), T(11), T(13))
    assert overlaps(T(8), T(12), T(9), T(10))
    assert not overlaps(T(8), T(12), T(12), T(13))
    assert not overlaps(T(12), T(13), T(8), T(12))


def test_slot_times():
    assert slot_times(T(8), T(9), 20) == [(T(8), T(8, 20)), (T(8, 20), T(8, 40)), (T(8, 40), T(9))]
    # publish never asks for a remainder (templates must divide evenly); an import's odd end is kept
    assert slot_times(T(8), T(8, 50), 20)[-1] == (T(8, 40), T(8, 50))
