"""Staffing over HTTP and the CLI, on SQLite and PostgreSQL: plans from the raw queue records, overrides,
accuracy, adherence, and bad input named."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from api.users import service as users
from centralita.db import session_scope
from queues.models import AgentPause, AgentSession, Queue, QueueCall
from reports.staffing import erlang
from reports.staffing import forecast as fc
from reports.staffing.cli import app as staffing_cli
from reports.staffing.models import StaffingOverride

PW = "correct-horse-1"
WEEK = date(2026, 11, 30)  # a Monday; history: the 4 weeks before it
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # Wednesday noon (UTC; the center's zone defaults to UTC)
UTC_ZONE = fc.ZoneInfo("UTC")


def _seed() -> dict:
    """4 weeks of calls (generated pattern) in queue atencion: every 10th abandons after 40 s, the rest are
    answered after 10 s with 170 s of talk; wrap-up 5 s → AHT 175 s, patience = Σ wait / abandons."""
    hist = fc.generated_history(WEEK - timedelta(days=28), 28 + 3, 7, UTC_ZONE, calls_per_day=120, weekly_growth=0)
    n = waited = abandons = 0
    with session_scope() as s:
        s.add(Queue(name="atencion", wrapup_seconds=5))
        for at, count in sorted(hist.items()):
            for k in range(int(count)):
                abandon = n % 10 == 9
                wait = 40.0 if abandon else 10.0
                s.add(
                    QueueCall(
                        callid=f"c{n}",
                        queue="atencion",
                        entered_at=at + timedelta(seconds=k * 7 % 900),
                        outcome="abandoned" if abandon else "answered",
                        wait_seconds=wait,
                        talk_seconds=None if abandon else 170.0,
                    )
                )
                if at < fc.slot_start(WEEK, 0, UTC_ZONE):
                    waited += wait
                    abandons += abandon
                n += 1
    return {"patience": waited / abandons, "hist": hist}


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    app = create_app(with_runtime=False)
    app.state.clock = lambda: NOW
    with TestClient(app) as c:
        yield c


def login(client, username: str, role: str) -> dict:
    with session_scope() as s:
        users.create_user(s, username, PW, role=role)
    r = client.post("/api/auth/token", json={"username": username, "password": PW})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _loc(r) -> list:
    return r.json()["detail"][0]["loc"]


def test_plan_from_the_raw_records(client):
    seeded = _seed()
    sup = login(client, "sara", "supervisor")
    q = {"queue": "atencion", "week_start": WEEK.isoformat(), "history_weeks": 4, "shrinkage": 0.3}
    r = client.get("/api/reports/staffing/plan", headers=sup, params=q)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["aht_s"] == 175.0
    assert plan["patience_s"] == pytest.approx(seeded["patience"], abs=0.01)
    assert len(plan["days"]) == 7 and all(len(d["intervals"]) == 96 for d in plan["days"])
    busy = [i for d in plan["days"] for i in d["intervals"] if i["calls"] > 0]
    assert busy and all(0 < i["agents_a"] <= i["agents_c"] for i in busy)
    for i in busy:  # the plan is the Erlang figures for its forecast, with shrinkage
        c = erlang.required(i["calls"], 900, 175.0, 0.8, 20, 0.3)
        assert i["agents_c"] == c.agents
        assert i["scheduled"] == erlang.with_shrinkage(i["agents_a"], 0.3)
    night = plan["days"][0]["intervals"][8]  # 02:00: nobody calls
    assert night["calls"] == 0 and night["agents"] == 0

    agent = login(client, "ana", "agent")
    assert client.get("/api/reports/staffing/plan", headers=agent, params=q).status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"queue": "nadie"}, "queue", 404),
        ({"target_sl": 1.5}, "target_sl", 422),
        ({"target_sl": 0}, "target_sl", 422),
        ({"shrinkage": 1}, "shrinkage", 422),
        ({"aht_s": -3}, "aht_s", 422),
        ({"week_start": "2026-13-01"}, "week_start", 422),
        ({"method": "magic"}, "method", 422),
    ],
)
def test_bad_plan_input_names_the_field(client, change, field, status):
    with session_scope() as s:
        s.add(Queue(name="atencion"))
    sup = login(client, "sara", "supervisor")
    q = {"queue": "atencion", "week_start": WEEK.isoformat(), "aht_s": 180, **change}
    r = client.get("/api/reports/staffing/plan", headers=sup, params=q)
    assert r.status_code == status, r.text
    assert _loc(r)[-1] == field


def test_bad_periods_name_the_field(client):
    with session_scope() as s:
        s.add(Queue(name="atencion"))
    sup = login(client, "sara", "supervisor")
    base = {"queue": "atencion"}
    r = client.get(
        "/api/reports/staffing/forecast", headers=sup, params={**base, "since": "2026-12-10", "until": "2026-12-01"}
    )
    assert r.status_code == 422 and _loc(r)[-1] == "until"
    r = client.get(
        "/api/reports/staffing/forecast", headers=sup, params={**base, "since": "2026-01-01", "until": "2026-12-01"}
    )
    assert r.status_code == 422 and _loc(r)[-1] == "until" and "31 days" in r.json()["detail"][0]["msg"]
    r = client.get(
        "/api/reports/staffing/accuracy", headers=sup, params={**base, "since": "2026-12-20", "until": "2026-12-21"}
    )
    assert r.status_code == 422 and _loc(r)[-1] == "since"
    r = client.get("/api/reports/staffing/adherence", headers=sup, params={**base, "day": "2026-12-25"})
    assert r.status_code == 422 and _loc(r)[-1] == "day"
    # No history and no AHT given: said, not guessed.
    r = client.get("/api/reports/staffing/plan", headers=sup, params={**base, "week_start": WEEK.isoformat()})
    assert r.status_code == 422 and _loc(r)[-1] == "aht_s"


def test_csv_overrides_change_the_forecast_and_a_bad_file_stores_nothing(client):
    _seed()
    sup = login(client, "sara", "supervisor")
    fq = {"queue": "atencion", "since": "2026-12-01", "until": "2026-12-02", "history_weeks": 4}
    before = client.get("/api/reports/staffing/forecast", headers=sup, params=fq).json()
    assert before["days"][0]["total"] > 0
    good = (
        "date,queue,start,end,factor,calls,label\n"
        "2026-12-01,atencion,,,0,,Feriado\n"  # closed all day
        "2026-12-02,,10:00,11:00,,12,Evento\n"  # every queue: 12 calls per interval 10:00-11:00
    )
    r = client.post(
        "/api/reports/staffing/overrides", headers=sup, files={"file": ("f.csv", good.encode(), "text/csv")}
    )
    assert r.status_code == 201, r.text
    assert [o["label"] for o in r.json()] == ["Feriado", "Evento"]
    after = client.get("/api/reports/staffing/forecast", headers=sup, params=fq).json()
    assert after["days"][0]["total"] == 0
    wed = after["days"][1]["intervals"]
    assert [i["calls"] for i in wed[40:44]] == [12, 12, 12, 12]
    assert wed[39]["calls"] == before["days"][1]["intervals"][39]["calls"]

    bad = (
        "date,queue,start,end,factor,calls,label\n"
        "2026-12-08,atencion,,,1.5,,ok\n"
        "2026-12-09,atencion,10:07,11:00,1.2,,\n"  # not a 15-minute boundary
        "2026-12-10,nadie,,,1.2,,\n"  # unknown queue
        "2026-12-11,atencion,,,1.2,30,\n"  # both factor and calls
        "31/12/2026,atencion,,,1.2,,\n"  # not ISO
    )
    r = client.post("/api/reports/staffing/overrides", headers=sup, files={"file": ("b.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422
    locs = [d["loc"] for d in r.json()["detail"]]
    assert ["body", "file", "row 3", "start"] in locs
    assert ["body", "file", "row 4", "queue"] in locs
    assert ["body", "file", "row 5", "factor"] in locs
    assert ["body", "file", "row 6", "date"] in locs
    with session_scope() as s:
        assert len(s.exec(select(StaffingOverride)).all()) == 2  # the good row of the bad file was not kept
    r = client.post("/api/reports/staffing/overrides", headers=sup, files={"file": ("h.csv", b"day,x\n1,2\n")})
    assert r.status_code == 422 and _loc(r)[-1] == "file"


def test_saved_plan_accuracy_and_adherence(client):
    _seed()
    sup = login(client, "sara", "supervisor")
    body = {"queue": "atencion", "week_start": WEEK.isoformat(), "history_weeks": 4, "aht_s": 175, "patience_s": 60}
    r = client.post("/api/reports/staffing/plans", headers=sup, json=body)
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    assert client.post("/api/reports/staffing/plans", headers=sup, json=body).json()["id"] == plan_id  # replaced
    assert [p["id"] for p in client.get("/api/reports/staffing/plans", headers=sup).json()] == [plan_id]
    r = client.post("/api/reports/staffing/plans", headers=sup, json={**body, "shrinkage": 1.2})
    assert r.status_code == 422 and _loc(r)[-1] == "shrinkage"

    r = client.get(
        "/api/reports/staffing/accuracy",
        headers=sup,
        params={"queue": "atencion", "since": "2026-11-30", "until": "2026-12-06", "history_weeks": 4},
    )
    assert r.status_code == 200, r.text
    acc = r.json()
    # Only elapsed intervals (NOW is Wednesday noon): Monday, Tuesday, half of Wednesday, then nothing.
    assert [len(d["intervals"]) for d in acc["days"]] == [96, 96, 48, 0, 0, 0, 0]
    for key in ("holt_winters", "seasonal_average"):
        assert 0 < acc["wape"][key] < 1
    monday = acc["days"][0]
    assert monday["actual"] == sum(i["actual"] for i in monday["intervals"]) > 0
    assert monday["wape_seasonal_average"] == pytest.approx(
        fc.wape([i["actual"] for i in monday["intervals"]], [i["seasonal_average"] for i in monday["intervals"]]),
        abs=1e-3,
    )

    # Ana: logged in 09:00-11:00 on Tuesday, paused 09:15-09:30 (all queues), and 10:50 onwards.
    tue = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope() as s:
        s.add(
            AgentSession(
                agent="ana", queue="atencion", login_at=tue + timedelta(hours=9), logout_at=tue + timedelta(hours=11)
            )
        )
        s.add(AgentSession(agent="leo", queue="atencion", login_at=tue + timedelta(hours=9, minutes=7, seconds=30)))
        s.add(
            AgentPause(
                agent="ana",
                queue="",
                reason="break",
                start=tue + timedelta(hours=9, minutes=15),
                end=tue + timedelta(hours=9, minutes=30),
            )
        )
        s.add(
            AgentPause(
                agent="leo", queue="otra", reason="x", start=tue + timedelta(hours=9), end=tue + timedelta(hours=12)
            )
        )
    r = client.get("/api/reports/staffing/adherence", headers=sup, params={"queue": "atencion", "day": "2026-12-01"})
    assert r.status_code == 200, r.text
    adh = r.json()
    assert adh["plan_id"] == plan_id
    rows = {i["slot"]: i for i in adh["intervals"]}
    assert (rows[36]["logged_in"], rows[36]["ready"]) == (1.5, 1.5)  # ana all of it, leo half (another queue's pause)
    assert (rows[37]["logged_in"], rows[37]["ready"]) == (2.0, 1.0)  # ana paused
    assert (rows[44]["logged_in"], rows[44]["ready"]) == (1.0, 1.0)  # 11:00: ana gone, leo still in (open session)
    assert rows[36]["planned"] is not None and adh["intervals_planned"] > 0
    r = client.get("/api/reports/staffing/adherence", headers=sup, params={"queue": "atencion", "day": "2026-12-02"})
    assert r.json()["intervals"][50]["logged_in"] is None  # 12:30 Wednesday is after NOW


def test_cli_calculator_backtest_and_messages(stack_env):
    runner = CliRunner()
    r = runner.invoke(staffing_cli, ["erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["erlang_c"]["agents"], out["erlang_c"]["scheduled"]) == (14, 20)
    r = runner.invoke(staffing_cli, ["erlang", "--calls", "100", "--shrinkage", "1"])
    assert r.exit_code == 2 and "shrinkage" in r.output
    r = runner.invoke(staffing_cli, ["erlang", "--calls", "100", "--target-sl", "80"])
    assert r.exit_code == 2 and "target_sl" in r.output
    r = runner.invoke(staffing_cli, ["backtest", "--json"])
    assert r.exit_code == 0, r.output
    bt = json.loads(r.output)
    assert bt["holt_winters_wape"] < bt["seasonal_average_wape"]
    r = runner.invoke(staffing_cli, ["plan", "--queue", "nadie", "--week-start", "2026-11-30"])
    assert r.exit_code == 1 and "queue" in r.output
    r = runner.invoke(staffing_cli, ["forecast", "--queue", "x", "--since", "2026-12-09", "--until", "2026-12-01"])
    assert r.exit_code != 0 and ("until" in r.output or "queue" in r.output)


def test_cli_nests_under_reports():
    from centralita.cli import _register, app

    _register()
    r = CliRunner().invoke(app, ["reports", "staffing", "erlang", "--calls", "100", "--interval-s", "1800"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["erlang_c"]["agents"] == 14


def test_erlang_calculator_over_http(client):
    sup = login(client, "sara", "supervisor")
    r = client.get(
        "/api/reports/staffing/erlang", headers=sup, params={"calls": 100, "interval_s": 1800, "patience_s": 120}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["erlang_c"]["agents"], body["erlang_c"]["scheduled"]) == (14, 20)
    assert body["erlang_a"]["agents"] < 14
    for params, field in (
        ({"calls": -1}, "calls"),
        ({"calls": 10, "aht_s": -5}, "aht_s"),
        ({"calls": 10, "shrinkage": 1}, "shrinkage"),
        ({"calls": 1_000_000, "interval_s": 60, "aht_s": 7200}, "calls"),  # 120 million erlangs: refused
    ):
        r = client.get("/api/reports/staffing/erlang", headers=sup, params=params)
        assert r.status_code == 422 and _loc(r)[-1] == field, (params, r.text)
