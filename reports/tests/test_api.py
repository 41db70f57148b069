"""The KPI query over HTTP and the CLI: roles, the same rows both ways, bad input answered with a 4xx
that names the parameter, drill-down, abandoned callers and their callback, per-queue settings."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reports.tests import golden
from reports.tests.conftest import feed

SINCE, UNTIL = "2026-11-30T09:00:00Z", "2026-11-30T09:30:00Z"


@pytest.fixture
def client(engine_env):
    from api.app import create_app
    from api.users import service

    session, paths = engine_env
    feed(session, paths, golden.QUEUE_LOG, golden.CDRS)
    service.create_user(session, "boss", "boss-password-1", role="admin")
    service.create_user(session, "sup", "super-password-1", role="supervisor")
    service.create_user(session, "ana", "agent-password-1", role="agent")
    session.commit()
    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def auth(client, user, password):
    token = client.post("/api/auth/token", json={"username": user, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _loc(response) -> str:
    return response.json()["detail"][0]["loc"][-1]


def test_kpi_over_http_and_cli_agree(client):
    sup = auth(client, "sup", "super-password-1")
    params = {"queue": ["ventas", "soporte"], "since": SINCE, "until": UNTIL, "group_by": "queue"}
    assert (
        client.get("/api/reports/kpi", params=params, headers=auth(client, "ana", "agent-password-1")).status_code
        == 403
    )
    r = client.get("/api/reports/kpi", params=params, headers=sup)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["definitions"] == "reports/KPIS.md"
    rows = {row["queue"]: row for row in body["rows"]}
    assert rows["ventas"]["offered"] == 11 and rows["soporte"]["aht_s"] == 52.5
    from reports.cli import app

    out = CliRunner().invoke(
        app,
        ["kpi", "--queue", "ventas", "--queue", "soporte", "--since", SINCE, "--until", UNTIL, "--json"],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["rows"] == body["rows"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"queue": "nope"}, "queue"),
        ({"since": UNTIL, "until": SINCE}, "until"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "until"),  # 424 days
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "queue,none"}, "group_by"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_input_names_the_parameter(client, params, field):
    sup = auth(client, "sup", "super-password-1")
    query = {"since": SINCE, "until": UNTIL, **params}
    r = client.get("/api/reports/kpi", params=query, headers=sup)
    assert r.status_code == 422 and _loc(r) == field, r.text
    r = client.get("/api/reports/calls", params=query, headers=sup)
    assert r.status_code == 422 and _loc(r) == field, r.text
    from reports.cli import app

    args = ["kpi", "--since", query["since"], "--until", query["until"]]
    if "queue" in params:
        args += ["--queue", params["queue"]]
    if "group_by" in params:
        args += ["--group-by", params["group_by"]]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 2 and f"error: {field}:" in out.output


def test_drill_down_abandoned_and_callback(client):
    sup = auth(client, "sup", "super-password-1")
    r = client.get(
        "/api/reports/calls", params={"queue": "ventas", "since": SINCE, "until": UNTIL, "limit": 3}, headers=sup
    )
    assert r.status_code == 200 and [x["callid"] for x in r.json()["rows"]] == ["c1", "c2", "c3"]
    r = client.get("/api/reports/calls", params={"since": SINCE, "until": UNTIL, "limit": 0}, headers=sup)
    assert r.status_code == 422 and _loc(r) == "limit"
    # The golden day is not "today" for the wall clock: the list is empty, the callback still works.
    r = client.post("/api/reports/abandoned/c4/callback", headers=sup)
    assert r.status_code == 201 and r.json()["number"] == "5551004"
    assert client.post("/api/reports/abandoned/c4/callback", headers=sup).status_code == 409
    r = client.post("/api/reports/abandoned/c1/callback", headers=sup)  # c1 was answered
    assert r.status_code == 404 and _loc(r) == "callid"
    audit = client.get("/api/audit", headers=auth(client, "boss", "boss-password-1")).json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert "reports.callback" in {row["action"] for row in rows}


def test_queue_settings_and_live(client):
    sup, boss = auth(client, "sup", "super-password-1"), auth(client, "boss", "boss-password-1")
    r = client.get("/api/reports/queues/ventas/settings", headers=sup)
    assert r.json() == {"queue": "ventas", "sl_threshold_s": 20, "short_abandon_s": 5, "colours": {}}
    body = {"sl_threshold_s": 15, "short_abandon_s": 3, "colours": {"sl_answered": {"warn": 0.8, "alarm": 0.6}}}
    assert client.put("/api/reports/queues/ventas/settings", json=body, headers=sup).status_code == 403
    r = client.put("/api/reports/queues/ventas/settings", json=body, headers=boss)
    assert r.status_code == 200 and r.json()["sl_threshold_s"] == 15
    bad = {**body, "colours": {"happiness": {"warn": 1}}}
    r = client.put("/api/reports/queues/ventas/settings", json=bad, headers=boss)
    assert r.status_code == 422 and "colours" in r.json()["detail"][0]["loc"]
    assert client.put("/api/reports/queues/nope/settings", json=body, headers=boss).status_code == 404
    r = client.get("/api/reports/live", params={"queue": "ventas"}, headers=sup)
    assert r.status_code == 200
    live = r.json()
    assert set(live) >= {"day_start", "tz", "queues"}
    assert live["queues"]["ventas"]["thresholds"]["sl_threshold_s"] == 15
    assert "offered" in live["queues"]["ventas"]["today"] and "sl_inclusive" in live["queues"]["ventas"]["last_60m"]
    r = client.get("/api/reports/live", params={"queue": "nope"}, headers=sup)
    assert r.status_code == 422 and _loc(r) == "queue"
