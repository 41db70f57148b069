"""GET /api/audit and audit.record, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.audit.models import AuditLog
from api.audit.service import record
from api.users import service
from centralita.db import session_scope
from centralita.timeutil import utcnow

PW = "correct-horse-1"


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def admin_headers(client: TestClient) -> dict:
    with session_scope() as s:
        service.create_user(s, "jefa", PW, role="admin")
    r = client.post("/api/auth/token", json={"username": "jefa", "password": PW})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_record_is_atomic_with_the_callers_transaction(stack_env):
    with pytest.raises(RuntimeError):
        with session_scope() as s:
            record(s, "demo.changed", target="thing:1", detail={"k": "v"})
            raise RuntimeError("the audited change failed")
    with session_scope() as s:
        assert s.exec(select(AuditLog)).all() == []
        record(s, "demo.changed", target="thing:1", detail={"k": "v"}, client="cli")
    with session_scope() as s:
        row = s.exec(select(AuditLog)).one()
        assert (row.action, row.target, row.detail, row.client, row.user_id) == (
            "demo.changed",
            "thing:1",
            {"k": "v"},
            "cli",
            None,
        )


def test_filters_and_paging(client):
    h = admin_headers(client)
    client.post("/api/auth/token", json={"username": "jefa", "password": "wrong-password"})
    for i in range(5):
        assert client.post("/api/users", headers=h, json={"username": f"u{i}", "password": PW}).status_code == 201

    page = client.get("/api/audit", headers=h, params={"limit": 2}).json()
    assert page["total"] == 8 and page["limit"] == 2 and len(page["items"]) == 2  # created, login, failed, 5 users
    assert page["items"][0]["action"] == "user.created" and page["items"][0]["target"] == "user:u4"  # newest first
    rest = client.get("/api/audit", headers=h, params={"limit": 50, "offset": 2}).json()
    assert len(rest["items"]) == 6
    assert {i["id"] for i in page["items"]}.isdisjoint(i["id"] for i in rest["items"])

    failed = client.get("/api/audit", headers=h, params={"action": "auth.login_failed"}).json()
    assert failed["total"] == 1 and failed["items"][0]["target"] == "user:jefa"
    assert failed["items"][0]["detail"]["reason"] == "bad password"
    by_jefa = client.get("/api/audit", headers=h, params={"user": "jefa"}).json()
    assert by_jefa["total"] == 6  # her login and the five creations
    on_u3 = client.get("/api/audit", headers=h, params={"target": "user:u3"}).json()
    assert on_u3["total"] == 1 and on_u3["items"][0]["action"] == "user.created"
    both = client.get("/api/audit", headers=h, params={"target": "user:jefa", "action": "auth.login"}).json()
    assert both["total"] == 1  # filters combine; the failed login on the same target is left out

    now = utcnow()
    later = client.get("/api/audit", headers=h, params={"since": (now + timedelta(minutes=1)).isoformat()}).json()
    assert later["total"] == 0
    window = client.get(
        "/api/audit",
        headers=h,
        params={
            "since": (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat(),  # naive = UTC
            "until": (now + timedelta(minutes=1)).isoformat(),
        },
    ).json()
    assert window["total"] == 8


def test_bad_paging_is_422(client):
    h = admin_headers(client)
    r = client.get("/api/audit", headers=h, params={"limit": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "limit"
    r = client.get("/api/audit", headers=h, params={"since": "yesterday"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "since"
