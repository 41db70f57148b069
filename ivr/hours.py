"""Open or closed? Pure logic shared by the FastAGI step and `centralita flow simulate`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ivr.flowdef import WEEKDAYS, HoursNode


def is_open(node: HoursNode, now: datetime, override: str | None = None) -> bool:
    """`override` (open/closed, set by an admin at runtime) wins over the node's own, which wins over
    the schedule. Holidays close the whole day in the node's time zone."""
    for forced in (override, node.override):
        if forced in ("open", "closed"):
            return forced == "open"
    local = now.astimezone(ZoneInfo(node.timezone))
    if local.date().isoformat() in node.holidays:
        return False
    hhmm = local.strftime("%H:%M")
    for span in node.schedule.get(WEEKDAYS[local.weekday()], []):
        start, end = span.split("-")
        if start <= hhmm < end:
            return True
    return False


def parse_clock(value: str) -> datetime:
    """An injected 'now' (settings or --at); naive times are read as UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now(clock: str = "") -> datetime:
    return parse_clock(clock) if clock else datetime.now(UTC)


__all__ = ["is_open", "parse_clock", "now", "date"]
