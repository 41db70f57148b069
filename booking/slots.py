"""Slot starts of a day: pure, timezone-aware and DST-safe (a wall time that does not exist that day is
skipped; a repeated one is taken once, at its first occurrence). No clock here: callers pass `now`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_span(span: str) -> tuple[time, time | None]:
    """'08:00-16:00' → (08:00, 16:00); an end of 24:00 is None (midnight). ValueError when malformed."""
    m = SPAN.match(span)
    if not m:
        raise ValueError(f"'{span}' is not HH:MM-HH:MM")
    start = time(int(m[1]), int(m[2]))
    if m[3] == "24":
        if m[4] != "00":
            raise ValueError(f"'{span}': 24:00 is the latest end")
        return start, None
    end = time(int(m[3]), int(m[4]))
    if end <= start:
        raise ValueError(f"'{span}': the end must be after the start")
    return start, end


def day_starts(opening: dict, day: date, slot_minutes: int, zone: ZoneInfo) -> list[datetime]:
    """UTC starts of every whole slot inside the day's opening spans, in order."""
    step = timedelta(minutes=slot_minutes)
    seen: set[datetime] = set()
    for span in opening.get(WEEKDAYS[day.weekday()], []):
        start, end = parse_span(span)
        first = datetime.combine(day, start)
        minutes = (end.hour * 60 + end.minute if end else 24 * 60) - (start.hour * 60 + start.minute)
        for n in range(minutes // slot_minutes):
            wall = first + n * step  # a start is always inside the day
            try:
                utc = wall.replace(tzinfo=zone).astimezone(UTC)
                exists = utc.astimezone(zone).replace(tzinfo=None) == wall  # not inside a spring-forward gap
            except OverflowError:  # year 1 or 9999 seen from another zone: no such slot
                exists = False
            if exists:
                seen.add(utc)
    return sorted(seen)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def last_day(now: datetime, zone: ZoneInfo, days_ahead: int) -> date:
    """The last bookable local date: the service's today plus days_ahead."""
    return local_day(now, zone) + timedelta(days=days_ahead)
