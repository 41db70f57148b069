"""Fixtures of the IVR's database tests: a session and an API client with an admin and a supervisor."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session


@pytest.fixture
def session(stack_env):
    from centralita import db

    with Session(db.get_engine()) as s:
        yield s


@pytest.fixture
def client(stack_env):
    from api.app import create_app
    from api.users import service as users
    from centralita import db

    with Session(db.get_engine()) as s:
        users.create_user(s, "root", "admin-password-1", role="admin")
        users.create_user(s, "sup", "super-password-1", role="supervisor")
        s.commit()
    with TestClient(create_app(with_runtime=False)) as c:

        def login(name, pw):
            return {
                "Authorization": "Bearer "
                + c.post("/api/auth/token", json={"username": name, "password": pw}).json()["access_token"]
            }

        c.admin, c.sup = login("root", "admin-password-1"), login("sup", "super-password-1")
        yield c
