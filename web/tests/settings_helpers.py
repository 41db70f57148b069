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


def field_message(html: str, key: str) -> str:
    """The text of the message tied to one field (settings_field_error.html)."""
    found = re.search(rf'<span class="field-error" id="{re.escape(key)}-error">([^<]*)</span>', html)
    assert found, f"no message on {key}"
    return found.group(1)


def wav_bytes(seconds: float = 0.2, rate: int = 16000) -> bytes:
    """A real WAV (a tone, 16 kHz so the upload's conversion to 8 kHz shows), made with sox."""
    import subprocess

    out = subprocess.run(
        ["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", "-t", "wav", "-", "synth", str(seconds), "sine", "440"],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return out.stdout


@pytest.fixture
def center(client):
    """Besides `client`'s users and flows: a queue "atencion", Ana's softphone serving it (penalty 2) and
    an uploaded prompt "bienvenida" named by the flow "tramites"."""
    from ivr import prompts
    from ivr import service as ivr
    from queues import service as queues

    with session_scope() as s:
        queues.save_queue(s, {"name": "atencion", "label": "Atención general"})
        agent, _, _ = queues.create_agent(s, "ana", "1001")
        queues.set_skill(s, agent, "atencion", 2)
        prompts.save_prompt(s, "bienvenida", audio=wav_bytes(), filename="bienvenida.wav")
        s.commit()
        flow = {
            "start": "hola",
            "nodes": {"hola": {"type": "play", "prompt": "bienvenida", "next": {"type": "hangup"}}},
        }
        ivr.save(s, "tramites", flow)
        s.commit()
    return client
