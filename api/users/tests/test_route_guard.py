"""Every /api route but health and token issue must refuse a caller without credentials.

Walks the real app's routes, so a route added later without an auth dependency fails here."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/token")}


def http_routes(app):
    """(path, methods) of every HTTP route, nested routers included.

    FastAPI >= 0.16x keeps included routers lazily (app.routes holds _IncludedRouter entries);
    iter_route_contexts flattens them with their prefixes. Older versions list routes flat."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        contexts = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for route in contexts:
        if getattr(route, "path", None) and getattr(route, "methods", None):
            yield route.path, set(route.methods)


@pytest.fixture
def app(stack_env):
    from api.app import create_app

    return create_app(with_runtime=False)


def test_every_api_route_requires_credentials(app):
    checked = []
    with TestClient(app) as client:
        for template, methods in http_routes(app):
            if not template.startswith("/api"):
                continue
            path = re.sub(r"\{[^}]+\}", "1", template)  # any value: auth runs before the lookup
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                if (method, template) in PUBLIC:
                    continue
                r = client.request(method, path)
                assert r.status_code == 401, f"{method} {template} answered {r.status_code} without credentials"
                assert r.headers.get("www-authenticate") == "Bearer"
                checked.append((method, template))
    assert ("GET", "/api/users") in checked and ("GET", "/api/audit") in checked


def test_public_routes_stay_public(app):
    with TestClient(app) as client:
        assert client.get("/api/health").status_code != 401
        assert client.post("/api/auth/token", json={"username": "x", "password": "y"}).status_code == 401
        assert client.get("/login").status_code == 200
