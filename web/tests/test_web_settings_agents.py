"""/settings/agents: an agent created through queues.service.create_agent with its credentials shown
once (PJSIP and the dialplan applied after the commit), skills set, changed and removed through
set_skill; each bad value on its field with nothing stored."""

from __future__ import annotations

import re

import pytest
from sqlmodel import SQLModel, func, select

from api.audit.models import AuditLog
from api.users import service as users
from centralita.db import session_scope
from queues import service as queues
from queues.models import AgentEndpoint
from web.tests.settings_helpers import center, client, field_message, login  # noqa: F401  (fixtures)

NEW = {"username": "luis", "full_name": "Luis Pérez", "extension": "1002", "contact": "", "role": "agent"}


def counts() -> dict[str, int]:
    with session_scope() as s:
        return {t.name: s.exec(select(func.count()).select_from(t)).one() for t in SQLModel.metadata.sorted_tables}


def skills(username: str) -> list[tuple[str, int]]:
    with session_scope() as s:
        return queues.skills(s, queues.get_agent(s, username))


def test_create_shows_the_credentials_once_and_they_work(center, monkeypatch):
    import web.settings.common as common

    applied = []
    monkeypatch.setattr(common, "after_commit", lambda settings, changed: applied.append(set(changed)) or _Applied())
    csrf = login(center, "boss")
    r = center.post("/settings/agents", data=NEW | {"csrf": csrf})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    sip = re.search(r'<code id="sip-password">([^<]+)</code>', r.text).group(1)
    web = re.search(r'<code id="web-password">([^<]+)</code>', r.text).group(1)
    assert applied == [{"pjsip", "dialplan"}]
    with session_scope() as s:
        agent = queues.get_agent(s, "luis")
        assert (agent.extension, agent.contact, agent.sip_password) == ("1002", "", sip)
        assert users.authenticate(s, "luis", web) is not None
        assert (
            s.exec(select(AuditLog).where(AuditLog.action == "agent.create", AuditLog.target == "luis")).one().username
            == "boss"
        )
    again = center.get("/settings/agents").text
    assert 'data-agent="luis"' in again and sip not in again and web not in again  # shown that once
    # An existing account (Marta) gets a softphone and keeps her password.
    r = center.post("/settings/agents", data=NEW | {"username": "marta", "extension": "1003", "csrf": csrf})
    assert r.status_code == 200 and 'id="web-password"' not in r.text and "ya existía" in r.text


class _Applied:
    reloaded = False


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"username": "no spaces"}, "username", "Use de 1 a 64 letras"),
        ({"username": "ana"}, "username", "ya tiene un teléfono de agente"),
        ({"full_name": "x" * 201}, "full_name", "como máximo 200"),
        ({"extension": "12a"}, "extension", "De 2 a 8 dígitos"),
        ({"extension": "600"}, "extension", "el 600 es un número de servicio"),
        ({"extension": "1001"}, "extension", "Esa extensión ya es de otro agente."),
        ({"contact": "http://192.0.2.1"}, "contact", "Una dirección SIP"),
        ({"role": "root"}, "role", "Elija uno de los roles"),
    ],
)
def test_create_with_a_bad_value_marks_that_field_and_stores_nothing(center, data, field, message):
    csrf = login(center, "boss")
    before = counts()
    r = center.post("/settings/agents", data=NEW | data | {"csrf": csrf})
    assert r.status_code == 422 and message in field_message(r.text, f"create-{field}")
    assert 'id="sip-password"' not in r.text and counts() == before


