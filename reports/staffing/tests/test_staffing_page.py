"""The staffing page: week plan, forecast vs actual and adherence for supervisors; agents refused."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from api.users import service
from centralita.db import session_scope
from reports.staffing.tests.test_staffing_api import NOW, WEEK, _seed


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    _seed()
    with session_scope() as s:
        service.create_user(s, "marta", "correct-horse-1", role="supervisor")
        service.create_user(s, "ana", "correct-horse-2", role="agent")
    app = create_app(with_runtime=False)
    app.state.clock = lambda: NOW
    with TestClient(app, follow_redirects=False) as c:
        yield c


def login(client, user, password):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def test_staffing_page(client):
    assert client.get("/staffing").status_code == 303
    login(client, "marta", "correct-horse-1")
    page = client.get(
        "/staffing", params={"queue": "atencion", "week": WEEK.isoformat(), "sl": "80", "shrinkage": "30"}
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert 'class="heat"' in text and re.search(r'<td class="h[1-5]"', text)
    assert "WAPE Holt-Winters" in text and 'id="accuracy-chart"' in text
    assert "Adherencia" in text and "No hay un plan guardado" in text
    params = json.loads(html.unescape(re.search(r"data-params='([^']*)'", text).group(1)))
    assert params["target_sl"] == 0.8 and params["shrinkage"] == 0.3
    # What the page's "save" button sends, with the page's session.
    r = client.post("/api/reports/staffing/plans", json=params)
    assert r.status_code == 201, r.text
    page = client.get("/staffing", params={"queue": "atencion", "week": WEEK.isoformat(), "day": "2026-12-01"})
    assert "No hay un plan guardado" not in page.text and "intervalos cubiertos" in page.text
    bad = client.get("/staffing", params={"queue": "atencion", "week": WEEK.isoformat(), "sl": "150"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text and "target_sl" in bad.text
    assert 'href="/staffing"' in client.get("/").text
    client.post("/logout", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)})
    login(client, "ana", "correct-horse-2")
    assert client.get("/staffing").status_code == 403
    assert 'href="/staffing"' not in client.get("/").text
