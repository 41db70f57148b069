"""/settings/users: creating, changing, deactivating and resetting through api.users.service; each bad
value comes back as a message on its field with nothing stored; the API's last-admin rule holds here."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from api.audit.models import AuditLog
from api.users import service as users
from centralita.db import session_scope
from web.tests.settings_helpers import client, field_message, login, user_id, user_row  # noqa: F401  (client: fixture)


def audit_count() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


def test_list_shows_role_in_spanish_and_state(client):
    login(client, "boss")
    html = client.get("/settings/users").text
    ana = re.search(r'<tr data-user="ana">(.*?)</tr>', html, re.S).group(1)
    assert '<td data-label="Nombre">Ana</td>' in ana and '<td data-label="Rol">Agente</td>' in ana
    assert "Activo" in ana
    assert '<td data-label="Rol">Administrador</td>' in re.search(r'<tr data-user="boss">(.*?)</tr>', html, re.S).group(
        1
    )


def test_create_then_the_new_user_logs_in(client):
    csrf = login(client, "boss")
    r = client.post(
        "/settings/users",
        data={
            "username": "Luis",
            "full_name": "Luis Pérez",
            "role": "supervisor",
            "password": "luis-pass-123",
            "csrf": csrf,
        },
    )
    assert r.status_code == 303
    page = client.get("/settings/users").text
    assert "Usuario «luis» creado." in page and 'data-user="luis"' in page
    assert "creado" not in client.get("/settings/users").text  # the notice is shown once
    full_name, role, active, _ = user_row("luis")
    assert (full_name, role, active) == ("Luis Pérez", "supervisor", True)
    with session_scope() as s:
        assert users.authenticate(s, "luis", "luis-pass-123") is not None
        row = s.exec(
            select(AuditLog).where(AuditLog.action == "user.created").where(AuditLog.target == "user:luis")
        ).one()
        assert row.username == "boss"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"username": "no spaces"}, "username", "Use de 1 a 64 letras"),
        ({"username": "ana"}, "username", "Ya existe un usuario con ese nombre."),
        ({"password": "short"}, "password", "entre 10 y 1024 caracteres"),
        ({"full_name": "x" * 201}, "full_name", "como máximo 200 caracteres"),
        ({"role": "root"}, "role", "Elija uno de los roles"),
    ],
)
def test_create_with_a_bad_value_marks_that_field_and_stores_nothing(client, data, field, message):
    csrf = login(client, "boss")
    before = audit_count()
    sent = {"username": "pepe", "full_name": "Pepe", "role": "agent", "password": "pepe-pass-123"} | data
    r = client.post("/settings/users", data=sent | {"csrf": csrf})
    assert r.status_code == 422 and message in field_message(r.text, f"create-{field}")
    assert f'id="create-{field}"' in r.text and 'aria-invalid="true"' in r.text
    assert "pepe-pass-123" not in r.text  # a password is never echoed back
    if data.get("username") != "ana":
        assert user_row(sent["username"].strip().lower()) is None
        assert f'value="{sent["username"]}"' in r.text  # the typed values stay in the form
    assert audit_count() == before


def test_change_role_and_name_then_deactivate_and_reactivate(client):
    csrf = login(client, "boss")
    ana = user_id("ana")
    assert (
        client.post(
            f"/settings/users/{ana}", data={"full_name": "Ana Ruiz", "role": "supervisor", "csrf": csrf}
        ).status_code
        == 303
    )
    assert user_row("ana")[:3] == ("Ana Ruiz", "supervisor", True)
    assert client.post(f"/settings/users/{ana}/active", data={"active": "0", "csrf": csrf}).status_code == 303
    assert "Usuario «ana» desactivado." in client.get("/settings/users").text and user_row("ana")[2] is False
    assert client.post(f"/settings/users/{ana}/active", data={"active": "1", "csrf": csrf}).status_code == 303
    assert user_row("ana")[2] is True
    assert (
        client.post("/settings/users/9999", data={"full_name": "x", "role": "agent", "csrf": csrf}).status_code == 404
    )
    huge = client.post(f"/settings/users/{2**40}/active", data={"active": "0", "csrf": csrf})
    assert huge.status_code == 422  # bounded like the API's ids, never a database overflow


def test_bad_edit_values_mark_the_rows_field_and_store_nothing(client):
    csrf = login(client, "boss")
    ana, before = user_id("ana"), user_row("ana")
    r = client.post(f"/settings/users/{ana}", data={"full_name": "y" * 201, "role": "agent", "csrf": csrf})
    assert r.status_code == 422 and "como máximo 200" in field_message(r.text, f"edit-{ana}-full_name")
    r = client.post(f"/settings/users/{ana}", data={"full_name": "Ana", "role": "jefe", "csrf": csrf})
    assert r.status_code == 422 and "Elija uno de los roles" in field_message(r.text, f"edit-{ana}-role")
    r = client.post(f"/settings/users/{ana}/active", data={"active": "maybe", "csrf": csrf})
    assert r.status_code == 422 and field_message(r.text, f"active-{ana}-active")
    assert user_row("ana") == before


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(client):
    """The service's rule (the API's 409), shown on the field; with a second admin it is allowed."""
    csrf = login(client, "boss")
    boss, before, audited = user_id("boss"), user_row("boss"), audit_count()
    r = client.post(f"/settings/users/{boss}", data={"full_name": "Boss", "role": "supervisor", "csrf": csrf})
    assert r.status_code == 422 and "último administrador activo" in field_message(r.text, f"edit-{boss}-role")
    r = client.post(f"/settings/users/{boss}/active", data={"active": "0", "csrf": csrf})
    assert r.status_code == 422 and "no se puede desactivar" in field_message(r.text, f"active-{boss}-active")
    assert user_row("boss") == before and audit_count() == audited
    marta = user_id("marta")
    assert (
        client.post(f"/settings/users/{marta}", data={"full_name": "Marta", "role": "admin", "csrf": csrf}).status_code
        == 303
    )
    assert client.post(f"/settings/users/{boss}/active", data={"active": "0", "csrf": csrf}).status_code == 303
    assert user_row("boss")[2] is False
    assert client.get("/settings/users").status_code == 303  # a deactivated admin's session ends


def test_reset_password_shows_it_once_and_only_it_works(client):
    csrf = login(client, "boss")
    ana, old_hash = user_id("ana"), user_row("ana")[3]
    r = client.post(f"/settings/users/{ana}/password", data={"csrf": csrf})
    assert r.status_code == 200 and "Nueva contraseña de «ana»" in r.text
    new = re.search(r'<code id="new-password">([^<]+)</code>', r.text).group(1)
    assert len(new) >= users.MIN_PASSWORD_LENGTH and user_row("ana")[3] != old_hash
    assert new not in client.get("/settings/users").text  # shown once, stored nowhere
    assert new not in str(client.cookies.get("session", ""))
    with session_scope() as s:
        assert users.authenticate(s, "ana", new) is not None
        assert users.authenticate(s, "ana", "ana-password-1") is None
        row = s.exec(
            select(AuditLog).where(AuditLog.action == "user.updated").where(AuditLog.target == "user:ana")
        ).one()
        assert row.detail == {"password": "changed"} and new not in str(row.detail)
