"""Times on the pages, in the center's zone (settings.report_timezone, the zone reports use too).

Everything is stored in UTC; only what a person reads is converted, here, by one Jinja filter
(`local_time`) and one global (`center_zone()`, the zone's IANA name, which each page names once and
hands to its scripts as data-tz for Intl.DateTimeFormat). The zone is read at each render, so a
changed setting needs no restart, and never from the machine's own zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from centralita.settings import get_settings

FORMATS = {"datetime": "%Y-%m-%d %H:%M:%S", "minute": "%Y-%m-%d %H:%M", "time": "%H:%M"}


def center_zone_name() -> str:
    """The configured zone's name, or UTC when it is empty or unknown (a page must still render)."""
    name = getattr(get_settings(), "report_timezone", "UTC") or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def center_zone() -> ZoneInfo:
    return ZoneInfo(center_zone_name())


def to_local(value: datetime | str | None, zone: ZoneInfo | None = None) -> datetime | None:
    """A stored instant in the center's zone. Naive values are UTC (SQLite gives them back naive);
    ISO strings (the services' JSON-shaped dicts) are read first."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone or center_zone())


def local_time(value: datetime | str | None, fmt: str = "datetime") -> str:
    """Jinja filter: `{{ call.start|local_time }}`, `{{ x|local_time("minute") }}`; "—" for no time.
    A string that is not a time is shown as it came, never an error."""
    local = to_local(value)
    if local is None:
        return "—" if value in (None, "") else str(value)
    return local.strftime(FORMATS.get(fmt, fmt))
