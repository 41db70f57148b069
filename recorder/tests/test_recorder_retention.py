"""Retention: classes by match rules, legal hold (audited) blocks the purge, the purge deletes
expired archive objects and writes one audit entry per file; CLI and API, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.audit.models import AuditLog
from centralita import db
from centralita.errors import FieldError
from centralita.settings import Settings
from recorder import storage
from recorder.models import Recording
from recorder.retention import service

OLD = datetime(2009, 1, 5, 10, 0, tzinfo=UTC)  # more than 15 years ago


def _archived(session: Session, uniqueid: str, started: datetime, **fields) -> Recording:
    rec = Recording(uniqueid=uniqueid, linkedid=uniqueid, started_at=started, stage="done", **fields)
    service.assign(session, rec)
    session.add(rec)
    session.flush()
    stored = storage.store(rec, b"OggS " + uniqueid.encode(), Settings())
    rec.archive_backend, rec.archive_key, rec.archive_sha256 = stored.backend, stored.key, stored.sha256
    rec.transcript_text = "hola reclamo"
    session.add(rec)
    return rec


def test_assign_by_rules_and_default_15_years(stack_env):
    with db.session_scope() as session:
        service.save_policy(session, "outbound", 2 * 365, {"direction": "outbound"})
        service.save_policy(session, "manual", 30, {})
    with db.session_scope() as session:
        out = Recording(uniqueid="o", linkedid="o", direction="outbound", started_at=OLD)
        inn = Recording(uniqueid="i", linkedid="i", direction="inbound", started_at=OLD)
        service.assign(session, out)
        service.assign(session, inn)
        assert (out.retention_class, out.retain_until) == ("outbound", OLD + timedelta(days=730))
        assert inn.retention_class == "default"
        assert inn.retain_until == OLD + timedelta(days=15 * 365 + 4)
        with pytest.raises(FieldError, match="match: unknown"):
            service.save_policy(session, "x", 10, {"colour": "red"})
        with pytest.raises(FieldError, match="days"):
            service.save_policy(session, "x", 0)


def test_legal_hold_blocks_purge_and_purge_is_audited_per_file(stack_env):
    with db.session_scope() as session:
        expired = [_archived(session, f"old.{i}", OLD) for i in range(3)]
        held = _archived(session, "held", OLD)
        fresh = _archived(session, "fresh", datetime.now(UTC))
        ids = [r.id for r in expired]
        held_id, fresh_id = held.id, fresh.id
        service.set_hold(session, held_id, "case 2026-114, court order")
    where = storage.backend(Settings())
    assert len(where.keys()) == 5

    dry = service.purge(dry_run=True)
    assert sorted(p["id"] for p in dry["purged"]) == ids
    assert len(where.keys()) == 5  # dry run deletes nothing

    report = service.purge()
    assert sorted(p["id"] for p in report["purged"]) == ids and report["errors"] == []
    with Session(db.get_engine()) as session:
        remaining = where.keys()
        assert sorted(remaining) == sorted(session.get(Recording, i).archive_key for i in (held_id, fresh_id))
        for rid in ids:
            rec = session.get(Recording, rid)
            assert rec.stage == "purged" and rec.purged_at is not None and rec.transcript_text == ""
            assert rec.archive_key == "" and rec.wrapped_key == ""
        held = session.get(Recording, held_id)
        assert held.stage == "done" and held.legal_hold
        assert storage.fetch(held) == b"OggS held"
        audits = list(session.exec(select(AuditLog).where(AuditLog.action == "recording.purge")))
        assert sorted(a.target for a in audits) == sorted(f"recording:{i}" for i in ids)
        assert all(a.detail["archive_key"] for a in audits)
        assert session.exec(select(AuditLog).where(AuditLog.action == "recording.hold")).one().detail["reason"]
    assert service.purge()["purged"] == []  # nothing left to purge; no duplicate audit entries

    with db.session_scope() as session:  # released: the next purge takes it
        service.release_hold(session, held_id, "case closed")
    assert [p["id"] for p in service.purge()["purged"]] == [held_id]


def test_hold_needs_a_reason_and_an_existing_recording(stack_env):
    with db.session_scope() as session:
        with pytest.raises(FieldError, match="reason"):
            service.set_hold(session, 1, "  ")
        with pytest.raises(FieldError, match="no recording 999"):
            service.set_hold(session, 999, "x")


def test_cli_hold_purge_and_policy(stack_env):
    from recorder.cli import app

    with db.session_scope() as session:
        rid = _archived(session, "cli.1", OLD).id
    runner = CliRunner()
    r = runner.invoke(app, ["hold", str(rid), "--reason", "subpoena 7"])
    assert r.exit_code == 0 and json.loads(r.stdout)["legal_hold"] is True
    assert json.loads(runner.invoke(app, ["purge"]).stdout)["purged"] == []
    r = runner.invoke(app, ["hold", str(rid), "--reason", "done", "--release"])
    assert r.exit_code == 0
    assert json.loads(runner.invoke(app, ["purge", "--dry-run"]).stdout)["purged"][0]["id"] == rid
    assert [p["id"] for p in json.loads(runner.invoke(app, ["purge"]).stdout)["purged"]] == [rid]
    r = runner.invoke(app, ["hold", "999", "--reason", "x"])
    assert r.exit_code == 2 and "recording_id" in r.output
    r = runner.invoke(app, ["policy", "short", "--days", "0"])
    assert r.exit_code == 2 and "days" in r.output


def test_api_hold_purge_policies_and_backlog(stack_env):
    from api.app import create_app
    from api.users import service as users

    with db.session_scope() as session:
        users.create_user(session, "boss", "correct-horse-1", role="admin")
        users.create_user(session, "ana", "correct-horse-1", role="agent")
        rid = _archived(session, "api.1", OLD).id
    with TestClient(create_app(with_runtime=False)) as client:

        def login(name):
            r = client.post("/api/auth/token", json={"username": name, "password": "correct-horse-1"})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        boss, ana = login("boss"), login("ana")
        assert client.post(f"/api/recordings/{rid}/hold", json={"reason": "x"}, headers=ana).status_code == 403
        r = client.post(f"/api/recordings/{rid}/hold", json={"reason": "case 9"}, headers=boss)
        assert r.status_code == 200 and r.json()["legal_hold"] is True
        assert client.post("/api/recordings/999/hold", json={"reason": "x"}, headers=boss).status_code == 404
        assert client.post("/api/recordings/retention/purge?dry_run=false", headers=boss).json()["purged"] == []
        assert client.post(f"/api/recordings/{rid}/release", json={"reason": "closed"}, headers=boss).status_code == 200
        assert client.post(f"/api/recordings/{rid}/release", json={"reason": "again"}, headers=boss).status_code == 409
        purged = client.post("/api/recordings/retention/purge?dry_run=false", headers=boss).json()["purged"]
        assert [p["id"] for p in purged] == [rid]
        r = client.put(
            "/api/recordings/retention/policies/outbound",
            json={"days": 365, "match": {"direction": "outbound"}},
            headers=boss,
        )
        assert r.status_code == 200
        r = client.put("/api/recordings/retention/policies/bad", json={"days": 3, "match": {"nope": "x"}}, headers=boss)
        assert r.status_code == 422 and "match" in r.text
        assert [p["name"] for p in client.get("/api/recordings/retention/policies", headers=boss).json()] == [
            "outbound"
        ]
        backlog = client.get("/api/recordings/pipeline/backlog", headers=boss).json()
        assert backlog["stages"]["purged"] == 1 and backlog["progress_pct"] == 100.0
        assert client.get("/api/recordings/pipeline/backlog", headers=ana).status_code == 403
