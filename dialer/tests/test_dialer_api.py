"""The dialer over HTTP and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.users import service as users
from centralita.db import session_scope
from dialer.cli import app as dialer_cli

PW = "correct-horse-1"


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    with TestClient(create_app(with_runtime=False)) as c:
        yield c


def login(client, username: str, role: str) -> dict:
    with session_scope() as s:
        users.create_user(s, username, PW, role=role)
    r = client.post("/api/auth/token", json={"username": username, "password": PW})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_campaign_list_import_start_and_simulate(client):
    sup = login(client, "sara", "supervisor")
    r = client.post(
        "/api/dialer/campaigns",
        headers=sup,
        json={"name": "cobros", "queue_name": "cobranza", "caller_id": "+50422000000"},
    )
    assert r.status_code == 201 and r.json()["state"] == "stopped"
    r = client.post("/api/dialer/campaigns", headers=sup, json={"name": "x", "abandon_target": 0.1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "abandon_target"]
    r = client.post("/api/dialer/campaigns/cobros/start", headers=sup)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "lists"
    assert (
        client.post("/api/dialer/lists", headers=sup, json={"name": "morosos", "campaign": "cobros"}).status_code == 201
    )

    csv = "Teléfono;Nombre;Deuda\n9123-4567;Ana;100\n123;Malo;1\n".encode()
    r = client.post(
        "/api/dialer/lists/morosos/import",
        headers=sup,
        files={"file": ("m.csv", csv, "text/csv")},
        data={"mapping": json.dumps({"deuda": "Deuda"})},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (1, 1) and body["rejections"][0]["row"] == 3
    r = client.post("/api/dialer/lists/morosos/import", headers=sup, files={"file": ("m.csv", b"nombre\nAna\n")})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "phone"
    r = client.post(
        "/api/dialer/lists/morosos/import", headers=sup, files={"file": ("m.csv", csv)}, data={"mapping": "{not json"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "mapping"
    page = client.get("/api/dialer/lists/morosos/contacts", headers=sup).json()
    assert page["total"] == 1 and page["items"][0]["fields"] == {"deuda": "100"}
    assert client.get("/api/dialer/lists", headers=sup).json()[0]["contacts"] == {"new": 1}
    assert len(client.get("/api/dialer/lists/morosos/imports", headers=sup).json()) == 1

    assert client.post("/api/dialer/campaigns/cobros/start", headers=sup).json()["state"] == "running"
    assert client.post("/api/dialer/campaigns/cobros/start", headers=sup).status_code == 409
    r = client.post("/api/dialer/campaigns/cobros/simulate", headers=sup, json={"agents": 5, "hours": 0.5, "seeds": 2})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["policy"] == "predictive" and doc["answer_prob_source"] == "assumed"
    assert 0 < doc["figures"]["occupancy_mean"] <= 1 and doc["scenario"]["no_answer_after"] == 25.0
    r = client.post("/api/dialer/campaigns/cobros/simulate", headers=sup, json={"seeds": 50})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "seeds"


def test_roles_and_dnc(client):
    agent = login(client, "ana", "agent")
    sup = login(client, "sara", "supervisor")
    admin = login(client, "root1", "admin")
    assert client.get("/api/dialer/campaigns", headers=agent).status_code == 403
    r = client.post("/api/dialer/dnc", headers=sup, json={"phone": "9123 4567", "reason": "pidió"})
    assert r.status_code == 201 and r.json()["phone"] == "+50491234567"
    assert client.post("/api/dialer/dnc", headers=sup, json={"phone": "91234567"}).status_code == 409
    assert client.post("/api/dialer/dnc", headers=sup, json={"phone": "12"}).json()["detail"][0]["loc"][-1] == "phone"
    assert client.delete("/api/dialer/dnc/+50491234567", headers=sup).status_code == 403
    assert client.delete("/api/dialer/dnc/+50491234567", headers=admin).status_code == 204
    assert client.get("/api/dialer/dnc", headers=sup).json()["total"] == 0


def test_cli_campaign_and_import(stack_env, tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        dialer_cli,
        [
            "campaign",
            "create",
            "recordatorios",
            "--queue",
            "citas",
            "--caller-id",
            "22000000",
            "--retry",
            "busy=300",
            "--window",
            "08:00-18:00",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(dialer_cli, ["campaign", "create", "mala", "--window", "18:00-08:00"])
    assert r.exit_code == 2 and "window_end" in r.output
    assert runner.invoke(dialer_cli, ["list", "create", "citas-lunes", "--campaign", "recordatorios"]).exit_code == 0
    f = tmp_path / "c.csv"
    f.write_text("celular,nombre\n9123-4567,Ana\nxx,Malo\n", encoding="utf-8")
    rejects = tmp_path / "rej.csv"
    r = runner.invoke(dialer_cli, ["list", "import", "citas-lunes", str(f), "--rejects", str(rejects), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output.strip().splitlines()[-1])
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert "row 3" not in rejects.read_text() and "3,phone: not a phone number" in rejects.read_text()
    f.write_bytes("telefono\n9123-4567 ñ\n".encode("latin-1"))
    r = runner.invoke(dialer_cli, ["list", "import", "citas-lunes", str(f)])
    assert r.exit_code == 2 and "file: is not valid utf-8" in r.output
    assert runner.invoke(dialer_cli, ["campaign", "start", "recordatorios"]).exit_code == 0
    r = runner.invoke(dialer_cli, ["campaign", "list"])
    assert "recordatorios" in r.output and "running" in r.output
    r = runner.invoke(dialer_cli, ["simulate", "recordatorios", "--agents", "3", "--hours", "0.25", "--seeds", "1"])
    assert r.exit_code == 0 and json.loads(r.output)["policy"] == "predictive"
    assert runner.invoke(dialer_cli, ["campaign", "stop", "nadie"]).exit_code == 1
