"""The event stream opened with a web session (the wallboard page) against a real Redis: the first frame
names the scoping, and an agent's session is scoped to the agent as a token is."""

from __future__ import annotations

import json
import re

import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from api.users import service
from centralita.db import session_scope
from recorder.tests.redis_server import redis_server


@pytest.fixture
def client(stack_env, tmp_path):
    from types import SimpleNamespace

    from api.app import create_app

    with session_scope() as s:
        service.create_user(s, "marta", "correct-horse-1", role="supervisor")
        service.create_user(s, "ana", "correct-horse-2", role="agent")
    with redis_server(tmp_path / "redis") as url:
        app = create_app(with_runtime=False)
        with TestClient(app, follow_redirects=False) as c:
            app.state.runtime = SimpleNamespace(redis=aioredis.from_url(url))  # after the lifespan set None
            yield c


def login(client, user, password):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def first_frame(client, path: str = "/api/events") -> dict:
    with client.websocket_connect(path, headers={"origin": "http://testserver"}) as ws:
        return json.loads(ws.receive_text())


def test_a_web_session_opens_the_stream_with_the_agent_scoping_kept(client):
    login(client, "marta", "correct-horse-1")
    assert first_frame(client, "/api/events?queue=atencion") == {
        "type": "stream.open",
        "data": {"queue": "atencion", "agent": None},
    }
    login(client, "ana", "correct-horse-2")
    # an agent asking for someone else's events still gets only their own
    assert first_frame(client, "/api/events?agent=marta")["data"]["agent"] == "ana"


def test_the_engine_figures_reach_supervisors_and_never_agents():
    from queues.events import wanted

    kpi = {"type": "reports.kpi", "at": 1.0, "data": {"queue": "q1", "today": {}, "last_60m": {}}}
    assert wanted(kpi, None, None) and wanted(kpi, "q1", None)
    assert not wanted(kpi, "q2", None)
    assert not wanted(kpi, None, "ana")  # an agent's stream is scoped to the agent: no queue figures
