"""Shared by the settings pages' tests: a stack with one user per role and a flow, and a logged-in client."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.users import service as users
from centralita.db import session_scope
from ivr.tests.flows import sample_flow

ROLES = {"boss": "admin", "marta": "supervisor", "ana": "agent"}


def password_of(name: str) -> str:
    return f"{name}-password-1"


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from ivr import service

    with session_scope() as s:
        for name, role in ROLES.items():
            users.create_user(s, name, password_of(name), role=role, full_name=name.title())
        for flow in ("tramites", "ventas"):
            service.save(s, flow, sample_flow())
        service.set_did(s, "311", "tramites")
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: TestClient, name: str) -> str:
    """Logs in through the form; returns the session's CSRF token for the next posts."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": password_of(name), "csrf": token})
    assert r.status_code == 303
    return csrf_of(client.get("/").text)


def user_id(name: str) -> int:
    with session_scope() as s:
        found = users.get_by_username(s, name)
        assert found is not None and found.id is not None
        return found.id


def user_row(name: str):
    with session_scope() as s:
        found = users.get_by_username(s, name)
        if found is None:
            return None
        return (found.full_name, found.role, found.active, found.password_hash)
