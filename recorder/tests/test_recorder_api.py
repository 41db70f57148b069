"""recorder/ over HTTP without Asterisk, on SQLite and PostgreSQL: full-text search with filters and
paging, agents limited to their own calls, playback with Range (206) and its audit, tags, per-scope
settings, QA scorecards/evaluations/report, and a background export ZIP with its manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from recorder import testaudio

T0 = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)


def _recording(session, wav_dir, n, **kw):
    from recorder.models import Recording

    wav = wav_dir / f"{n}.wav"
    testaudio.write_wav(wav, bytes(range(256)) * 64, channels=2)  # 16 KiB of known bytes after the header
    row = Recording(
        uniqueid=f"17000000{n}.1",
        linkedid=f"17000000{n}.1",
        started_at=T0 + timedelta(days=n),
        ended_at=T0 + timedelta(days=n, minutes=3),
        duration=180.0 + n,
        wav_path=str(wav),
        stage="done",
        **kw,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def client(stack_env, tmp_path):
    from api.app import create_app
    from api.users import service
    from centralita.db import session_scope
    from queues.models import AgentEndpoint

    with session_scope() as session:
        service.create_user(session, "boss", "boss-password-1", role="admin")
        service.create_user(session, "sup", "sup-password-1", role="supervisor")
        ana = service.create_user(session, "ana", "agent-password-1", role="agent")
        service.create_user(session, "noep", "agent-password-2", role="agent")
        session.flush()
        session.add(AgentEndpoint(user_id=ana.id, username="ana", sip_password="x", extension="1001"))
        _recording(
            session,
            tmp_path,
            1,
            agent="ana",
            queue="atencion",
            caller="5551001",
            transcript_text="quiero presentar un reclamo por la factura",
            categories=["reclamo"],
            sentiment_caller=-0.6,
            tags=["vip"],
        )
        _recording(
            session,
            tmp_path,
            2,
            agent="luis",
            queue="atencion",
            caller="5551002",
            transcript_text="gracias por la ayuda con la factura",
            sentiment_caller=0.7,
        )
        _recording(
            session,
            tmp_path,
            40,
            agent="ana",
            queue="ventas",
            caller="5079999",
            direction="outbound",
            campaign="cobros",
            transcript_text="quiero cancelar el servicio",
            categories=["cancelar", "queja"],
        )
    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def auth(client, user, password):
    token = client.post("/api/auth/token", json={"username": user, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"]]


def test_full_text_search_with_filters_and_paging(client):
    sup = auth(client, "sup", "sup-password-1")
    get = lambda **p: client.get("/api/recordings", params=p, headers=sup)
    assert ids(get(q="factura")) == [2, 1]  # newest first
    assert ids(get(q="reclamo factura")) == [1]  # every word must occur
    assert ids(get(q="FACTURA reclamo")) == [1]
    assert ids(get(q='quiero "OR" x')) == []  # the user's text is never query syntax
    assert ids(get(q="factura", agent="luis")) == [2]
    assert ids(get(q="quiero", queue="ventas", direction="outbound", campaign="cobros")) == [3]
    assert ids(get(caller="555*")) == [2, 1] and ids(get(caller="5551002")) == [2]
    assert ids(get(sentiment_max=-0.1)) == [1] and ids(get(sentiment_min=0.5)) == [2]
    assert ids(get(category="queja")) == [3] and ids(get(category="reclamo")) == [1] and ids(get(category="rec")) == []
    assert ids(get(tag="vip")) == [1]
    assert ids(get(min_duration=182, max_duration=200)) == [2]
    assert ids(get(since=(T0 + timedelta(days=2)).isoformat(), until=(T0 + timedelta(days=3)).isoformat())) == [2]
    page = get(limit=2, offset=2).json()
    assert page["total"] == 3 and [r["id"] for r in page["items"]] == [1]
    r = get(limit=0)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
    r = get(since="2026-11-01T00:00:00Z", until="2026-10-01T00:00:00Z")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "until"]


def test_agents_see_only_their_own_calls(client):
    ana = auth(client, "ana", "agent-password-1")
    assert ids(client.get("/api/recordings", params={"q": "factura"}, headers=ana)) == [1]
    assert ids(client.get("/api/recordings", params={"agent": "luis"}, headers=ana)) == [3, 1]  # forced to ana
    assert client.get("/api/recordings/2", headers=ana).status_code == 404
    assert client.get("/api/recordings/2/audio", headers=ana).status_code == 404
    assert client.get("/api/recordings/1", headers=ana).json()["agent"] == "ana"
    noep = auth(client, "noep", "agent-password-2")  # an agent account without a softphone: nothing
    assert ids(client.get("/api/recordings", headers=noep)) == []
    assert client.get("/api/recordings/1/download", headers=ana).status_code == 403


def test_playback_with_range_is_audited(client):
    ana, boss = auth(client, "ana", "agent-password-1"), auth(client, "boss", "boss-password-1")
    full = client.get("/api/recordings/1/audio", headers=ana)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-type"] == "audio/wav" and full.content[:4] == b"RIFF"
    part = client.get("/api/recordings/1/audio", headers={**ana, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    tail = client.get("/api/recordings/1/audio", headers={**ana, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == full.content[-10:]
    bad = client.get("/api/recordings/1/audio", headers={**ana, "Range": f"bytes={len(full.content)}-"})
    assert bad.status_code == 416
    dl = client.get("/api/recordings/1/download", headers=boss)
    assert dl.status_code == 200 and "attachment" in dl.headers["content-disposition"] and dl.content == full.content
    audit = client.get("/api/audit", params={"action": "recording.play", "limit": 50}, headers=boss).json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert {r["detail"]["range"] for r in rows} == {
        f"0-{len(full.content) - 1}",
        "100-199",
        f"{len(full.content) - 10}-{len(full.content) - 1}",
    }
    assert all(r["username"] == "ana" and r["target"] == "recording:1" for r in rows)
    audit = client.get("/api/audit", params={"action": "recording.download"}, headers=boss).json()
    assert len(audit["items"] if isinstance(audit, dict) else audit) == 1


def test_tags_and_settings(client):
    sup, boss = auth(client, "sup", "sup-password-1"), auth(client, "boss", "boss-password-1")
    r = client.put("/api/recordings/2/tags", json={"tags": ["Capacitación", " ejemplo ", ""]}, headers=sup)
    assert r.status_code == 200 and r.json()["tags"] == ["capacitación", "ejemplo"]
    assert ids(client.get("/api/recordings", params={"tag": "capacitación"}, headers=sup)) == [2]
    r = client.put("/api/recordings/settings/queue/salud", json={"record": False}, headers=boss)
    assert r.status_code == 200 and r.json()["record"] is False and r.json()["reloaded"] is False  # no Asterisk
    assert client.put("/api/recordings/settings/queue/salud", json={"record": True}, headers=sup).status_code == 403
    r = client.put("/api/recordings/settings/room/x", json={"record": False}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "scope"]
    r = client.put("/api/recordings/settings/flow/demo", json={"language": "fr"}, headers=boss)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "language"]
    client.put("/api/recordings/settings/campaign/Cobros%202026", json={"language": "en"}, headers=boss)
    listed = client.get("/api/recordings/settings", headers=sup).json()
    assert [(s["scope"], s["name"], s["record"], s["language"]) for s in listed] == [
        ("campaign", "Cobros 2026", True, "en"),
        ("queue", "salud", False, "es"),
    ]
    assert client.delete("/api/recordings/settings/queue/salud", headers=boss).status_code == 204
    assert client.delete("/api/recordings/settings/queue/salud", headers=boss).status_code == 404


def test_quality_scorecards_evaluations_and_agent_report(client):
    sup = auth(client, "sup", "sup-password-1")
    criteria = [
        {"key": "cortesia", "weight": 0.25, "max": 5},
        {"key": "protocolo", "weight": 0.35, "max": 5},
        {"key": "efectividad", "weight": 0.25, "max": 5},
        {"key": "satisfaccion", "weight": 0.15, "max": 10},
    ]
    r = client.post("/api/qa/scorecards", json={"name": "estandar", "criteria": criteria}, headers=sup)
    assert r.status_code == 201
    assert (
        client.post("/api/qa/scorecards", json={"name": "estandar", "criteria": criteria}, headers=sup).status_code
        == 409
    )
    r = client.post("/api/qa/scorecards", json={"name": "x", "criteria": [{"key": "a", "weight": 0}]}, headers=sup)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "criteria.0.weight"]
    answers = {"cortesia": 5, "protocolo": 4, "efectividad": 3, "satisfaccion": 10}
    r = client.post("/api/recordings/1/evaluations", json={"scorecard": "estandar", "answers": answers}, headers=sup)
    # 100 * (0.25*1 + 0.35*0.8 + 0.25*0.6 + 0.15*1) / 1.0
    assert r.status_code == 201 and r.json()["score"] == 83.0 and r.json()["agent"] == "ana"
    r = client.post(
        "/api/recordings/3/evaluations",
        json={"scorecard": "estandar", "answers": {**answers, "protocolo": 2}},
        headers=sup,
    )
    assert r.json()["score"] == 69.0
    r = client.post(
        "/api/recordings/2/evaluations",
        json={"scorecard": "estandar", "answers": {**answers, "cortesia": 6}},
        headers=sup,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "answers.cortesia"]
    r = client.post(
        "/api/recordings/2/evaluations", json={"scorecard": "estandar", "answers": {"cortesia": 1}}, headers=sup
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "answers.protocolo"]
    assert (
        client.post(
            "/api/recordings/2/evaluations", json={"scorecard": "nope", "answers": answers}, headers=sup
        ).status_code
        == 404
    )
    report = client.get("/api/qa/report", params={"period": "month"}, headers=sup).json()
    month = datetime.now(UTC).strftime("%Y-%m")
    assert report == [
        {"agent": "ana", "period": month, "evaluations": 2, "mean_score": 76.0, "min_score": 69.0, "max_score": 83.0}
    ]
    assert client.get("/api/qa/report", params={"period": "year"}, headers=sup).status_code == 422
    ana = auth(client, "ana", "agent-password-1")
    assert [e["score"] for e in client.get("/api/recordings/1/evaluations", headers=ana).json()] == [83.0]
    assert client.get("/api/qa/report", headers=ana).status_code == 403


def test_export_of_a_month_as_zip_with_manifest(client):
    sup = auth(client, "sup", "sup-password-1")
    r = client.post("/api/recordings/exports", json={}, headers=sup)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "period"]
    assert client.post("/api/recordings/exports", json={"period": "2026-13"}, headers=sup).status_code == 422
    r = client.post("/api/recordings/exports", json={"period": "2026-10"}, headers=sup)
    assert r.status_code == 202
    job = client.get(f"/api/recordings/exports/{r.json()['id']}", headers=sup).json()  # ran after the response
    assert job["state"] == "done" and job["total"] == 2 and job["done"] == 2
    z = client.get(f"/api/recordings/exports/{job['id']}/download", headers=sup)
    assert z.status_code == 200
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))["recordings"]
        assert [m["id"] for m in manifest] == [1, 2]
        for m in manifest:
            assert hashlib.sha256(zf.read(m["file"])).hexdigest() == m["sha256"]
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert [r["caller"] for r in rows] == ["5551001", "5551002"] and rows[0]["categories"] == "reclamo"
    r = client.post("/api/recordings/exports", json={"caller": "5079999"}, headers=sup)
    assert client.get(f"/api/recordings/exports/{r.json()['id']}", headers=sup).json()["total"] == 1
    boss = auth(client, "boss", "boss-password-1")
    actions = [a["action"] for a in client.get("/api/audit", params={"limit": 100}, headers=boss).json()["items"]]
    assert actions.count("recording.export") == 2 and actions.count("recording.export.download") == 1
