"""/api/reports/schedules, /runs and /kpi/export over HTTP: roles, who sees what, bad input named by field,
files downloaded as they were emailed."""

from __future__ import annotations

import io
from types import SimpleNamespace

import openpyxl
import pytest
from fastapi.testclient import TestClient

from reports.scheduled.tests.test_runner import CREATED, HandRows, at

BODY = {"name": "Diario", "frequency": "daily", "hour": 7, "queues": ["atencion"], "recipients": ["jefa@example.org"]}


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from api.users import service
    from centralita.db import session_scope
    from queues.models import Queue

    with session_scope() as session:
        service.create_user(session, "boss", "boss-password-1", role="admin")
        service.create_user(session, "sofia", "supervisor-pass-1", role="supervisor")
        service.create_user(session, "luis", "supervisor-pass-2", role="supervisor")
        service.create_user(session, "ana", "agent-password-1", role="agent")
        session.add(Queue(name="atencion"))
    with TestClient(create_app(with_runtime=False)) as c:
        tokens = {}
        for user, password in [("boss", "boss-password-1"), ("sofia", "supervisor-pass-1"),
                               ("luis", "supervisor-pass-2"), ("ana", "agent-password-1")]:  # fmt: skip
            token = c.post("/api/auth/token", json={"username": user, "password": password}).json()["access_token"]
            tokens[user] = {"Authorization": f"Bearer {token}"}
        yield SimpleNamespace(http=c, **tokens)


def field_of(response) -> list:
    return response.json()["detail"][0]["loc"]


def test_roles_and_visibility(client):
    c = client.http
    assert c.get("/api/reports/schedules").status_code == 401
    assert c.get("/api/reports/schedules", headers=client.ana).status_code == 403
    assert c.post("/api/reports/schedules", json=BODY, headers=client.ana).status_code == 403
    made = c.post("/api/reports/schedules", json=BODY, headers=client.sofia)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["owner"], out["role"], out["formats"], out["timezone"]) == (
        "sofia",
        "supervisor",
        ["xlsx", "pdf"],
        "UTC",
    )
    assert out["next_due_at"] and out["last_run"] is None
    # a supervisor creates for themselves only; an admin for anyone
    other = c.post("/api/reports/schedules", json=BODY | {"name": "Para Luis", "owner": "luis"}, headers=client.sofia)
    assert other.status_code == 403 and other.json()["detail"].startswith("owner: ")
    private = BODY | {"name": "Gerencia", "owner": "luis", "role": "admin"}
    assert c.post("/api/reports/schedules", json=private, headers=client.boss).status_code == 201
    seen = {u: [s["name"] for s in c.get("/api/reports/schedules", headers=getattr(client, u)).json()]
            for u in ("boss", "sofia", "luis")}  # fmt: skip
    assert seen == {"boss": ["Diario", "Gerencia"], "sofia": ["Diario"], "luis": ["Diario", "Gerencia"]}
    assert c.get("/api/reports/schedules/Gerencia", headers=client.sofia).status_code == 404
    # luis sees sofia's (shared with supervisors) but only she or an admin changes it
    patch = c.patch("/api/reports/schedules/Diario", json={"hour": 8}, headers=client.luis)
    assert patch.status_code == 403 and patch.json()["detail"].startswith("schedule: only its owner")
    assert c.post("/api/reports/schedules/Diario/run", headers=client.luis).status_code == 403
    patched = c.patch("/api/reports/schedules/Diario", json={"hour": 8, "formats": ["csv"]}, headers=client.sofia)
    assert patched.status_code == 200 and (patched.json()["hour"], patched.json()["formats"]) == (8, ["csv"])
    assert c.delete("/api/reports/schedules/Diario", headers=client.luis).status_code == 403
    assert c.delete("/api/reports/schedules/Diario", headers=client.sofia).json() == {"deleted": "Diario"}
    audit = c.get("/api/audit", headers=client.boss, params={"limit": 50}).json()
    actions = [a["action"] for a in (audit["items"] if isinstance(audit, dict) else audit)]
    assert {"reports.schedule.create", "reports.schedule.update", "reports.schedule.delete"} <= set(actions)


BAD = [
    ({"frequency": "hourly"}, "frequency"),
    ({"recipients": ["jefa@example"]}, "recipients"),
    ({"recipients": []}, "recipients"),
    ({"formats": ["docx"]}, "formats"),
    ({"queues": ["no-such-queue"]}, "queues"),
    ({"group_by": "queue,colour"}, "group_by"),
    ({"frequency": "weekly"}, "weekday"),
    ({"weekday": 2}, "weekday"),
    ({"frequency": "monthly", "day_of_month": 32}, "day_of_month"),
    ({"hour": 24}, "hour"),
    ({"owner": "ana"}, "owner"),
    ({"surprise": 1}, "surprise"),
]


