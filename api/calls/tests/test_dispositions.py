"""An agent's disposition of a call (POST /api/calls/{linkedid}/disposition): only an agent one of whose
phones (desk or browser) was on the call gives it, once; a call is known from its call record, its
recording or its queue visit (the CDR comes about a second after the hang-up); GET /api/calls names the
call's agents and their dispositions. And the `calls` migration builds exactly that table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, select

import centralita.models  # noqa: F401  (registers every table)
from api.app import create_app
from api.audit.models import AuditLog
from api.calls.models import CallDisposition, CallRecord
from api.users import service as users
from centralita import db
from queues import service as queues
from queues.models import QueueCall
from recorder.models import Recording

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _record(linkedid: str, channels: list[str]) -> CallRecord:
    return CallRecord(
        linkedid=linkedid,
        start=T0,
        answer=T0 + timedelta(seconds=5),
        end=T0 + timedelta(seconds=65),
        duration=65,
        billsec=60,
        caller="5550101",
        disposition="ANSWERED",
        channels=channels,
    )


def _setup() -> dict[str, str]:
    """Agents ana and luis (tokens), a supervisor, and calls known in each of the three ways."""
    tokens = {}
    with Session(db.get_engine()) as s:
        for name, role in (("ana", "agent"), ("luis", "agent"), ("marta", "supervisor")):
            user = users.create_user(s, name, "a-long-password", role=role)
            tokens[name] = users.issue_token(s, user)[0]
        queues.create_agent(s, "ana", "201")
        queues.create_agent(s, "luis", "202")
        s.add(_record("1764.1", ["PJSIP/ana-web-00000002", "PJSIP/trunk-00000001"]))  # ana's browser phone
        s.add(_record("1764.5", ["PJSIP/luis-00000006", "PJSIP/trunk-00000005"]))  # luis's desk phone
        # just hung up: no CDR yet, but the recording names the browser phone's endpoint
        s.add(Recording(uniqueid="1764.9", linkedid="1764.9", agent="", agents=["ana-web"]))
        s.add(QueueCall(callid="1764.12", queue="ventas", entered_at=T0, outcome="answered", agent="ana"))
        s.commit()
    return tokens


def _post(client, token, linkedid, body):
    return client.post(f"/api/calls/{linkedid}/disposition", json=body, headers={"Authorization": f"Bearer {token}"})


def test_an_agent_disposes_only_their_own_calls_once(stack_env):
    tokens = _setup()
    client = TestClient(create_app(with_runtime=False))
    auth = {"Authorization": f"Bearer {tokens['ana']}"}
    assert client.get("/api/calls/dispositions", headers=auth).json() == [
        "resuelto",
        "informacion",
        "reclamo",
        "derivado",
        "sin_solucion",
        "otro",
    ]

    res = _post(client, tokens["ana"], "1764.1", {"code": "reclamo", "note": "  Corte de agua en la calle 5  "})
    assert res.status_code == 201, res.text
    assert res.json() | {"at": None} == {
        "linkedid": "1764.1",
        "agent": "ana",
        "code": "reclamo",
        "note": "Corte de agua en la calle 5",
        "at": None,
    }
    again = _post(client, tokens["ana"], "1764.1", {"code": "resuelto"})
    assert again.status_code == 409 and "already" in again.text

    # not theirs: another agent, a supervisor who was not on it; no such call; a bad code or note
    assert _post(client, tokens["luis"], "1764.1", {"code": "resuelto"}).status_code == 403
    assert _post(client, tokens["ana"], "1764.5", {"code": "resuelto"}).status_code == 403
    assert _post(client, tokens["marta"], "1764.1", {"code": "resuelto"}).status_code == 403
    missing = _post(client, tokens["ana"], "9999.9", {"code": "resuelto"})
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["body", "linkedid"]
    bad = _post(client, tokens["luis"], "1764.5", {"code": "vendido"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "code"]
    assert _post(client, tokens["luis"], "1764.5", {"code": "resuelto", "note": "x" * 1001}).status_code == 422
    assert _post(client, tokens["luis"], "1764.5", {"code": "resuelto", "extra": 1}).status_code == 422
    assert client.post("/api/calls/1764.5/disposition", json={"code": "resuelto"}).status_code == 401

    # known before its CDR: by the recording (the browser phone's endpoint is ana) or by the queue visit
    assert _post(client, tokens["ana"], "1764.9", {"code": "resuelto"}).status_code == 201
    assert _post(client, tokens["luis"], "1764.9", {"code": "resuelto"}).status_code == 403
    assert _post(client, tokens["ana"], "1764.12", {"code": "informacion"}).status_code == 201

    with Session(db.get_engine()) as s:
        stored = s.exec(select(CallDisposition).order_by(CallDisposition.id)).all()
        assert [(d.linkedid, d.agent, d.code) for d in stored] == [
            ("1764.1", "ana", "reclamo"),
            ("1764.9", "ana", "resuelto"),
            ("1764.12", "ana", "informacion"),
        ]
        audit = s.exec(select(AuditLog).where(AuditLog.action == "call.disposition")).all()
        assert [(a.username, a.target) for a in audit] == [
            ("ana", "call:1764.1"),
            ("ana", "call:1764.9"),
            ("ana", "call:1764.12"),
        ]

    # the call record names its agent (the browser phone is ana) and carries her disposition
    boss = {"Authorization": f"Bearer {tokens['marta']}"}
    items = {c["linkedid"]: c for c in client.get("/api/calls", headers=boss).json()["items"]}
    assert items["1764.1"]["agents"] == ["ana"] and items["1764.5"]["agents"] == ["luis"]
    assert [(d["agent"], d["code"], d["note"]) for d in items["1764.1"]["dispositions"]] == [
        ("ana", "reclamo", "Corte de agua en la calle 5")
    ]
    assert items["1764.5"]["dispositions"] == []


def test_an_agent_sees_the_calls_of_both_phones_and_only_theirs(stack_env):
    from api.calls.service import recent_calls

    _setup()
    with Session(db.get_engine()) as s:
        users.create_user(s, "ana-maria", "a-long-password", role="agent")
        queues.create_agent(s, "ana-maria", "203")
        s.add(_record("1765.1", ["PJSIP/ana-maria-00000011"]))
        s.add(_record("1765.2", ["PJSIP/ana-00000012"]))
        s.commit()
        ana = users.get_by_username(s, "ana")
        assert {c.linkedid for c in recent_calls(s, ana, 25)} == {"1764.1", "1765.2"}


def test_an_agent_name_ending_in_web_is_refused(stack_env):
    import pytest

    from centralita.errors import FieldError

    with Session(db.get_engine()) as s, pytest.raises(FieldError, match="browser phone"):
        queues.create_agent(s, "ana-web", "209")


def _diffs() -> list:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if "call_dispositions" in str(d)]


def test_the_calls_migration_matches_the_model_and_downgrades(stack_env):
    assert _diffs() == []
    command.downgrade(db.alembic_config(), "calls@0001")
    assert _diffs()
    db.upgrade()
    assert _diffs() == []
