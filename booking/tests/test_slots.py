"""Slot generation: in the service's zone, whole slots only, DST gaps skipped and repeats taken once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from booking.slots import day_starts, last_day, parse_span

NY = ZoneInfo("America/New_York")


def test_whole_slots_inside_spans_in_utc():
    starts = day_starts({"wed": ["08:00-10:30", "14:00-15:00"]}, date(2026, 12, 2), 60, ZoneInfo("America/Panama"))
    assert [s.isoformat() for s in starts] == [
        "2026-12-02T13:00:00+00:00",
        "2026-12-02T14:00:00+00:00",  # 10:00-11:00 does not fit before 10:30
        "2026-12-02T19:00:00+00:00",
    ]
    assert day_starts({"wed": ["08:00-09:00"]}, date(2026, 12, 3), 60, NY) == []  # a Thursday: closed


def test_spring_forward_skips_the_missing_hour():
    # 2026-03-08: 02:00 → 03:00 in New York; 02:00 and 02:30 do not exist.
    starts = day_starts({"sun": ["01:00-04:00"]}, date(2026, 3, 8), 30, NY)
    local = [s.astimezone(NY).strftime("%H:%M") for s in starts]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    assert starts[1].isoformat() == "2026-03-08T06:30:00+00:00" and starts[2].isoformat() == "2026-03-08T07:00:00+00:00"


def test_fall_back_takes_the_repeated_hour_once():
    # 2026-11-01: 02:00 → 01:00 in New York; the wall time 01:00 happens twice, booked once (its first).
    starts = day_starts({"sun": ["00:00-03:00"]}, date(2026, 11, 1), 60, NY)
    assert [s.isoformat() for s in starts] == [
        "2026-11-01T04:00:00+00:00",
        "2026-11-01T05:00:00+00:00",
        "2026-11-01T07:00:00+00:00",
    ]


def test_midnight_end_and_bad_spans():
    assert parse_span("20:00-24:00")[1] is None
    assert len(day_starts({"mon": ["22:00-24:00"]}, date(2026, 11, 30), 60, NY)) == 2
    for bad in ("8:00-9:00", "10:00-09:00", "10:00-10:00", "24:00-24:30", "10:00-24:30"):
        with pytest.raises(ValueError):
            parse_span(bad)


def test_booking_window_is_counted_in_the_service_zone():
    # 03:00 UTC on 2 Dec is still 1 Dec in Panamá.
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert last_day(now, ZoneInfo("America/Panama"), 2) == date(2026, 12, 3)
    assert last_day(now, ZoneInfo("UTC"), 2) == date(2026, 12, 4)


def test_extreme_dates_give_no_slot_rather_than_an_error():
    assert day_starts({"fri": ["20:00-23:00"]}, date(9999, 12, 31), 60, ZoneInfo("America/Panama")) == []
    assert day_starts({"mon": ["08:00-09:00"]}, date(1, 1, 1), 60, ZoneInfo("Asia/Tokyo")) == []
    assert day_starts({"fri": ["20:00-23:00"]}, date(9999, 12, 31), 60, ZoneInfo("Asia/Tokyo"))[-1].hour == 13
    assert len(day_starts({"fri": ["22:00-24:00"]}, date(9999, 12, 31), 60, ZoneInfo("UTC"))) == 2