def test_skills_set_changed_and_removed(center):
    csrf = login(center, "boss")
    with session_scope() as s:
        queues.save_queue(s, {"name": "cobros"})
    r = center.post("/settings/agents/ana/skills", data={"queue": "cobros", "penalty": "5", "csrf": csrf})
    assert r.status_code == 303 and skills("ana") == [("atencion", 2), ("cobros", 5)]
    page = center.get("/settings/agents").text
    # No live link to Asterisk in this process: the agent takes it at the next login.
    assert "«ana» atiende la cola «cobros» con penalización 5. El agente la tendrá al iniciar sesión" in page
    assert 'data-skill="cobros"' in page
    assert (
        center.post("/settings/agents/ana/skills", data={"queue": "cobros", "penalty": "0", "csrf": csrf}).status_code
        == 303
    )
    assert skills("ana") == [("atencion", 2), ("cobros", 0)]
    r = center.post("/settings/agents/ana/skills/atencion/delete", data={"csrf": csrf})
    assert r.status_code == 303 and skills("ana") == [("cobros", 0)]
    with session_scope() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "agent.skill").order_by(AuditLog.id)).all()
        assert [r.detail for r in rows][-3:] == [
            {"queue": "cobros", "penalty": 5},
            {"queue": "cobros", "penalty": 0},
            {"queue": "atencion", "penalty": None},
        ]
    assert center.get("/api/agents").json()[0]["skills"] == {"cobros": 0}  # the API reads the same rows


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"penalty": "abc"}, "penalty", "de 0 a 100"),
        ({"penalty": "101"}, "penalty", "de 0 a 100"),
        ({"queue": "fantasma"}, "queue", "Elija una de las colas"),
    ],
)
def test_a_bad_skill_is_shown_on_its_field_and_nothing_is_stored(center, data, field, message):
    csrf = login(center, "boss")
    before = counts()
    r = center.post("/settings/agents/ana/skills", data={"queue": "atencion", "penalty": "7", "csrf": csrf} | data)
    assert r.status_code == 422 and message in field_message(r.text, f"skill-ana-{field}")
    assert counts() == before and skills("ana") == [("atencion", 2)]


def test_an_unknown_agent_or_skill(center):
    csrf = login(center, "boss")
    assert center.post("/settings/agents/nadie/skills", data={"queue": "atencion", "csrf": csrf}).status_code == 404
    r = center.post("/settings/agents/ana/skills/fantasma/delete", data={"csrf": csrf})
    assert r.status_code == 422 and field_message(r.text, "skill-ana-queue")
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(AgentEndpoint)).one() == 1


def test_a_new_sip_password_is_shown_once_and_replaces_the_old(center, monkeypatch):
    import web.settings.common as common

    applied = []
    monkeypatch.setattr(common, "after_commit", lambda settings, changed: applied.append(set(changed)) or _Applied())
    with session_scope() as s:
        old = queues.get_agent(s, "ana").sip_password
    csrf = login(center, "boss")
    r = center.post("/settings/agents/ana/sip-password", data={"csrf": csrf})
    assert r.status_code == 200 and "Nueva contraseña SIP de «ana»" in r.text and 'id="web-password"' not in r.text
    new = re.search(r'<code id="sip-password">([^<]+)</code>', r.text).group(1)
    with session_scope() as s:
        assert queues.get_agent(s, "ana").sip_password == new != old
        assert s.exec(select(AuditLog).where(AuditLog.action == "agent.sip_password")).one().target == "ana"
    assert applied == [{"pjsip"}] and new not in center.get("/settings/agents").text
    assert center.post("/settings/agents/nadie/sip-password", data={"csrf": csrf}).status_code == 404


def test_deactivate_takes_the_account_and_the_phone_then_reactivate(center, monkeypatch):
    import web.settings.common as common

    applied = []
    monkeypatch.setattr(common, "after_commit", lambda settings, changed: applied.append(set(changed)) or _Applied())
    csrf = login(center, "boss")
    r = center.post("/settings/agents/ana/active", data={"active": "0", "csrf": csrf})
    assert r.status_code == 303 and applied == [{"pjsip", "dialplan", "queues"}]
    with session_scope() as s:
        agent = queues.get_agent(s, "ana")
        assert users.get_user(s, agent.user_id).active is False
        assert [e.username for e in queues.active_endpoints(s)] == []  # the phone is out of the config
        assert skills("ana") == [("atencion", 2)]  # kept for a reactivation
        row = s.exec(select(AuditLog).where(AuditLog.action == "user.updated", AuditLog.target == "user:ana")).one()
        assert row.detail == {"active": False} and row.username == "boss"
    page = center.get("/settings/agents").text
    assert "Agente «ana» desactivado." in page and "Desactivado: su teléfono no funciona" in page
    assert "Reactivar a ana" in page
    with session_scope() as s:
        assert users.authenticate(s, "ana", "ana-password-1") is None  # no web login either
    before = counts()
    r = center.post("/settings/agents/ana/active", data={"active": "x", "csrf": csrf})
    assert r.status_code == 422 and "Elija activar o desactivar" in field_message(r.text, "active-ana-active")
    assert counts() == before
    assert center.post("/settings/agents/nadie/active", data={"active": "0", "csrf": csrf}).status_code == 404
    r = center.post("/settings/agents/ana/active", data={"active": "1", "csrf": csrf})
    assert r.status_code == 303
    with session_scope() as s:
        assert [e.username for e in queues.active_endpoints(s)] == ["ana"]