def test_bad_input_names_the_field(client):
    for change, field in BAD:  # one client for all: each case is one request
        answer = client.http.post("/api/reports/schedules", json=BODY | change, headers=client.boss)
        assert answer.status_code == 422, (change, answer.text)
        assert field in field_of(answer), (change, answer.json())
    assert client.http.get("/api/reports/schedules", headers=client.boss).json() == []  # nothing half-written


def test_a_name_is_taken_once(client):
    assert client.http.post("/api/reports/schedules", json=BODY, headers=client.sofia).status_code == 201
    again = client.http.post("/api/reports/schedules", json=BODY, headers=client.luis)
    assert again.status_code == 409 and field_of(again)[-1] == "name"
    patch = client.http.patch("/api/reports/schedules/Diario", json={"weekday": 1}, headers=client.sofia)
    assert patch.status_code == 422 and field_of(patch)[-1] == "weekday"


def test_runs_are_listed_and_their_files_downloaded_by_those_who_may(client):
    from sqlmodel import select

    from api.users.models import User
    from centralita import db
    from centralita.db import session_scope
    from centralita.settings import get_settings
    from messaging.tests.smtp_sink import SmtpSink
    from reports.scheduled import service
    from reports.scheduled.runner import Runner
    from reports.scheduled.schemas import ScheduleIn

    with session_scope() as session:
        luis = session.exec(select(User).where(User.username == "luis")).one()
        service.create_schedule(session, ScheduleIn(**BODY | {"name": "Privado", "role": "admin"}), luis, CREATED)
    sink = SmtpSink().start()
    try:
        overrides = {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_starttls": False}
        settings = SimpleNamespace(**get_settings().model_dump() | overrides | {"smtp_from": "informes@example.org"})
        assert len(Runner(settings, db.get_engine(), kpi=HandRows()).tick(at(21, 8)).sent) == 1
    finally:
        sink.stop()
    c = client.http
    [run] = c.get("/api/reports/runs", headers=client.luis).json()
    assert (run["schedule"], run["status"], run["rows"]) == ("Privado", "sent", 1)
    assert [f["format"] for f in run["files"]] == ["xlsx", "pdf"]
    assert c.get("/api/reports/runs", headers=client.sofia).json() == []  # audience admin: not hers
    url = run["files"][0]["url"]
    got = c.get(url, headers=client.luis)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert got.content == sink.messages[0][2].get_payload()[1].get_content()  # the attachment as emailed
    assert 'filename="privado_2026-11-20.xlsx"' in got.headers["content-disposition"]
    assert c.get(url, headers=client.boss).status_code == 200
    assert c.get(url, headers=client.sofia).status_code == 404
    assert c.get(url, headers=client.ana).status_code == 403
    missing = c.get(f"/api/reports/runs/{run['id']}/file", params={"format": "csv"}, headers=client.luis)
    assert missing.status_code == 404 and field_of(missing)[-1] == "format"
    assert c.get("/api/reports/runs", params={"schedule": "Privado"}, headers=client.luis).json()[0]["id"] == run["id"]


def test_kpi_export_formats_and_errors(client):
    c = client.http
    params = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z", "queue": "atencion"}
    xlsx = c.get("/api/reports/kpi/export", params=params | {"format": "xlsx"}, headers=client.sofia)
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["KPI"]
    assert sheet["A1"].value == "Informe de indicadores" and sheet["A3"].value == "Agrupación: Cola"
    pdf = c.get("/api/reports/kpi/export", params=params | {"format": "pdf"}, headers=client.sofia)
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    csv = c.get("/api/reports/kpi/export", params=params | {"format": "csv"}, headers=client.sofia)
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="kpi_2026-11-01.csv"' in csv.headers["content-disposition"]
    assert c.get("/api/reports/kpi/export", params=params | {"format": "csv"}, headers=client.ana).status_code == 403
    for change, field in [
        ({"format": "docx"}, "format"),
        ({"format": "csv", "queue": "no-such-queue"}, "queue"),
        ({"format": "csv", "until": "2026-10-01T00:00:00Z"}, "until"),
        ({"format": "csv", "until": "2028-01-01T00:00:00Z"}, "until"),
        ({"format": "csv", "group_by": "colour"}, "group_by"),
    ]:
        bad = c.get("/api/reports/kpi/export", params=params | change, headers=client.sofia)
        assert bad.status_code == 422 and field_of(bad)[-1] == field, (change, bad.text)
