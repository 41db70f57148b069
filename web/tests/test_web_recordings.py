"""The recordings pages: search with full text, an agent's own calls only, the player and transcript."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.users import service
from centralita.db import session_scope


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from queues.models import AgentEndpoint
    from recorder.models import Recording

    with session_scope() as s:
        service.create_user(s, "marta", "correct-horse-1", role="supervisor")
        ana = service.create_user(s, "ana", "correct-horse-2", role="agent")
        s.flush()
        s.add(AgentEndpoint(user_id=ana.id, username="ana", sip_password="x", extension="1001"))
        s.add(
            Recording(
                uniqueid="1.1",
                linkedid="1.1",
                caller="5551234",
                agent="ana",
                stage="done",
                transcript_text="quiero un reclamo",
                categories=["reclamo"],
                transcript={"segments": [{"speaker": "caller", "start": 1.0, "end": 2.0, "text": "quiero un reclamo"}]},
            )
        )
        s.add(
            Recording(
                uniqueid="2.1",
                linkedid="2.1",
                caller="5559999",
                agent="luis",
                stage="done",
                transcript_text="otra cosa",
            )
        )
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def login(client, user, password):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def test_search_page_player_and_agent_scope(client):
    assert client.get("/recordings").status_code == 303  # logged out: to the login page
    login(client, "marta", "correct-horse-1")
    page = client.get("/recordings", params={"q": "reclamo"}).text
    assert "5551234" in page and "5559999" not in page and "1 grabaciones" in page
    assert "5559999" in client.get("/recordings").text
    detail = client.get("/recordings/1").text
    assert 'src="/api/recordings/1/audio"' in detail and "quiero un reclamo" in detail
    assert (
        client.get(
            "/api/recordings/1",
        ).status_code
        == 200
    )  # the page's session works for the API too
    client.post("/logout", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', detail).group(1)})
    login(client, "ana", "correct-horse-2")
    assert "5559999" not in client.get("/recordings").text
    assert client.get("/recordings/2").status_code == 404
    assert client.get("/recordings/1").status_code == 200
