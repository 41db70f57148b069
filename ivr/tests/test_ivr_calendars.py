"""Shared calendars and holiday lists: how an hours node resolves them (pure), the FastAGI cache and
its fallback when the database is down, and, on both databases, one list closing two flows, a date
added without republishing, validation on the node's field and deletes refused while in use."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from ivr.hours import Shared, SharedCalendar, is_open, rules_for
from ivr.tests.flows import WEEK, node, sample_flow

TUE_10 = datetime.fromisoformat("2026-11-03T10:00:00-05:00")  # Separación de Panamá de Colombia
WED_10 = datetime.fromisoformat("2026-11-04T10:00:00-05:00")
TUE_NEXT_10 = datetime.fromisoformat("2026-11-10T10:00:00-05:00")
OFFICE = {d: ["08:00-16:00"] for d in WEEK[:5]}


def _node(**fields):
    from ivr.flowdef import HoursNode

    return HoursNode(open=node("main"), closed=node("closed"), **fields)


def _shared(dates=("2026-11-03",), schedule=None) -> Shared:
    return Shared(
        calendars={"oficina": SharedCalendar("America/Panama", schedule or OFFICE, ("feriados-panama",))},
        holiday_lists={"feriados-panama": frozenset(dates), "locales": frozenset({"2026-11-10"})},
    )


# -- pure -------------------------------------------------------------------------------------
def test_a_calendar_replaces_the_inline_schedule_and_inline_holidays_add():
    hours = _node(calendar="oficina", schedule={"sat": ["08:00-12:00"]}, holidays=["2026-11-04"])
    rules = rules_for(hours, _shared())
    assert rules is not None and rules.schedule == OFFICE and rules.timezone == "America/Panama"
    assert rules.holidays == {"2026-11-03", "2026-11-04"}
    assert not is_open(hours, TUE_10, shared=_shared())  # the calendar's list
    assert not is_open(hours, WED_10, shared=_shared())  # the node's own date adds
    assert is_open(hours, TUE_NEXT_10, shared=_shared())
    with_list = _node(calendar="oficina", holiday_lists=["locales"])
    assert not is_open(with_list, TUE_NEXT_10, shared=_shared())  # the node's own list adds too
    assert is_open(with_list, TUE_10, override="open", shared=_shared())  # the runtime switch still wins


def test_lists_without_a_calendar_close_the_inline_schedule():
    hours = _node(schedule=OFFICE, holiday_lists=["feriados-panama"])
    assert not is_open(hours, TUE_10, shared=_shared())
    assert is_open(hours, WED_10, shared=_shared())


def test_unreadable_calendars_fall_back_to_the_inline_schedule_else_open(caplog):
    with_inline = _node(calendar="oficina", schedule={"tue": ["12:00-13:00"]})
    assert not is_open(with_inline, TUE_10, shared=None)  # inline: Tuesday 12-13 only
    assert is_open(_node(calendar="oficina"), TUE_10, shared=None)  # nothing to go by: open
    assert is_open(_node(calendar="gone"), TUE_10, shared=_shared())  # deleted meanwhile: same rule
    assert "unreadable" in caplog.text


def test_the_cache_reloads_after_its_ttl_and_keeps_the_last_copy_when_the_database_fails():
    from ivr.calendars import SharedCache

    clock = [100.0]
    cache = SharedCache(ttl=30, clock=lambda: clock[0])
    first, second = _shared(), _shared(dates=("2026-11-03", "2026-11-04"))

    def down() -> Shared:
        raise OSError("connection refused")

    assert cache.get(down) is None  # never loaded: hours nodes fall back (see above)
    assert cache.get(lambda: first) is first
    clock[0] += 29
    assert cache.get(lambda: second) is first  # still fresh
    clock[0] += 2
    assert cache.get(down) is first  # stale, but the database is down: the last good copy
    assert cache.get(lambda: second) is second


def test_the_fastagi_step_answers_open_when_the_database_is_down(monkeypatch):
    from ivr import agi_app
    from ivr.calendars import SharedCache

    async def fake_node(call, kind):
        return "tramites", 1, _node(calendar="oficina")

    def down():
        raise OSError("connection refused")

    monkeypatch.setattr(agi_app, "flow_node", fake_node)
    monkeypatch.setattr(agi_app, "_override", lambda flow, node: None)
    monkeypatch.setattr(agi_app, "_load_shared", down)
    monkeypatch.setattr(agi_app, "_shared", SharedCache())
    monkeypatch.setenv("CENTRALITA_IVR_CLOCK", TUE_10.isoformat())

    class Call:
        params = {"node": "hours"}
        values: dict = {}

        async def set_variable(self, name, value):
            self.values[name] = value

    from centralita.settings import reset_settings_cache

    reset_settings_cache()
    call = Call()
    asyncio.run(agi_app.run_hours(call))
    assert call.values == {"IVR_RESULT": "open"}
    monkeypatch.setattr(agi_app, "_load_shared", lambda: _shared())
    asyncio.run(agi_app.run_hours(call))
    assert call.values == {"IVR_RESULT": "closed"}  # the holiday, once the database answers
    monkeypatch.setenv("CENTRALITA_IVR_CLOCK", WED_10.isoformat())
    reset_settings_cache()
    asyncio.run(agi_app.run_hours(call))
    assert call.values == {"IVR_RESULT": "open"}  # the day after, from the cached copy
    reset_settings_cache()


def test_holiday_short_form_and_bounds():
    from pydantic import ValidationError

    from ivr.calendar_schemas import CalendarIn, HolidayListIn

    body = HolidayListIn.model_validate(
        {"holidays": ["2026-11-03 Separación de Panamá de Colombia", {"date": "2026-12-25"}]}
    )
    assert [(h.date, h.name) for h in body.holidays] == [
        ("2026-11-03", "Separación de Panamá de Colombia"),
        ("2026-12-25", ""),
    ]
    with pytest.raises(ValidationError):
        HolidayListIn.model_validate({"holidays": ["3 de noviembre"]})
    with pytest.raises(ValidationError):
        CalendarIn.model_validate({"timezone": "x" * 65})
    with pytest.raises(ValidationError):
        CalendarIn.model_validate({"timezone": "America/Panama", "holiday_lists": ["Bad Name"]})


# -- with the database ------------------------------------------------------------------------
def _flow_with(**hours_fields) -> dict:
    flow = sample_flow()
    hours = {k: v for k, v in flow["nodes"]["hours"].items() if k not in ("schedule", "holidays")}
    flow["nodes"]["hours"] = {**hours, **hours_fields}
    return flow


def _setup(session):
    from ivr import calendars
    from ivr.calendar_schemas import CalendarIn, HolidayListIn

    calendars.put_holiday_list(
        session, "feriados-panama", HolidayListIn(holidays=["2026-11-03 Separación de Panamá de Colombia"])
    )
    calendars.put_calendar(
        session, "oficina", CalendarIn(timezone="America/Panama", schedule=OFFICE, holiday_lists=["feriados-panama"])
    )


def _path(session, name: str, at: datetime) -> str:
    from ivr.simulation_runner import run_simulation

    return run_simulation(session, name, ["2"], at=at, lookups=False).path_text


def test_one_list_closes_two_flows_and_a_new_date_applies_without_republishing(session):
    from ivr import calendars, service
    from ivr.calendar_schemas import HolidayListIn

    _setup(session)
    service.save(session, "tramites", _flow_with(calendar="oficina"))
    service.save(session, "ventas", _flow_with(schedule=OFFICE, holiday_lists=["feriados-panama"]))
    service.save(session, "cobros", _flow_with(calendar="oficina", holidays=["2026-11-04"]))
    for name in ("tramites", "ventas", "cobros"):
        service.publish(session, name)
    session.commit()
    for name in ("tramites", "ventas", "cobros"):
        assert _path(session, name, TUE_10) == f"flow:{name}/v1>hours:closed>closed>hangup"
        assert _path(session, name, TUE_NEXT_10).startswith(f"flow:{name}/v1>hours:open")
    assert _path(session, "cobros", WED_10).endswith("hours:closed>closed>hangup")  # inline date adds
    assert _path(session, "tramites", WED_10).startswith("flow:tramites/v1>hours:open")

    calendars.put_holiday_list(
        session, "feriados-panama", HolidayListIn(holidays=["2026-11-03", "2026-11-10 Día de prueba"])
    )
    session.commit()
    for name in ("tramites", "ventas"):  # still version 1: nothing republished
        assert _path(session, name, TUE_NEXT_10) == f"flow:{name}/v1>hours:closed>closed>hangup"
    shared = calendars.snapshot(session)
    assert shared.holiday_lists["feriados-panama"] == {"2026-11-03", "2026-11-10"}
    assert calendars.get_holiday_list(session, "feriados-panama").days[1] == {
        "date": "2026-11-10",
        "name": "Día de prueba",
    }


def test_unknown_calendar_or_list_is_refused_on_the_nodes_field(session):
    from ivr import service
    from ivr.validation import FlowInvalid

    _setup(session)
    with pytest.raises(FlowInvalid) as caught:
        service.save(session, "tramites", _flow_with(calendar="nadie", holiday_lists=["feriados-panama", "otros"]))
    found = {(e.node, e.field): e.message for e in caught.value.errors}
    assert found == {
        ("hours", "calendar"): "calendar 'nadie' does not exist",
        ("hours", "holiday_lists.1"): "holiday list 'otros' does not exist",
    }
    session.rollback()
    with pytest.raises(FlowInvalid, match="node 'hours', field 'calendar'"):
        service.save(session, "tramites", _flow_with(calendar="Mala Forma"))


def test_deleting_what_a_published_flow_or_a_calendar_uses_is_refused(session):
    from centralita.errors import Conflict, FieldError
    from ivr import calendars, service
    from ivr.calendar_schemas import CalendarIn, HolidayListIn

    _setup(session)
    calendars.put_holiday_list(session, "locales", HolidayListIn(holidays=["2026-11-28"]))
    service.save(session, "tramites", _flow_with(calendar="oficina", holiday_lists=["locales"]))
    service.publish(session, "tramites")
    service.save(session, "borrador", _flow_with(calendar="oficina"))  # saved, never published
    session.commit()
    with pytest.raises(Conflict, match="calendar 'oficina' is used by published flow\\(s\\) 'tramites'"):
        calendars.delete_calendar(session, "oficina")
    with pytest.raises(Conflict, match="used by calendar\\(s\\) 'oficina'"):
        calendars.delete_holiday_list(session, "feriados-panama")
    with pytest.raises(Conflict, match="holiday list 'locales' is used by published flow\\(s\\) 'tramites'"):
        calendars.delete_holiday_list(session, "locales")
    with pytest.raises(FieldError, match="holiday_lists.0: holiday list 'nada' does not exist"):
        calendars.put_calendar(session, "otra", CalendarIn(timezone="America/Panama", holiday_lists=["nada"]))
    with pytest.raises(FieldError, match="timezone: unknown time zone"):
        calendars.put_calendar(session, "otra", CalendarIn(timezone="Mars/Olympus"))
    with pytest.raises(FieldError, match="schedule.mon"):
        calendars.put_calendar(session, "otra", CalendarIn(timezone="America/Panama", schedule={"mon": ["9-5"]}))
    with pytest.raises(FieldError, match="holidays.0.date"):
        calendars.put_holiday_list(session, "otra", HolidayListIn(holidays=["2026-02-30"]))
    session.rollback()

    service.save(session, "tramites", _flow_with(schedule=OFFICE))  # the new version names none
    service.publish(session, "tramites")
    session.commit()
    calendars.delete_holiday_list(session, "locales")
    calendars.delete_calendar(session, "oficina")
    calendars.delete_holiday_list(session, "feriados-panama")
    session.commit()
    assert calendars.list_calendars(session) == [] and calendars.list_holiday_lists(session) == []
