"""/api/ivr/calendars and /api/ivr/holidays (roles, 422 naming the field, 409 naming the flow, audit
rows), the `centralita ivr calendar|holidays` CLI, and the ivr_0003 migration down and up."""

from __future__ import annotations

from typer.testing import CliRunner

from ivr.tests.flows import WEEK, sample_flow

OFFICE = {d: ["08:00-16:00"] for d in WEEK[:5]}
FERIADOS = {"holidays": [{"date": "2026-11-03", "name": "Separación de Panamá de Colombia"}, "2026-12-25 Navidad"]}
OFICINA = {"timezone": "America/Panama", "schedule": OFFICE, "holiday_lists": ["feriados-panama"]}


def _agent(client) -> dict:
    from sqlmodel import Session

    from api.users import service as users
    from centralita import db

    with Session(db.get_engine()) as s:
        users.create_user(s, "ana", "agent-password-1", role="agent")
        s.commit()
    token = client.post("/api/auth/token", json={"username": "ana", "password": "agent-password-1"})
    return {"Authorization": "Bearer " + token.json()["access_token"]}


def _calendar_flow() -> dict:
    flow = sample_flow()
    hours = flow["nodes"]["hours"]
    del hours["schedule"], hours["holidays"]
    hours["calendar"] = "oficina"
    return flow


def test_roles_errors_in_use_and_audit(client):
    from sqlmodel import Session, select

    from api.audit.models import AuditLog
    from centralita import db

    agent, sup, admin = _agent(client), client.sup, client.admin
    assert client.get("/api/ivr/holidays", headers=agent).status_code == 403
    assert client.get("/api/ivr/calendars", headers=agent).status_code == 403
    assert client.put("/api/ivr/holidays/feriados-panama", json=FERIADOS, headers=sup).status_code == 403
    r = client.put("/api/ivr/holidays/feriados-panama", json=FERIADOS, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["holidays"][0] == {"date": "2026-11-03", "name": "Separación de Panamá de Colombia"}
    assert client.put("/api/ivr/calendars/oficina", json=OFICINA, headers=sup).status_code == 403
    r = client.put("/api/ivr/calendars/oficina", json=OFICINA, headers=admin)
    assert r.status_code == 200 and r.json()["updated_by"] == "root"
    assert [c["name"] for c in client.get("/api/ivr/calendars", headers=sup).json()] == ["oficina"]
    assert client.get("/api/ivr/holidays/feriados-panama", headers=sup).json()["holidays"][1]["name"] == "Navidad"
    assert client.get("/api/ivr/calendars/nada", headers=sup).status_code == 404

    def loc(r) -> list:
        assert r.status_code == 422, r.text
        return r.json()["detail"][0]["loc"]

    assert loc(client.put("/api/ivr/holidays/x", json={"holidays": ["2026-13-01"]}, headers=admin)) == [
        "body",
        "holidays.0.date",
    ]
    assert loc(client.put("/api/ivr/holidays/x", json={"holidays": ["mañana"]}, headers=admin))[:3] == [
        "body",
        "holidays",
        0,
    ]
    bad_zone = {**OFICINA, "timezone": "Mars/Olympus"}
    assert loc(client.put("/api/ivr/calendars/x", json=bad_zone, headers=admin)) == ["body", "timezone"]
    bad_schedule = {**OFICINA, "schedule": {"mon": ["16:00-08:00"]}}
    assert loc(client.put("/api/ivr/calendars/x", json=bad_schedule, headers=admin)) == ["body", "schedule.mon"]
    unknown = {**OFICINA, "holiday_lists": ["nada"]}
    r = client.put("/api/ivr/calendars/x", json=unknown, headers=admin)
    assert loc(r) == ["body", "holiday_lists.0"] and "nada" in r.text
    assert client.put("/api/ivr/calendars/Mala", json=OFICINA, headers=admin).status_code == 422
    assert client.put("/api/ivr/calendars/x", json={**OFICINA, "extra": 1}, headers=admin).status_code == 422

    # a flow naming an unknown calendar: the error on the node's field
    wrong = _calendar_flow()
    wrong["nodes"]["hours"]["calendar"] = "nada"
    r = client.put("/api/ivr/flows/tramites", json={"definition": wrong}, headers=admin)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "definition", "nodes", "hours", "calendar"]
    assert (
        client.put("/api/ivr/flows/tramites", json={"definition": _calendar_flow()}, headers=admin).status_code == 201
    )
    assert client.post("/api/ivr/flows/tramites/publish", json={}, headers=admin).status_code == 200
    r = client.post(
        "/api/ivr/flows/tramites/simulate",
        headers=sup,
        json={"digits": ["2"], "at": "2026-11-03T10:00:00-05:00", "lookups": False},
    )
    assert r.json()["path"] == "flow:tramites/v1>hours:closed>closed>hangup"

    assert client.delete("/api/ivr/calendars/oficina", headers=sup).status_code == 403
    r = client.delete("/api/ivr/calendars/oficina", headers=admin)
    assert r.status_code == 409 and "'tramites'" in r.json()["detail"][0]["msg"]
    r = client.delete("/api/ivr/holidays/feriados-panama", headers=admin)
    assert r.status_code == 409 and "'oficina'" in r.json()["detail"][0]["msg"]
    client.put("/api/ivr/holidays/vacio", json={}, headers=admin)
    assert client.delete("/api/ivr/holidays/vacio", headers=admin).status_code == 204
    assert client.delete("/api/ivr/holidays/vacio", headers=admin).status_code == 404

    with Session(db.get_engine()) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action.startswith("ivr.holidays"))).all()  # type: ignore[attr-defined]
        actions = [(a.action, a.target, a.username) for a in rows]
        calendar_rows = s.exec(select(AuditLog).where(AuditLog.action == "ivr.calendar.save")).all()
    assert actions == [
        ("ivr.holidays.save", "holidays:feriados-panama", "root"),
        ("ivr.holidays.save", "holidays:vacio", "root"),
        ("ivr.holidays.delete", "holidays:vacio", "root"),
    ]
    assert [a.target for a in calendar_rows] == ["calendar:oficina"]  # refused changes leave no row


