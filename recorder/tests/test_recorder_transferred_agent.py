"""An agent sees the recordings of calls they spoke on — answered, or transferred to them (named in
`Recording.agents`) — and still none of the other agents' calls; a supervisor's agent filter finds the
same calls. Over HTTP, on SQLite and PostgreSQL (the JSON list is matched per backend's JSON text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from recorder import testaudio
from recorder.tests.test_recorder_api import auth, ids

T0 = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)


@pytest.fixture
def client(stack_env, tmp_path):
    from api.app import create_app
    from api.users import service
    from centralita.db import session_scope
    from queues.models import AgentEndpoint
    from recorder.models import Recording

    with session_scope() as session:
        service.create_user(session, "sup", "sup-password-1", role="supervisor")
        for n, name in enumerate(("ana", "luis", "luisa")):
            user = service.create_user(session, name, f"agent-password-{n}", role="agent")
            session.flush()
            session.add(AgentEndpoint(user_id=user.id, username=name, sip_password="x", extension=f"100{n + 1}"))
        wav = tmp_path / "call.wav"
        testaudio.write_wav(wav, bytes(1600), channels=2)
        for n, (agent, agents) in enumerate(
            [
                ("ana", ["ana"]),  # 1: ana's alone
                ("ana", ["ana", "luis"]),  # 2: ana answered, transferred to luis
                ("pepe", ["pepe", "ana"]),  # 3: pepe answered, transferred to ana
                ("luisa", ["luisa"]),  # 4: a name that starts like luis
                ("luis", []),  # 5: recorded before `agents` existed
            ],
            start=1,
        ):
            session.add(
                Recording(
                    uniqueid=f"1700000{n}.1",
                    linkedid=f"1700000{n}.1",
                    started_at=T0 + timedelta(hours=n),
                    ended_at=T0 + timedelta(hours=n, minutes=3),
                    duration=180.0,
                    wav_path=str(wav),
                    stage="done",
                    agent=agent,
                    agents=agents,
                    queue="atencion",
                )
            )
    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def test_an_agent_sees_the_calls_transferred_to_them_and_no_others(client):
    luis = auth(client, "luis", "agent-password-1")
    assert ids(client.get("/api/recordings", headers=luis)) == [5, 2]
    assert ids(client.get("/api/recordings", params={"agent": "ana"}, headers=luis)) == [5, 2]  # forced to luis
    assert client.get("/api/recordings/2", headers=luis).status_code == 200
    for other in (1, 3, 4):
        assert client.get(f"/api/recordings/{other}", headers=luis).status_code == 404
        assert client.get(f"/api/recordings/{other}/audio", headers=luis).status_code == 404
    assert client.get("/api/recordings/2/audio", headers=luis).status_code == 200
    ana = auth(client, "ana", "agent-password-0")
    assert ids(client.get("/api/recordings", headers=ana)) == [3, 2, 1]
    luisa = auth(client, "luisa", "agent-password-2")
    assert ids(client.get("/api/recordings", headers=luisa)) == [4]


def test_a_supervisors_agent_filter_finds_every_call_the_agent_spoke_on(client):
    sup = auth(client, "sup", "sup-password-1")
    assert ids(client.get("/api/recordings", params={"agent": "luis"}, headers=sup)) == [5, 2]
    assert ids(client.get("/api/recordings", params={"agent": "ana"}, headers=sup)) == [3, 2, 1]
    assert ids(client.get("/api/recordings", params={"agent": "pepe"}, headers=sup)) == [3]
    assert ids(client.get("/api/recordings", params={"agent": "lu"}, headers=sup)) == []
