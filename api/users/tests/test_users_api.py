"""The users and auth API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.audit.models import AuditLog
from api.users import service
from api.users.models import ApiToken, User
from centralita.db import session_scope
from centralita.timeutil import utcnow

PW = "correct-horse-1"


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def make_user(username: str, role: str = "agent", password: str = PW) -> int:
    with session_scope() as s:
        return service.create_user(s, username, password, role=role).id


def login(client: TestClient, username: str, password: str = PW) -> dict:
    r = client.post("/api/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_token_via_json_and_oauth2_form(client):
    make_user("ana", "supervisor")
    r = client.post("/api/auth/token", json={"username": "ana", "password": PW})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "bearer" and body["role"] == "supervisor"
    assert body["expires_at"] and len(body["access_token"]) >= 40
    r = client.post("/api/auth/token", data={"username": "ana", "password": PW, "grant_type": "password"})
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    me = client.get("/api/users/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "ana" and "password_hash" not in me.json()
    listed = client.get("/api/users", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert listed.status_code == 200 and [u["username"] for u in listed.json()] == ["ana"]  # a supervisor reads


def test_bad_credentials_get_one_message(client):
    make_user("ana")
    wrong = client.post("/api/auth/token", json={"username": "ana", "password": "wrong-password"})
    unknown = client.post("/api/auth/token", json={"username": "nadie", "password": PW})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid username or password"}
    missing = client.post("/api/auth/token", json={"username": "ana"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "password"


def test_unauthenticated_and_bad_tokens_get_401(client):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        r = client.get("/api/users/me", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_agent_is_forbidden_on_admin_routes(client):
    make_user("agente1", "agent")
    h = login(client, "agente1")
    r = client.get("/api/users", headers=h)  # supervisors read the list; an agent does not
    assert r.status_code == 403 and "supervisor" in r.json()["detail"]
    for method, path, body in [
        ("post", "/api/users", {"username": "x", "password": PW}),
        ("patch", "/api/users/1", {"role": "admin"}),
        ("get", "/api/audit", None),
    ]:
        r = client.request(method, path, headers=h, json=body)
        assert r.status_code == 403, (path, r.text)
        assert "admin" in r.json()["detail"] and "agent" in r.json()["detail"]


def test_admin_creates_lists_and_updates_users(client):
    make_user("jefa", "admin")
    h = login(client, "jefa")
    r = client.post(
        "/api/users",
        headers=h,
        json={"username": "Carlos", "password": PW, "role": "supervisor", "full_name": "Carlos Ruiz"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == "carlos" and created["role"] == "supervisor" and "password" not in str(created)
    assert [u["username"] for u in client.get("/api/users", headers=h).json()] == ["carlos", "jefa"]
    r = client.patch(f"/api/users/{created['id']}", headers=h, json={"role": "agent", "active": False})
    assert r.status_code == 200 and r.json()["role"] == "agent" and r.json()["active"] is False
    # deactivated: can no longer log in
    assert client.post("/api/auth/token", json={"username": "carlos", "password": PW}).status_code == 401
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.username == "jefa")).all()]
    assert actions == ["auth.login", "user.created", "user.updated"]


def test_duplicate_username_is_409_and_nothing_written(client):
    make_user("jefa", "admin")
    h = login(client, "jefa")
    assert client.post("/api/users", headers=h, json={"username": "dup", "password": PW}).status_code == 201
    with session_scope() as s:
        before = (len(s.exec(select(User)).all()), len(s.exec(select(AuditLog)).all()))
    r = client.post("/api/users", headers=h, json={"username": "DUP", "password": PW + "2", "role": "admin"})
    assert r.status_code == 409
    assert r.json()["detail"][0]["loc"] == ["body", "username"] and "already exists" in r.json()["detail"][0]["msg"]
    with session_scope() as s:
        assert (len(s.exec(select(User)).all()), len(s.exec(select(AuditLog)).all())) == before
        assert s.exec(select(User).where(User.username == "dup")).one().role == "agent"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "eva", "password": PW, "role": "root"}, "role"),
        ({"username": "eva", "password": "short"}, "password"),
        ({"username": "e va", "password": PW}, "username"),
        ({"username": "eva", "password": PW, "rol": "admin"}, "rol"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    make_user("jefa", "admin")
    h = login(client, "jefa")
    r = client.post("/api/users", headers=h, json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field, r.text
    with session_scope() as s:
        assert s.exec(select(User).where(User.username == "eva")).first() is None


def test_patch_errors(client):
    jefa = make_user("jefa", "admin")
    h = login(client, "jefa")
    assert client.patch("/api/users/9999", headers=h, json={"role": "agent"}).status_code == 404
    r = client.patch(f"/api/users/{jefa}", headers=h, json={"role": "agent"})
    assert r.status_code == 409 and "last active admin" in r.json()["detail"][0]["msg"]
    r = client.patch(f"/api/users/{jefa}", headers=h, json={"role": None})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "role"


def test_token_expiry_and_revocation(client):
    make_user("ana")
    h = login(client, "ana")
    assert client.get("/api/users/me", headers=h).status_code == 200
    assert client.post("/api/auth/logout", headers=h).status_code == 204
    r = client.get("/api/users/me", headers=h)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    h2 = login(client, "ana")
    with session_scope() as s:
        token = s.exec(select(ApiToken).where(ApiToken.revoked == False)).one()  # noqa: E712
        token.expires_at = utcnow() - timedelta(minutes=1)
        s.add(token)
    assert client.get("/api/users/me", headers=h2).status_code == 401
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions == ["user.created", "auth.login", "auth.token_revoked", "auth.login"]
