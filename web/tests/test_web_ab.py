"""The A/B test pages: what supervisors read (the same comparison as the API), what only admins can
change, and who is turned away."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.calls.models import CallRecord
from api.users import service as users
from centralita.db import session_scope
from ivr.tests.flows import sample_flow

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from ivr import service, split

    with session_scope() as s:
        for name, role in (("boss", "admin"), ("marta", "supervisor"), ("ana", "agent")):
            users.create_user(s, name, f"{name}-password-1", role=role)
        service.save(s, "tramites", sample_flow())
        service.publish(s, "tramites")
        service.save(s, "tramites", sample_flow())
        row = split.start(s, "tramites", 2, 30, "caller")
        row.started_at = T0
        for i in range(40):
            version, path = (2, "main:1>debt:ok") if i % 2 else (1, "main:2>queue:ventas")
            start = T0 + timedelta(minutes=i)
            s.add(
                CallRecord(
                    linkedid=f"c{i}",
                    start=start,
                    end=start + timedelta(seconds=30 + i),
                    duration=30 + i,
                    billsec=30 + i,
                    path=f"flow:tramites/v{version}>{path}",
                )
            )
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def login(client: TestClient, name: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": name, "password": f"{name}-password-1", "csrf": token})
    assert r.status_code == 303


def test_supervisor_reads_the_comparison_without_controls(client):
    login(client, "marta")
    page = client.get("/ivr/ab/tramites")
    assert page.status_code == 200
    html = page.text
    assert "Prueba A/B del flujo «tramites»" in html and "En curso" in html
    assert "B = versión 2, que recibe el 30 % de las llamadas" in html and "por llamante" in html
    assert "Reparto observado: 50.0 % para B" in html
    # The self-service row: A 0 of 20, B 20 of 20 — and its verdict from the service, word for word.
    api = client.get("/api/ivr/flows/tramites/split").json()
    verdict = next(d for d in api["differences"] if d["key"] == "self_service_rate")["verdict"]
    assert verdict.startswith("Pocas llamadas aún (20)") and verdict in html
    assert re.search(r'data-measure="self_service_rate">\s*<td>El autoservicio</td>\s*<td>0,0 %', html)
    assert 'id="ab-start"' not in html and "ab.js" not in html  # reading only
    listing = client.get("/ivr/ab")
    assert (
        listing.status_code == 200 and 'href="/ivr/ab/tramites"' in listing.text and "v2 recibe el 30 %" in listing.text
    )


def test_admin_gets_the_controls_and_an_agent_is_turned_away(client):
    login(client, "boss")
    html = client.get("/ivr/ab/tramites").text
    assert 'id="ab-start"' in html and 'id="ab-promote"' in html and 'id="ab-stop"' in html
    assert '<option value="2">v2</option>' in html and '<option value="1">' not in html  # v1 is published
    assert client.get("/ivr/ab/ghost").status_code == 404
    client.post("/logout", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', html).group(1)})
    login(client, "ana")
    assert client.get("/ivr/ab/tramites").status_code == 403
    assert client.get("/ivr/ab").status_code == 403
