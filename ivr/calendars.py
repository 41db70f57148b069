"""Shared business-hours calendars and holiday lists: save, delete (refused while in use), and what
hours nodes read at call time (`Shared`, cached briefly so a date added now closes every flow within
`CACHE_SECONDS`, with no republishing). The caller commits; every change is audited."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date

from sqlmodel import Session, select

from api.audit.service import record as audit
from centralita import errors
from centralita.timeutil import utcnow
from ivr import validation
from ivr.calendar_schemas import CalendarIn, HolidayListIn
from ivr.flowdef import FlowDefinition, HoursNode
from ivr.hours import Shared, SharedCalendar
from ivr.models import BusinessCalendar, HolidayList
from ivr.service import live_definitions

log = logging.getLogger("centralita.ivr.calendars")
CACHE_SECONDS = 30.0


# -- reading ----------------------------------------------------------------------------------
def list_holiday_lists(session: Session) -> list[HolidayList]:
    return list(session.exec(select(HolidayList).order_by(HolidayList.name)))


def list_calendars(session: Session) -> list[BusinessCalendar]:
    return list(session.exec(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def _holiday_list(session: Session, name: str) -> HolidayList | None:
    return session.exec(select(HolidayList).where(HolidayList.name == name)).first()


def _calendar(session: Session, name: str) -> BusinessCalendar | None:
    return session.exec(select(BusinessCalendar).where(BusinessCalendar.name == name)).first()


def get_holiday_list(session: Session, name: str) -> HolidayList:
    row = _holiday_list(session, name)
    if row is None:
        raise errors.NotFound("name", f"holiday list '{name}' not found")
    return row


def get_calendar(session: Session, name: str) -> BusinessCalendar:
    row = _calendar(session, name)
    if row is None:
        raise errors.NotFound("name", f"calendar '{name}' not found")
    return row


def shared_names(session: Session) -> validation.SharedNames:
    calendars = set(session.exec(select(BusinessCalendar.name)).all())
    lists = set(session.exec(select(HolidayList.name)).all())
    return validation.SharedNames(calendars.__contains__, lists.__contains__)


def snapshot(session: Session) -> Shared:
    """Every calendar and list as hours nodes read them."""
    return Shared(
        calendars={
            c.name: SharedCalendar(c.timezone, dict(c.schedule), tuple(c.holiday_lists))
            for c in list_calendars(session)
        },
        holiday_lists={h.name: frozenset(d["date"] for d in h.days) for h in list_holiday_lists(session)},
    )


class SharedCache:
    """The FastAGI server's copy of `snapshot`, reloaded after `ttl` seconds. When loading fails (the
    database is down), the last good copy is kept, whatever its age; with none, `get` returns None and
    hours nodes fall back as ivr/hours.py says."""

    def __init__(self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._value: Shared | None = None
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def fresh(self) -> Shared | None:
        """The copy, if loaded less than `ttl` seconds ago."""
        with self._lock:
            return self._value if self.clock() - self._loaded_at < self.ttl else None

    def put(self, value: Shared) -> Shared:
        with self._lock:
            self._value, self._loaded_at = value, self.clock()
        return value

    def failed(self, exc: BaseException) -> Shared | None:
        """Loading failed: the last good copy, whatever its age, else None."""
        kept = self._value
        log.warning("calendars: cannot read the database (%r); using %s", exc, "the last copy" if kept else "none")
        return kept

    def get(self, load: Callable[[], Shared]) -> Shared | None:
        """`fresh`, else `load()` (sync callers; the FastAGI step does the same with its own awaits)."""
        if (value := self.fresh()) is not None:
            return value
        try:
            return self.put(load())
        except Exception as exc:  # any failure to read means "use what we have"
            return self.failed(exc)

    def clear(self) -> None:
        with self._lock:
            self._value, self._loaded_at = None, float("-inf")


# -- where they are used ----------------------------------------------------------------------
def _live_hours_nodes(session: Session) -> list[tuple[str, HoursNode]]:
    """(flow, node) of every hours node callers can reach now: published versions and running A/B tests."""
    out = []
    for flow, definition in live_definitions(session):
        parsed = FlowDefinition.model_validate(definition)
        out += [(flow, n) for n in parsed.nodes.values() if isinstance(n, HoursNode)]
    return out


def _names(items) -> str:
    return ", ".join(f"'{n}'" for n in sorted(set(items)))


# -- changing ---------------------------------------------------------------------------------
def _who(user) -> str:
    return (getattr(user, "username", "") or "")[:64]


def _check_name(name: str) -> None:
    import re

    from ivr.flowdef import CALENDAR_NAME

    if not re.match(CALENDAR_NAME, name):
        raise errors.FieldError("name", "lower-case letters, digits, '-', '_' (max 64)")


def put_holiday_list(session: Session, name: str, body: HolidayListIn, *, user=None, client: str = "") -> HolidayList:
    """Create or replace the list NAME. Its dates apply to every flow on the next call after the cache."""
    _check_name(name)
    days: dict[str, str] = {}
    for i, holiday in enumerate(body.holidays):
        try:
            date.fromisoformat(holiday.date)
        except ValueError:
            raise errors.FieldError(f"holidays.{i}.date", f"'{holiday.date}' is not a YYYY-MM-DD date") from None
        days[holiday.date] = holiday.name.strip() or days.get(holiday.date, "")
    row = _holiday_list(session, name) or HolidayList(name=name)
    row.description = body.description
    row.days = [{"date": d, "name": days[d]} for d in sorted(days)]
    row.updated_at, row.updated_by = utcnow(), _who(user)
    session.add(row)
    audit(
        session, "ivr.holidays.save", user=user, target=f"holidays:{name}", detail={"dates": len(days)}, client=client
    )
    session.flush()
    return row


def put_calendar(session: Session, name: str, body: CalendarIn, *, user=None, client: str = "") -> BusinessCalendar:
    _check_name(name)
    if (problem := validation.timezone_problem(body.timezone)) is not None:
        raise errors.FieldError("timezone", problem)
    for field, message in validation.schedule_problems(body.schedule):
        raise errors.FieldError(field, message)
    for i, list_name in enumerate(body.holiday_lists):
        if _holiday_list(session, list_name) is None:
            raise errors.FieldError(f"holiday_lists.{i}", f"holiday list '{list_name}' does not exist")
    row = _calendar(session, name) or BusinessCalendar(name=name, timezone=body.timezone)
    row.description, row.timezone = body.description, body.timezone
    row.schedule = {day: list(ranges) for day, ranges in body.schedule.items()}
    row.holiday_lists = list(dict.fromkeys(body.holiday_lists))
    row.updated_at, row.updated_by = utcnow(), _who(user)
    session.add(row)
    audit(
        session,
        "ivr.calendar.save",
        user=user,
        target=f"calendar:{name}",
        detail={"timezone": body.timezone, "holiday_lists": row.holiday_lists},
        client=client,
    )
    session.flush()
    return row


def delete_holiday_list(session: Session, name: str, *, user=None, client: str = "") -> None:
    """Refused while a calendar or a published flow's hours node names it."""
    row = get_holiday_list(session, name)
    calendars = [c.name for c in list_calendars(session) if name in c.holiday_lists]
    if calendars:
        raise errors.Conflict("name", f"holiday list '{name}' is used by calendar(s) {_names(calendars)}")
    flows = [f for f, node in _live_hours_nodes(session) if name in node.holiday_lists]
    if flows:
        raise errors.Conflict("name", f"holiday list '{name}' is used by published flow(s) {_names(flows)}")
    session.delete(row)
    audit(session, "ivr.holidays.delete", user=user, target=f"holidays:{name}", client=client)
    session.flush()


def delete_calendar(session: Session, name: str, *, user=None, client: str = "") -> None:
    """Refused while a published flow's hours node names it."""
    row = get_calendar(session, name)
    flows = [f for f, node in _live_hours_nodes(session) if node.calendar == name]
    if flows:
        raise errors.Conflict("name", f"calendar '{name}' is used by published flow(s) {_names(flows)}")
    session.delete(row)
    audit(session, "ivr.calendar.delete", user=user, target=f"calendar:{name}", client=client)
    session.flush()


def holiday_list_out(row: HolidayList) -> dict:
    return {
        "name": row.name,
        "description": row.description,
        "holidays": row.days,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def calendar_out(row: BusinessCalendar) -> dict:
    return {
        "name": row.name,
        "description": row.description,
        "timezone": row.timezone,
        "schedule": row.schedule,
        "holiday_lists": row.holiday_lists,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }
