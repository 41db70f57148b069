"""Open or closed? Pure logic shared by the FastAGI step and `centralita flow simulate`.

What an hours node's answer rests on (`rules_for`):
- no `calendar` and no `holiday_lists`: the node's own timezone, schedule and holidays (as always);
- with shared calendars/lists (`Shared`, read from the database at call time by ivr/calendars.py):
  the calendar's timezone and schedule replace the node's own; the holidays are the calendar's lists,
  plus the node's `holiday_lists`, plus the node's inline `holidays`;
- shared ones wanted but unreadable (`shared is None`: the database is down and nothing was ever
  cached): the node's inline schedule if it has one, else open — a person (or the queue's own
  message) is better than a wrongly closed line. Logged as a warning each time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ivr.flowdef import WEEKDAYS, HoursNode

log = logging.getLogger("centralita.ivr.hours")


@dataclass(frozen=True)
class SharedCalendar:
    timezone: str
    schedule: dict[str, list[str]]
    holiday_lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shared:
    """Every shared calendar and holiday list (small tables: read whole, cached briefly)."""

    calendars: dict[str, SharedCalendar] = field(default_factory=dict)
    holiday_lists: dict[str, frozenset[str]] = field(default_factory=dict)  # name → YYYY-MM-DD dates


@dataclass(frozen=True)
class Rules:
    timezone: str
    schedule: dict[str, list[str]]
    holidays: frozenset[str]


def uses_shared(node: HoursNode) -> bool:
    return bool(node.calendar or node.holiday_lists)


def _inline(node: HoursNode) -> Rules:
    return Rules(node.timezone, node.schedule, frozenset(node.holidays))


def rules_for(node: HoursNode, shared: Shared | None) -> Rules | None:
    """The schedule that decides; None means "open" (nothing to go by, see the module doc)."""
    if not uses_shared(node):
        return _inline(node)
    calendar = shared.calendars.get(node.calendar) if shared is not None and node.calendar else None
    if shared is None or (node.calendar and calendar is None):
        fallback = "the node's inline schedule" if node.schedule else "open"
        log.warning("hours: calendar %r / lists %s unreadable; using %s", node.calendar, node.holiday_lists, fallback)
        return _inline(node) if node.schedule else None
    lists = [*(calendar.holiday_lists if calendar else ()), *node.holiday_lists]
    holidays = set(node.holidays)
    for name in lists:
        if name not in shared.holiday_lists:  # validation refuses this; a race with a delete may not
            log.warning("hours: holiday list %r does not exist; ignored", name)
        holidays |= shared.holiday_lists.get(name, frozenset())
    if calendar is None:
        return Rules(node.timezone, node.schedule, frozenset(holidays))
    return Rules(calendar.timezone, calendar.schedule, frozenset(holidays))


def is_open(node: HoursNode, now: datetime, override: str | None = None, shared: Shared | None = None) -> bool:
    """`override` (open/closed, set by an admin at runtime) wins over the node's own, which wins over
    the schedule. Holidays close the whole day in the schedule's time zone. `shared`: the calendars and
    lists read now (None: unreadable), needed only by nodes that name some."""
    for forced in (override, node.override):
        if forced in ("open", "closed"):
            return forced == "open"
    rules = rules_for(node, shared)
    if rules is None:
        return True
    local = now.astimezone(ZoneInfo(rules.timezone))
    if local.date().isoformat() in rules.holidays:
        return False
    hhmm = local.strftime("%H:%M")
    for span in rules.schedule.get(WEEKDAYS[local.weekday()], []):
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


__all__ = ["is_open", "rules_for", "uses_shared", "Shared", "SharedCalendar", "parse_clock", "now", "date"]
