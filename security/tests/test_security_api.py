"""security/ over HTTP without Asterisk: admins only, bad input named, bans listed as stored."""

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from api.users import service
    from centralita.db import session_scope

    with session_scope() as session:
        service.create_user(session, "boss", "boss-password-1", role="admin")
        service.create_user(session, "ana", "agent-password-1", role="agent")
    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def auth(client, user, password):
    token = client.post("/api/auth/token", json={"username": user, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_bans_and_events_for_admins_only(client):
    from centralita.db import session_scope
    from centralita.timeutil import utcnow
    from security import service

    with session_scope() as session:
        service.ban(session, "203.0.113.9", utcnow(), 600, reason="5 failed SIP authentications", failures=5)
        service.record_event(session, "ChallengeResponseFailed", "203.0.113.9", utcnow(), account="agent1")
    boss, ana = auth(client, "boss", "boss-password-1"), auth(client, "ana", "agent-password-1")
    assert client.get("/api/security/bans").status_code == 401
    assert client.get("/api/security/bans", headers=ana).status_code == 403
    assert client.delete("/api/security/bans/203.0.113.9", headers=ana).status_code == 403
    listed = client.get("/api/security/bans", headers=boss).json()
    assert [(b["ip"], b["failures"]) for b in listed] == [("203.0.113.9", 5)]
    logged = client.get("/api/security/events", headers=boss, params={"kind": "ChallengeResponseFailed"}).json()
    assert [(e["ip"], e["account"]) for e in logged] == [("203.0.113.9", "agent1")]
    bad = client.delete("/api/security/bans/not-an-ip", headers=boss)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "ip"
    missing = client.delete("/api/security/bans/198.51.100.1", headers=boss)
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"][-1] == "ip"
    assert client.get("/api/security/events", headers=boss, params={"limit": 0}).status_code == 422
