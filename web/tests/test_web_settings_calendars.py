"""/settings/calendars: supervisors read, agents are turned away, admins save and delete through CSRF
forms (the same service as the API, audited), and a refused form shows the error on its field."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.users import service as users
from centralita.db import session_scope
from ivr.tests.flows import WEEK, sample_flow


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from ivr import calendars, service
    from ivr.calendar_schemas import CalendarIn, HolidayListIn

    with session_scope() as s:
        for name, role in (("boss", "admin"), ("marta", "supervisor"), ("ana", "agent")):
            users.create_user(s, name, f"{name}-password-1", role=role)
        calendars.put_holiday_list(s, "feriados-panama", HolidayListIn(holidays=["2026-11-03 Separación de Panamá"]))
        office = {d: ["08:00-16:00"] for d in WEEK[:5]}
        calendars.put_calendar(
            s, "oficina", CalendarIn(timezone="America/Panama", schedule=office, holiday_lists=["feriados-panama"])
        )
        flow = sample_flow()
        del flow["nodes"]["hours"]["schedule"]
        flow["nodes"]["hours"]["calendar"] = "oficina"
        service.save(s, "tramites", flow)
        service.publish(s, "tramites")
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def login(client: TestClient, name: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": name, "password": f"{name}-password-1", "csrf": token})
    assert r.status_code == 303
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # the logout form


def test_supervisor_reads_without_forms_and_an_agent_is_refused(client):
    r = client.get("/settings/calendars")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    login(client, "ana")
    assert client.get("/settings/calendars").status_code == 403
    client.cookies.clear()
    csrf = login(client, "marta")
    html = client.get("/settings/calendars").text
    assert 'href="/settings/calendars" aria-current="page"' in html  # a tab of the settings pages
    assert "2026-11-03 · Separación de Panamá" in html and "oficina" in html and "America/Panama" in html
    assert 'action="/settings/calendars/holidays"' not in html and "Eliminar" not in html
    r = client.post("/settings/calendars/holidays", data={"name": "x", "holidays": "2026-01-01", "csrf": csrf})
    assert r.status_code == 403


def test_admin_saves_edits_and_is_told_why_a_delete_is_refused(client):
    from sqlmodel import select

    from api.audit.models import AuditLog

    csrf = login(client, "boss")
    lines = "2026-12-25 Navidad\n\n2026-01-01 Año Nuevo\n"
    r = client.post("/settings/calendars/holidays", data={"name": "nacional", "holidays": lines, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/settings/calendars"
    assert "Lista de feriados «nacional» guardada" in client.get("/settings/calendars").text  # shown once
    r = client.post("/settings/calendars/holidays", data={"name": "nacional", "holidays": "2026-02-30", "csrf": csrf})
    assert r.status_code == 422
    assert re.search(r'id="l-holidays"[^>]*aria-invalid="true"', r.text)
    assert 'id="err-holidays"' in r.text and "(línea 1)" in r.text
    r = client.post("/settings/calendars/holidays", data={"name": "x", "holidays": "2026-01-01", "csrf": "wrong"})
    assert r.status_code == 403  # a stale or foreign form: nothing saved

    data = {"name": "tarde", "timezone": "Mars/Olympus", "schedule_mon": "13:00-18:00", "csrf": csrf}
    r = client.post("/settings/calendars/calendar", data=data)
    assert r.status_code == 422 and 'id="err-timezone"' in r.text and "Mars/Olympus" in r.text
    r = client.post("/settings/calendars/calendar", data={**data, "timezone": "America/Panama", "schedule_tue": "9-5"})
    assert r.status_code == 422 and 'id="err-schedule_tue"' in r.text
    r = client.post(
        "/settings/calendars/calendar",
        data={**data, "timezone": "America/Panama", "holiday_lists": ["nacional", "feriados-panama"]},
    )
    assert r.status_code == 303
    edit = client.get("/settings/calendars?edit_calendar=tarde").text
    assert 'value="13:00-18:00"' in edit and re.search(r'value="nacional"\s+checked', edit)

    r = client.post("/settings/calendars/calendar/oficina/delete", data={"csrf": csrf})
    assert r.status_code == 409 and "published flow(s) &#39;tramites&#39;" in r.text
    r = client.post("/settings/calendars/holidays/nacional/delete", data={"csrf": csrf})
    assert r.status_code == 409 and "calendar(s) &#39;tarde&#39;" in r.text
    assert client.post("/settings/calendars/calendar/tarde/delete", data={"csrf": csrf}).status_code == 303
    assert client.post("/settings/calendars/holidays/nacional/delete", data={"csrf": csrf}).status_code == 303
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.username == "boss"))]
    assert actions.count("ivr.holidays.save") == 1 and actions.count("ivr.calendar.save") == 1
    assert "ivr.calendar.delete" in actions and "ivr.holidays.delete" in actions
