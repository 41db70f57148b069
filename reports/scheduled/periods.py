"""When a schedule is due and which period a run covers: pure functions of (schedule, now, zone), so the
catch-up rule is tested with any "now" and never reads the clock.

A schedule is due at its local hour:minute on every day (daily), on its weekday (weekly) or on its day
of the month (monthly; the month's last day when the month is shorter) in the center's zone. A run at
due time T covers the previous whole period that has ended by T: the day, the ISO week (Monday to
Monday) or the calendar month before the one T falls in, with days starting at `report_day_start`.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREQUENCIES = ("daily", "weekly", "monthly")
LOOKBACK_DAYS = 62  # enough to find the previous monthly due date from any day


def zone_of(settings) -> ZoneInfo:
    # report_timezone belongs to the KPI engine's settings; read it softly so this works without them.
    name = getattr(settings, "report_timezone", "UTC") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"CENTRALITA_REPORT_TIMEZONE: unknown time zone '{name}'") from None


def day_start_of(settings) -> time:
    value = getattr(settings, "report_day_start", "00:00") or "00:00"
    try:
        hours, minutes = (int(p) for p in str(value).split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ValueError(f"CENTRALITA_REPORT_DAY_START: '{value}' is not HH:MM") from None


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def is_run_day(schedule, day: date) -> bool:
    if schedule.frequency == "daily":
        return True
    if schedule.frequency == "weekly":
        return day.weekday() == schedule.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule.day_of_month, last)


def latest_due(schedule, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The latest due time ≤ now (UTC), or None when none has come since the schedule became active
    (created, its rule changed, or enabled again)."""
    today = now.astimezone(tz).date()
    at = time(schedule.hour, schedule.minute)
    for back in range(LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        if is_run_day(schedule, day):
            due = _local(day, at, tz)
            if due <= now:
                return due if due > _aware(getattr(schedule, "active_since", None) or schedule.created_at) else None
    return None


def next_due(schedule, now: datetime, tz: ZoneInfo) -> datetime:
    """The first due time after now (UTC): what the schedule list shows."""
    today = now.astimezone(tz).date()
    at = time(schedule.hour, schedule.minute)
    for ahead in range(LOOKBACK_DAYS + 1):
        day = today + timedelta(days=ahead)
        if is_run_day(schedule, day):
            due = _local(day, at, tz)
            if due > now:
                return due
    raise AssertionError("a schedule is due at least once every 31 days")


def period_for(frequency: str, due: datetime, tz: ZoneInfo, day_start: time) -> tuple[datetime, datetime]:
    """[start, end) in UTC: the whole period before the one `due` falls in (its end is ≤ due)."""
    local = due.astimezone(tz)
    day = local.date()
    if _local(day, day_start, tz) > due:  # e.g. a 05:00 run when days start at 06:00: still "yesterday"
        day -= timedelta(days=1)
    if frequency == "daily":
        return _local(day - timedelta(days=1), day_start, tz), _local(day, day_start, tz)
    if frequency == "weekly":
        monday = day - timedelta(days=day.weekday())
        return _local(monday - timedelta(days=7), day_start, tz), _local(monday, day_start, tz)
    first = day.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return _local(previous, day_start, tz), _local(first, day_start, tz)


def _aware(value: datetime) -> datetime:
    # SQLite gives back naive datetimes for what was stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
