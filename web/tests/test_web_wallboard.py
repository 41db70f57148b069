"""The wallboard and reports pages without Asterisk: roles, the queue chooser, the strict CSP (no inline
script or style), the vendored chart library matching its manifest, and the event stream opened with the
page's session cookie (the token path and the agent scoping kept). Live figures: tests/integration/
test_reports_wallboard.py."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.users import service
from centralita.db import session_scope

VENDOR = Path(__file__).parent.parent / "static" / "vendor"


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from queues.models import Queue

    with session_scope() as s:
        service.create_user(s, "marta", "correct-horse-1", role="supervisor")
        service.create_user(s, "ana", "correct-horse-2", role="agent")
        s.add(Queue(name="atencion", label="Atención"))
        s.add(Queue(name="tramites"))
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def login(client, user, password):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html) and "<style" not in html, "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_wallboard_for_supervisors_with_a_queue_chooser(client):
    assert client.get("/wallboard").status_code == 303  # logged out: to the login page
    login(client, "ana", "correct-horse-2")
    assert client.get("/wallboard").status_code == 403
    assert client.get("/reports").status_code == 403
    client.cookies.clear()
    login(client, "marta", "correct-horse-1")
    page = client.get("/wallboard")
    assert page.status_code == 200
    no_inline_code(page.text)
    assert re.findall(r'<section class="wb-queue" data-queue="([^"]+)"', page.text) == ["atencion", "tramites"]
    page = client.get("/wallboard?queue=tramites&queue=nope")
    assert re.findall(r'<section class="wb-queue" data-queue="([^"]+)"', page.text) == ["tramites"]
    assert "nope" in page.text  # named as unknown
    assert json.loads(re.search(r"data-queues='([^']*)'", page.text).group(1)) == ["tramites"]
    states = json.loads(re.search(r"data-states='([^']*)'", page.text).group(1))
    assert states["available"] == "Disponible" and states["paused"] == "En pausa"
    assert '<script src="/static/wallboard.js" defer></script>' in page.text
    assert client.get("/static/wallboard.js").status_code == 200
    assert 'href="/wallboard"' in page.text and 'href="/reports"' in page.text


def test_reports_page_form_and_bad_dates(client):
    login(client, "marta", "correct-horse-1")
    page = client.get("/reports?since=2026-11-02&until=2026-11-01&group_by=hour")
    assert page.status_code == 200
    no_inline_code(page.text)
    assert '<option value="hour" selected>' in page.text
    assert 'role="alert"' in page.text  # inverted dates (or a missing engine) are said, not a 500
    page = client.get("/reports?since=2026-13-40")
    assert "since" in re.search(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S).group(1)
    assert client.get("/reports/calls?since=2026-11-01").status_code == 200


def test_vendored_files_match_their_manifest():
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    assert manifest["files"], "nothing vendored"
    for entry in manifest["files"]:
        data = (VENDOR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert entry["version"] in data[:300].decode(), "licence/version header kept"
        assert {"name", "version", "license", "source"} <= set(entry)
    assert {p.name for p in VENDOR.iterdir()} == {"MANIFEST.json"} | {e["file"] for e in manifest["files"]}


def test_event_stream_takes_the_web_session(client):
    # Without a runtime the stream closes with 1011 after authenticating: 1011 means "let in", 4401 not.
    def close_code(**kw) -> int:
        with pytest.raises(WebSocketDisconnect) as info:
            with client.websocket_connect("/api/events", **kw) as ws:
                ws.receive_text()
        return info.value.code

    assert close_code() == 4401  # no token, no session
    login(client, "marta", "correct-horse-1")
    assert close_code() == 1011
    assert close_code(headers={"origin": "http://testserver"}) == 1011  # the page's own origin
    assert close_code(headers={"origin": "http://evil.example"}) == 4403  # another site riding the cookie
    assert close_code(headers={"origin": "http://testserver:8081"}) == 4403  # same site, other port
    token = client.post("/api/auth/token", json={"username": "marta", "password": "correct-horse-1"}).json()
    client.cookies.clear()
    # A token still works whatever the Origin: it is not ambient, a page cannot send it by accident.
    assert close_code() == 4401
    assert (
        close_code(headers={"authorization": f"Bearer {token['access_token']}", "origin": "http://evil.example"})
        == 1011
    )