def test_cli_imports_shows_and_names_the_bad_field(stack_env, tmp_path):
    from centralita.cli import _register, app

    _register()
    runner = CliRunner()
    lists, calendar, bad = tmp_path / "feriados.yaml", tmp_path / "oficina.yaml", tmp_path / "bad.yaml"
    lists.write_text("- 2026-11-03 Separación de Panamá de Colombia\n- 2026-11-10\n")
    calendar.write_text(
        "timezone: America/Panama\nschedule:\n  mon: ['08:00-16:00']\nholiday_lists: [feriados-panama]\n"
    )
    bad.write_text("timezone: America/Panama\nholiday_lists: [nada]\n")
    r = runner.invoke(app, ["ivr", "calendar", "set", "oficina", "--file", str(calendar)])
    assert r.exit_code == 2 and "holiday_lists.0: holiday list 'feriados-panama' does not exist" in r.output
    r = runner.invoke(app, ["ivr", "holidays", "set", "feriados-panama", "--file", str(lists)])
    assert r.exit_code == 0 and "2 dates" in r.output, r.output
    r = runner.invoke(app, ["ivr", "calendar", "set", "oficina", "--file", str(calendar)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ivr", "holidays", "show", "feriados-panama"])
    assert "2026-11-03\tSeparación de Panamá de Colombia" in r.output
    assert '"timezone": "America/Panama"' in runner.invoke(app, ["ivr", "calendar", "show", "oficina"]).output
    r = runner.invoke(app, ["ivr", "calendar", "set", "otra", "--file", str(bad)])
    assert r.exit_code == 2 and "holiday_lists.0" in r.output
    bad.write_text("- 3 de noviembre\n")
    r = runner.invoke(app, ["ivr", "holidays", "set", "otra", "--file", str(bad)])
    assert r.exit_code == 2 and "invalid: holidays.0" in r.output
    r = runner.invoke(app, ["ivr", "holidays", "delete", "feriados-panama"])
    assert r.exit_code == 2 and "calendar(s) 'oficina'" in r.output
    assert runner.invoke(app, ["ivr", "calendar", "delete", "oficina"]).exit_code == 0
    assert runner.invoke(app, ["ivr", "holidays", "delete", "feriados-panama"]).exit_code == 0
    assert runner.invoke(app, ["ivr", "holidays", "list"]).output == ""
