"""queues/ over HTTP without Asterisk: roles, field-named errors, credentials shown once, and the
websocket's token check. (Live behaviour is in tests/integration/test_queues_*.py.)"""

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from queues.callbacks import position_for
from queues.events import wanted


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


def test_queue_and_agent_admin(client):
    boss = auth(client, "boss", "boss-password-1")
    ana = auth(client, "ana", "agent-password-1")
    assert client.post("/api/queues", json={"name": "atencion"}, headers=ana).status_code == 403
    r = client.post("/api/queues", json={"name": "atencion", "strategy": "fastest"}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "strategy"]
    r = client.post("/api/queues", json={"name": "atencion", "callback_key": "5", "wrapup_seconds": 3}, headers=boss)
    assert r.status_code == 201 and r.json()["callback_key"] == "5"
    assert r.json()["reloaded"] is False  # no Asterisk here: stored, applied at its next start
    r = client.patch("/api/queues/atencion", json={"overflow": {"type": "queue", "queue": "atencion"}}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "overflow.queue"]
    assert client.patch("/api/queues/nope", json={"label": "x"}, headers=boss).status_code == 404
    r = client.post("/api/agents", json={"username": "marta", "extension": "1005"}, headers=boss)
    assert r.status_code == 201 and r.json()["sip_password"] and r.json()["web_password"]
    listed = client.get("/api/agents", headers=boss).json()
    assert listed == [{"username": "marta", "extension": "1005", "contact": "", "skills": {}}]  # no secrets
    assert client.put("/api/agents/marta/skills/atencion", json={"penalty": 2}, headers=boss).json()["skills"] == {
        "atencion": 2
    }
    r = client.put("/api/agents/marta/skills/nope", json={"penalty": 2}, headers=boss)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "queue"]
    assert client.post("/api/agents/marta/sip-password", headers=ana).status_code == 403
    reset = client.post("/api/agents/marta/sip-password", headers=boss)
    first = reset.json()["sip_password"]
    assert reset.status_code == 200 and first and reset.json()["reloaded"] is False
    assert client.post("/api/agents/marta/sip-password", headers=boss).json()["sip_password"] != first
    assert client.post("/api/agents/nope/sip-password", headers=boss).status_code == 404
    # Live actions need the AMI link of the API process.
    assert client.post("/api/agents/ana/login", headers=ana).status_code in (404, 503)
    assert client.post("/api/agents/marta/login", headers=ana).status_code == 403
    r = client.post("/api/agents/marta/pause", json={"reason": "siesta"}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    audit = client.get("/api/audit", headers=boss).json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert {"queue.create", "agent.create", "agent.skill"} <= {row["action"] for row in rows}


def test_login_names_a_phone_and_the_state_is_the_agents_own(client):
    boss = auth(client, "boss", "boss-password-1")
    ana = auth(client, "ana", "agent-password-1")
    assert client.post("/api/agents", json={"username": "marta", "extension": "1005"}, headers=boss).status_code == 201
    pinned = {"username": "mesa", "extension": "1006", "contact": "sip:mesa@192.0.2.10:5060"}
    assert client.post("/api/agents", json=pinned, headers=boss).status_code == 201
    web = {"device": "web"}
    # a desk phone pinned to an address has no browser phone: refused before Asterisk is asked
    r = client.post("/api/agents/mesa/login", json=web, headers=boss)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "device"]
    r = client.post("/api/agents/marta/login", json={"device": "phone"}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "device"
    assert client.post("/api/agents/marta/login", json=web, headers=boss).status_code == 503  # no AMI here
    assert client.post("/api/agents/marta/login", json=web, headers=ana).status_code == 403
    assert client.get("/api/agents/marta/state", headers=ana).status_code == 403
    assert client.get("/api/agents/marta/state", headers=boss).status_code == 503
    assert client.get("/api/agents/nadie/state", headers=boss).status_code == 404
    r = client.post("/api/agents", json={"username": "marta-web", "extension": "1007"}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]


def test_event_stream_refuses_a_bad_token(client):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/api/events?token=nope") as ws:
            ws.receive_text()
    assert info.value.code in (4401, 1000, 403)


def test_event_filters():
    state = {"type": "agent.state", "data": {"agent": "a1", "queues": ["q1"]}}
    joined = {"type": "queue.caller.joined", "data": {"queue": "q2"}}
    call = {"type": "call.started", "data": {"agent": "a2", "parties": [{"channel": "PJSIP/a2-01"}]}}
    assert wanted(state, "q1", None) and not wanted(state, "q2", None)
    assert wanted(joined, "q2", None) and not wanted(joined, "q1", None)
    assert wanted(call, None, "a2") and not wanted(call, None, "a1")
    # a call of the agent's browser phone is the agent's
    browser = {"type": "call.started", "data": {"agent": "", "parties": [{"channel": "PJSIP/a2-web-00000001"}]}}
    assert wanted(browser, None, "a2") and not wanted(browser, None, "a1")
    assert not wanted({"type": "calls.recorded", "data": {}}, None, None)


def test_callback_position_is_behind_earlier_callers_only():
    callers = [
        {"queue": "q", "joined_at": 100.0},
        {"queue": "q", "joined_at": 130.0},
        {"queue": "other", "joined_at": 50.0},
    ]
    assert position_for(callers, "q", 120.0) == 2
    assert position_for(callers, "q", 90.0) == 1
