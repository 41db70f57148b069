from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.calls.service import ingest_file
from api.calls.tests.test_cdr_ingest import _line
from api.users import service as users
from centralita import db


def _token(session, username, role):
    user = users.create_user(session, username, "a-long-password", role=role)
    raw, _ = users.issue_token(session, user)
    session.commit()
    return raw


def test_calls_listing_filters_paging_and_roles(stack_env, tmp_path):
    cdr = tmp_path / "Master.csv"
    cdr.write_text(
        "".join(
            _line(
                uniqueid=f"17000000{i}.1",
                linkedid=f"17000000{i}.1",
                start=f"17000000{i}.0",
                end=f"17000000{i + 5}.0",
                src=f"55500{i}",
            )
            for i in range(10, 15)
        )
    )
    with Session(db.get_engine()) as session:
        ingest_file(session, cdr)
        boss = _token(session, "boss", "supervisor")
        agent = _token(session, "ana", "agent")
    client = TestClient(create_app(with_runtime=False))
    assert client.get("/api/calls").status_code == 401
    assert client.get("/api/calls", headers={"Authorization": f"Bearer {agent}"}).status_code == 403
    auth = {"Authorization": f"Bearer {boss}"}
    page = client.get("/api/calls", params={"limit": 2, "offset": 1}, headers=auth).json()
    assert page["total"] == 5 and len(page["items"]) == 2 and page["items"][0]["caller"] == "5550013"
    assert client.get("/api/calls", params={"caller": "55500"}, headers=auth).json()["total"] == 5
    assert client.get("/api/calls", params={"caller": "5550012"}, headers=auth).json()["total"] == 1
    bad = client.get("/api/calls", params={"limit": 0}, headers=auth)
    assert bad.status_code == 422 and "limit" in bad.text
    bad = client.get(
        "/api/calls", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, headers=auth
    )
    assert bad.status_code == 422 and "since" in bad.text
    one = page["items"][0]["id"]
    assert client.get(f"/api/calls/{one}", headers=auth).json()["id"] == one
    assert client.get("/api/calls/999999", headers=auth).status_code == 404
