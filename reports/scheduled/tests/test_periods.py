"""Due times and periods from fixed dates (2026-11-30 is a Monday), in the center's zone, never the clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from reports.scheduled import periods

PANAMA = ZoneInfo("America/Panama")  # UTC-5, no DST
MADRID = ZoneInfo("Europe/Madrid")
MIDNIGHT = time(0, 0)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def sched(frequency="daily", weekday=None, day_of_month=None, hour=7, minute=0, created_at=CREATED):
    return SimpleNamespace(
        frequency=frequency, weekday=weekday, day_of_month=day_of_month, hour=hour, minute=minute, created_at=created_at
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_daily_due_and_previous_day():
    s = sched(hour=7)
    assert periods.latest_due(s, utc(2026, 11, 30, 12, 0), PANAMA) == utc(2026, 11, 30, 12, 0)  # 07:00 local
    assert periods.latest_due(s, utc(2026, 11, 30, 11, 59), PANAMA) == utc(2026, 11, 29, 12, 0)
    assert periods.period_for("daily", utc(2026, 11, 30, 12), PANAMA, MIDNIGHT) == (
        utc(2026, 11, 29, 5),
        utc(2026, 11, 30, 5),
    )
    assert periods.next_due(s, utc(2026, 11, 30, 12, 0), PANAMA) == utc(2026, 12, 1, 12, 0)


def test_weekly_is_the_previous_iso_week():
    s = sched("weekly", weekday=0, hour=6, minute=30)  # Mondays 06:30
    due = periods.latest_due(s, utc(2026, 12, 3, 0, 0), PANAMA)  # a Wednesday
    assert due == utc(2026, 11, 30, 11, 30)
    assert periods.period_for("weekly", due, PANAMA, MIDNIGHT) == (utc(2026, 11, 23, 5), utc(2026, 11, 30, 5))


def test_monthly_on_a_day_the_month_lacks_runs_on_its_last_day():
    s = sched("monthly", day_of_month=31, hour=8)
    due = periods.latest_due(s, utc(2026, 12, 5), PANAMA)
    assert due == utc(2026, 11, 30, 13)  # November has 30 days
    assert periods.period_for("monthly", due, PANAMA, MIDNIGHT) == (utc(2026, 10, 1, 5), utc(2026, 11, 1, 5))
    january = periods.period_for("monthly", utc(2027, 1, 1, 13), PANAMA, MIDNIGHT)
    assert january == (utc(2026, 12, 1, 5), utc(2027, 1, 1, 5))


def test_day_start_moves_the_period_and_an_early_run_still_reports_a_whole_day():
    six = time(6, 0)
    assert periods.period_for("daily", utc(2026, 11, 30, 12), PANAMA, six) == (
        utc(2026, 11, 29, 11),
        utc(2026, 11, 30, 11),
    )
    # 05:00 local, before today's 06:00 start: the last whole day is the one that ended yesterday at 06:00.
    assert periods.period_for("daily", utc(2026, 11, 30, 10), PANAMA, six) == (
        utc(2026, 11, 28, 11),
        utc(2026, 11, 29, 11),
    )


def test_nothing_is_due_before_the_schedule_existed():
    s = sched(hour=7, created_at=utc(2026, 11, 30, 12, 30))
    assert periods.latest_due(s, utc(2026, 11, 30, 13), PANAMA) is None
    assert periods.latest_due(s, utc(2026, 12, 1, 12), PANAMA) == utc(2026, 12, 1, 12)


def test_a_dst_change_gives_a_25_hour_day_in_local_time():
    start, end = periods.period_for("daily", utc(2026, 10, 26, 6), MADRID, MIDNIGHT)  # Madrid left DST on Oct 25
    assert (start, end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) and end - start == timedelta(hours=25)


def test_zone_settings_are_named():
    assert periods.zone_of(SimpleNamespace()) == ZoneInfo("UTC")  # before the engine's setting exists
    with pytest.raises(ValueError, match="CENTRALITA_REPORT_TIMEZONE"):
        periods.zone_of(SimpleNamespace(report_timezone="Mars/Olympus"))
    with pytest.raises(ValueError, match="CENTRALITA_REPORT_DAY_START"):
        periods.day_start_of(SimpleNamespace(report_day_start="6am"))
