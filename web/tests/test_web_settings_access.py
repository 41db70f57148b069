"""Every settings page and every form, for every role: anonymous → the login page, agent → 403,
supervisor → reads users and DIDs but every change is refused (403) and nothing is stored, admin → works.
And a missing or wrong CSRF token is refused with nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from api.audit.models import AuditLog
from centralita.db import session_scope
from ivr import service as ivr
from web.tests.settings_helpers import client, login, user_id, user_row  # noqa: F401  (client: fixture)

PAGES = ("/settings/users", "/settings/dids", "/settings/audit")


def posts() -> list[tuple[str, dict]]:
    ana = user_id("ana")
    return [
        ("/settings/users", {"username": "nuevo", "full_name": "Nuevo", "role": "agent", "password": "nuevo-pass-123"}),
        (f"/settings/users/{ana}", {"full_name": "Ana B", "role": "supervisor"}),
        (f"/settings/users/{ana}/active", {"active": "0"}),
        (f"/settings/users/{ana}/password", {}),
        ("/settings/dids", {"number": "322", "flow": "ventas"}),
    ]


def state():
    """Everything a settings form could change, to compare before and after."""
    with session_scope() as s:
        audit_rows = s.exec(select(func.count()).select_from(AuditLog)).one()
        return user_row("ana"), user_row("nuevo"), ivr.list_dids(s), audit_rows


def test_anonymous_is_sent_to_login(client):
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    before = state()
    for path, data in posts():
        r = client.post(path, data=data | {"csrf": "x"})
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    assert state() == before


def test_agent_gets_403_everywhere(client):
    csrf = login(client, "ana")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    before = state()
    for path, data in posts():
        assert client.post(path, data=data | {"csrf": csrf}).status_code == 403, path
    assert state() == before
    assert 'href="/settings/users"' not in client.get("/").text  # no link to pages they cannot open


def test_supervisor_reads_users_and_dids_but_changes_nothing(client):
    csrf = login(client, "marta")
    users = client.get("/settings/users")
    assert users.status_code == 200 and 'data-user="ana"' in users.text and "Agente" in users.text
    assert 'id="user-create"' not in users.text and "/password" not in users.text  # no forms shown
    dids = client.get("/settings/dids")
    assert dids.status_code == 200 and 'data-did="311"' in dids.text and "tramites" in dids.text
    assert 'id="did-add"' not in dids.text and 'name="flow"' not in dids.text
    assert client.get("/settings/audit").status_code == 403  # admins only, as GET /api/audit
    assert 'href="/settings/users"' in client.get("/").text and 'href="/settings/audit"' not in users.text
    before = state()
    for path, data in posts():
        assert client.post(path, data=data | {"csrf": csrf}).status_code == 403, path
    assert state() == before


def test_admin_uses_every_page_and_form(client):
    csrf = login(client, "boss")
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    for path, data in posts():
        r = client.post(path, data=data | {"csrf": csrf})
        if path.endswith("/password"):  # answers with the page: the new password is shown once
            assert r.status_code == 200 and 'id="new-password"' in r.text and r.headers["cache-control"] == "no-store"
        else:
            assert r.status_code == 303 and r.headers["location"] in ("/settings/users", "/settings/dids"), path
            assert client.get(r.headers["location"]).status_code == 200
    full_name, role, active, _ = user_row("ana")
    assert (full_name, role, active) == ("Ana B", "supervisor", False) and user_row("nuevo")[1] == "agent"
    with session_scope() as s:
        assert ("322", "ventas") in ivr.list_dids(s)


@pytest.mark.parametrize("sent", [None, "", "not-the-token"])
def test_missing_or_wrong_csrf_is_refused(client, sent):
    login(client, "boss")
    before = state()
    for path, data in posts():
        r = client.post(path, data=data if sent is None else data | {"csrf": sent})
        assert r.status_code == 403 and "form expired" in r.text, path
    assert state() == before


def test_a_cross_site_post_is_refused_even_with_the_token(client):
    csrf = login(client, "boss")
    before = state()
    r = client.post(
        "/settings/dids",
        data={"number": "322", "flow": "ventas", "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "form expired" in r.text and state() == before
