"""Security headers on every page, API route and static file; the session cookie's Secure flag over TLS
(directly, and through a reverse proxy's X-Forwarded-Proto under a real uvicorn); pages without
inline scripts or styles, so the Content-Security-Policy can forbid them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.users import service
from centralita.db import session_scope

PW = "correct-horse-1"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def app(stack_env):
    from api.app import create_app

    with session_scope() as s:
        service.create_user(s, "marta", PW, role="admin")
    return create_app(with_runtime=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_every_kind_of_answer_carries_the_security_headers(app):
    with TestClient(app, follow_redirects=False) as client:
        token = client.post("/api/auth/token", json={"username": "marta", "password": PW}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        answers = {
            "login page": client.get("/login"),
            "redirect": client.get("/"),
            "health": client.get("/api/health"),
            "API": client.get("/api/users/me", headers=auth),
            "API error": client.get("/api/calls/999", headers=auth),
            "401": client.get("/api/users"),
            "422": client.get("/api/calls?limit=0", headers=auth),
            "static": client.get("/static/centralita.css"),
        }
        for what, r in answers.items():
            assert r.headers["x-content-type-options"] == "nosniff", what
            assert r.headers["x-frame-options"] == "DENY", what
            assert r.headers["referrer-policy"] == "same-origin", what
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, what
            assert "unsafe-inline" not in csp, what
        for what in ("login page", "health", "API", "API error", "401", "422"):
            assert answers[what].headers["cache-control"] == "no-store", what
        assert answers["static"].status_code == 200 and "no-store" not in answers["static"].headers.get(
            "cache-control", ""
        )
        # Swagger UI comes from its CDN with an inline start-up script: its own, looser policy.
        docs = client.get("/docs")
        assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
        assert docs.headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_secure_only_over_tls(app):
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        with TestClient(app, base_url=base, follow_redirects=False) as client:
            csrf = _csrf(client.get("/login").text)
            r = client.post("/login", data={"username": "marta", "password": PW, "csrf": csrf})
            assert r.status_code == 303
            cookie = r.headers["set-cookie"]
            assert cookie.startswith("centralita_session=") and "httponly" in cookie.lower()
            assert ("; secure" in cookie.lower()) is secure, (base, cookie)
            assert r.headers["cache-control"] == "no-store"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_behind_a_tls_proxy_on_this_machine_the_cookie_is_secure(app, stack_env, tmp_path):
    """uvicorn believes X-Forwarded-Proto from FORWARDED_ALLOW_IPS (default 127.0.0.1): a proxy here."""
    port = _free_port()
    code = (
        "import uvicorn; from api.app import create_app; "
        f"uvicorn.run(create_app(with_runtime=False), host='127.0.0.1', port={port}, log_level='warning')"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TEMPLATES.parent.parent), os.environ.get("PYTHONPATH")])),
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/api/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for proto, secure in (("http", False), ("https", True)):
            with httpx.Client(base_url=url) as client:  # a client that keeps even Secure cookies over http
                csrf = _csrf(client.get("/login").text)
                r = client.post(
                    "/login",
                    data={"username": "marta", "password": PW, "csrf": csrf},
                    headers={"X-Forwarded-Proto": proto},
                )
                assert r.status_code == 303, r.text
                assert ("; secure" in r.headers["set-cookie"].lower()) is secure, proto
    finally:
        proc.terminate()
        proc.wait(10)


def test_pages_have_no_inline_script_or_style():
    """What the Content-Security-Policy would block: <script> without src, <style>, style= and on*= attributes."""
    for page in TEMPLATES.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert "<style" not in html and not re.search(r"\sstyle=", html), page.name
        assert not re.search(r"\son[a-z]+=", html), page.name
