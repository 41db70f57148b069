"""The campaigns page: supervisors see every campaign with its controls; agents are refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.users import service
from centralita.db import session_scope


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from dialer.models import Campaign

    with session_scope() as s:
        service.create_user(s, "marta", "correct-horse-1", role="supervisor")
        service.create_user(s, "ana", "correct-horse-2", role="agent")
        s.add(Campaign(name="cobros-noviembre", mode="predictive", queue_name="cobros"))
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def login(client, user, password):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def test_campaigns_page_for_supervisors_only(client):
    assert client.get("/campaigns").status_code == 303  # logged out: to the login page
    login(client, "marta", "correct-horse-1")
    page = client.get("/campaigns")
    assert page.status_code == 200
    row = re.search(r'<tr data-campaign="(\d+)">(.*?)</tr>', page.text, re.S)
    assert row and "cobros-noviembre" in row.group(2) and ">Predictiva<" in row.group(2)
    assert ">Detenida<" in row.group(2)  # its state in Spanish, the code in the title
    for action in ("start", "pause", "stop"):
        assert f'data-action="{action}"' in row.group(2)
    assert f"/api/dialer/campaigns/{row.group(1)}/report.csv" in row.group(2)
    # the page's buttons use the API with the same session
    assert client.get(f"/api/dialer/campaigns/{row.group(1)}").json()["name"] == "cobros-noviembre"
    assert 'href="/campaigns"' in client.get("/").text  # in the navigation
    client.post("/logout", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)})
    login(client, "ana", "correct-horse-2")
    assert client.get("/campaigns").status_code == 403
    assert 'href="/campaigns"' not in client.get("/").text
