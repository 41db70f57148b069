"""The booking API and CLI: roles, the documented shapes, errors naming the field, audit rows."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from booking.tests.conftest import NOW, WEEK

BODY = {"name": "placas", "timezone": "America/Panama", "slot_minutes": 60, "capacity": 2, "opening": WEEK}
BODY |= {"days_ahead": 30, "min_notice_minutes": 60}
START = "2026-12-02T09:00:00-05:00"


@pytest.fixture
def client(stack_env, monkeypatch):
    from sqlmodel import Session

    from api.app import create_app
    from api.users import service as users
    from centralita import db

    monkeypatch.setattr("booking.routes.utcnow", lambda: NOW)
    monkeypatch.setattr("booking.cli.utcnow", lambda: NOW)
    with Session(db.get_engine()) as session:
        users.create_user(session, "boss", "boss-password-1", role="admin")
        users.create_user(session, "ana", "agent-password-1", role="agent")
        session.commit()
    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def auth(client, user, password):
    token = client.post("/api/auth/token", json={"username": user, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _err(r) -> dict:
    return r.json()["detail"][0]


def test_services_bookings_and_errors_over_http(client):
    boss, ana = auth(client, "boss", "boss-password-1"), auth(client, "ana", "agent-password-1")
    assert client.post("/api/booking/services", json=BODY, headers=ana).status_code == 403
    assert client.post("/api/booking/services", json=BODY).status_code == 401
    r = client.post("/api/booking/services", json=BODY, headers=boss)
    assert r.status_code == 201, r.text
    assert client.post("/api/booking/services", json=BODY, headers=boss).status_code == 409
    bad = client.post(
        "/api/booking/services", json=BODY | {"name": "x", "opening": {"lun": ["08:00-09:00"]}}, headers=boss
    )
    assert bad.status_code == 422 and _err(bad)["loc"][-1] == "opening"
    bad = client.post("/api/booking/services", json=BODY | {"name": "x", "timezone": "Mars/Base"}, headers=boss)
    assert bad.status_code == 422 and _err(bad)["loc"][-1] == "timezone"

    slots = client.get("/api/booking/services/placas/slots", params={"date": "2026-12-02"}, headers=ana).json()
    assert len(slots) == 8 and slots[1] == {"start": "2026-12-02T14:00:00Z", "capacity": 2, "booked": 0}
    assert client.get("/api/booking/services/none/slots", params={"date": "2026-12-02"}, headers=ana).status_code == 404

    made = []
    for ident in ("101", "102"):
        r = client.post(
            "/api/booking/bookings", json={"service": "placas", "identity": ident, "start": START}, headers=ana
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert set(made[0]) == {"id", "code", "start"} and made[0]["start"] == "2026-12-02T14:00:00Z"
    r = client.post("/api/booking/bookings", json={"service": "placas", "identity": "103", "start": START}, headers=ana)
    assert r.status_code == 409 and _err(r)["reason"] == "full" and _err(r)["next_free"].startswith("2026-12-02T15:00")
    r = client.post(
        "/api/booking/bookings", json={"service": "placas", "identity": "101", "start": "2026-12-03T09:00"}, headers=ana
    )
    assert r.status_code == 409 and _err(r)["reason"] == "identity_has_booking"
    for body, field, status in (
        ({"service": "nada", "identity": "1", "start": START}, "service", 404),
        ({"service": "placas", "identity": "1-2", "start": START}, "identity", 422),
        ({"service": "placas", "identity": "1", "start": "2026-11-30T09:00"}, "start", 422),
        ({"service": "placas", "identity": "1", "start": "2026-12-05T09:00"}, "start", 422),
        ({"service": "placas", "identity": "1", "start": "2026-12-02T09:15"}, "start", 422),
        ({"service": "placas", "identity": "1", "start": "2027-02-01T09:00"}, "start", 422),
        ({"service": "placas", "identity": "1", "start": "mañana"}, "start", 422),
    ):
        r = client.post("/api/booking/bookings", json=body, headers=ana)
        assert (r.status_code, _err(r)["loc"][-1]) == (status, field), (body, r.text)

    code = made[0]["code"]
    found = client.get("/api/booking/bookings", params={"service": "placas", "code": code}, headers=ana).json()
    assert [b["identity"] for b in found] == ["101"]
    by_id = client.get("/api/booking/bookings", params={"service": "placas", "identity": "102"}, headers=ana).json()
    assert by_id[0]["code"] == made[1]["code"]
    r = client.post(
        f"/api/booking/bookings/{code}/move",
        params={"service": "placas"},
        json={"start": "2026-12-03T10:00"},
        headers=ana,
    )
    assert r.status_code == 201 and r.json()["start"] == "2026-12-03T15:00:00Z"
    new = r.json()["code"]
    r = client.post(
        f"/api/booking/bookings/{made[1]['code']}/status",
        params={"service": "placas"},
        json={"status": "attended"},
        headers=ana,
    )
    assert r.status_code == 200 and r.json()["status"] == "attended"
    r = client.delete(f"/api/booking/bookings/{new}", params={"service": "placas"}, headers=ana)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (
        client.delete(
            f"/api/booking/bookings/{new}", params={"service": "placas", "date": "2026-12-03"}, headers=ana
        ).status_code
        == 409
    )
    assert client.delete("/api/booking/bookings/999999", params={"service": "placas"}, headers=ana).status_code == 404

    r = client.post("/api/booking/holds", json={"service": "placas", "start": START}, headers=ana)
    assert r.status_code == 201 and r.json()["expires_at"] == "2026-12-01T12:01:30Z"
    r = client.put("/api/booking/services/placas/exceptions/2026-12-04", json={"closed": True}, headers=boss)
    assert r.status_code == 200
    assert client.get("/api/booking/services/placas/slots", params={"date": "2026-12-04"}, headers=ana).json() == []
    r = client.post(
        "/api/booking/waitlist", json={"service": "placas", "date": "2026-12-02", "identity": "777"}, headers=ana
    )
    assert r.status_code == 201 and r.json()["position"] == 1
    listed = client.get("/api/booking/waitlist", params={"service": "placas", "date": "2026-12-02"}, headers=ana).json()
    assert [w["identity"] for w in listed] == ["777"]

    from sqlmodel import Session

    from api.audit.models import AuditLog
    from centralita import db

    with Session(db.get_engine()) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.action.startswith("booking."))).all()]
    assert actions.count("booking.book") == 3 and "booking.cancel" in actions and "booking.service.create" in actions


def test_cli_books_and_names_the_field(client):
    from booking.cli import app

    run = CliRunner().invoke
    out = run(
        app,
        [
            "services",
            "create",
            "placas",
            "--capacity",
            "1",
            "--open",
            "mon,tue,wed,thu,fri=08:00-12:00",
            "--min-notice-minutes",
            "0",
        ],
    )
    assert out.exit_code == 0, out.output
    bad = run(app, ["services", "create", "otra", "--capacity", "1", "--open", "mon=8-12"])
    assert bad.exit_code == 2 and "opening" in bad.output
    assert json.loads(run(app, ["services", "list"]).output)["name"] == "placas"
    slots = json.loads(run(app, ["slots", "placas", "2026-12-02"]).output)
    assert len(slots) == 4 and slots[0]["booked"] == 0
    booked = run(app, ["book", "placas", "55", "2026-12-02T08:00"])
    assert booked.exit_code == 0, booked.output
    code = json.loads(booked.output)["code"]
    full = run(app, ["book", "placas", "56", "2026-12-02T08:00"])
    assert full.exit_code == 1 and "start: the slot is full" in full.output and "[full]" in full.output
    for args, words in (
        (["book", "placas", "5x", "2026-12-02T09:00"], "identity: digits only"),
        (["book", "placas", "57", "ayer"], "start:"),
        (["book", "nada", "57", "2026-12-02T09:00"], "service:"),
        (["slots", "placas", "02/12/2026"], "date:"),
    ):
        result = run(app, args)
        assert result.exit_code in (1, 2) and words in result.output, (args, result.output)
    assert json.loads(run(app, ["find", "placas", "--code", code]).output)["identity"] == "55"
    moved = run(app, ["move", "placas", code, "2026-12-02T10:00"])
    assert moved.exit_code == 0, moved.output
    new = json.loads(moved.output)["code"]
    assert json.loads(run(app, ["cancel", "placas", new]).output)["status"] == "cancelled"
    assert "code:" in run(app, ["cancel", "placas", "111111"]).output
