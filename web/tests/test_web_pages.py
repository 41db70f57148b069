"""Web login, logout, redirects and the dashboard, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.audit.models import AuditLog
from api.calls.models import CallRecord
from api.users import service
from centralita.db import session_scope
from centralita.timeutil import utcnow

PW = "correct-horse-1"


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    with session_scope() as s:
        service.create_user(s, "marta", PW, role="supervisor", full_name="Marta Díaz")
    with TestClient(create_app(with_runtime=False), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def web_login(client: TestClient, username: str = "marta", password: str = PW):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf": token})


def test_dashboard_redirects_to_login_when_logged_out(client):
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200 and "Iniciar sesión" in page.text and 'name="csrf"' in page.text


def test_login_shows_user_role_and_recent_calls_then_logout(client):
    start = utcnow() - timedelta(minutes=3)
    with session_scope() as s:
        s.add(
            CallRecord(
                linkedid="1700000000.1",
                start=start,
                end=start + timedelta(seconds=95),
                duration=95,
                billsec=80,
                caller="+50760001234",
                caller_name="Vecino",
                did="311",
                disposition="ANSWERED",
            )
        )
    r = web_login(client)
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    for text in ("Marta Díaz", "marta", "Supervisor", "Llamadas recientes", "+50760001234", "Atendida", "1:35"):
        assert text in page.text, text
    assert client.get("/login").status_code == 303  # already logged in
    # the web session also authenticates the API (same user, same checks)
    assert client.get("/api/users/me").json()["username"] == "marta"

    r = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/").status_code == 303
    assert client.get("/api/users/me").status_code == 401
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id)).all()]
        row = s.exec(select(AuditLog).where(AuditLog.action == "auth.login")).one()
        assert row.detail == {"via": "web"} and row.username == "marta"
    assert actions == ["user.created", "auth.login", "auth.logout"]


def test_empty_dashboard(client):
    web_login(client)
    assert "Todavía no hay llamadas registradas." in client.get("/").text


def test_wrong_password_is_refused_and_audited(client):
    r = web_login(client, password="not-the-password")
    assert r.status_code == 401 and "Usuario o contraseña incorrectos." in r.text
    assert 'value="marta"' in r.text and "not-the-password" not in r.text
    assert client.get("/").status_code == 303
    with session_scope() as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "auth.login_failed")).one()
        assert row.detail == {"via": "web", "reason": "bad password"}


def test_login_without_csrf_token_or_from_another_site_is_refused(client):
    r = client.post("/login", data={"username": "marta", "password": PW})
    assert r.status_code == 400 and client.get("/").status_code == 303
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"username": "marta", "password": PW, "csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 400 and client.get("/").status_code == 303
    with session_scope() as s:  # refused before any password check
        assert s.exec(select(AuditLog).where(AuditLog.action.like("auth.%"))).all() == []


def test_password_change_ends_web_session(client):
    web_login(client)
    assert client.get("/").status_code == 200
    with session_scope() as s:
        service.set_password(s, service.get_by_username(s, "marta").id, "brand-new-password")
    assert client.get("/").status_code == 303


def test_inactive_user_cannot_log_in(client):
    with session_scope() as s:
        service.set_active(s, service.get_by_username(s, "marta").id, False)
    assert web_login(client).status_code == 401


def test_an_agent_sees_only_their_own_calls_on_the_dashboard(client):
    from queues.models import AgentEndpoint
    from recorder.models import Recording

    start = utcnow() - timedelta(hours=1)

    def call(linkedid: str, caller: str, channels: list[str], minutes: int) -> CallRecord:
        at = start + timedelta(minutes=minutes)
        return CallRecord(
            linkedid=linkedid,
            start=at,
            end=at + timedelta(seconds=30),
            duration=30,
            billsec=20,
            caller=caller,
            did="311",
            disposition="ANSWERED",
            channels=channels,
        )

    with session_scope() as s:
        for name in ("ana", "beto"):
            user = service.create_user(s, name, PW, role="agent")
            s.add(AgentEndpoint(user_id=user.id, username=name, sip_password="x" * 16, extension=f"10{len(name)}"))
        service.create_user(s, "carla", PW, role="agent")  # an agent without a softphone
        s.add(call("1.1", "+50760000001", ["PJSIP/trunk-00000001", "PJSIP/ana-00000002"], 1))  # answered by ana
        s.add(call("2.1", "+50760000002", ["PJSIP/trunk-00000003", "PJSIP/beto-00000004"], 2))  # beto's
        s.add(call("3.1", "+50760000003", ["PJSIP/trunk-00000005", "PJSIP/anabel-00000006"], 3))  # not ana's
        s.add(call("4.1", "+50760000004", ["Local/s@centralita-queue-00000001;1"], 4))  # recorded as ana's
        s.add(Recording(linkedid="4.1", uniqueid="4.1", agent="ana", started_at=start))
        s.commit()

    def shown(username: str) -> set[str]:
        client.cookies.clear()
        assert web_login(client, username).status_code == 303
        return set(re.findall(r"\+5076000000\d", client.get("/").text))

    assert shown("ana") == {"+50760000001", "+50760000004"}
    assert shown("beto") == {"+50760000002"}
    assert shown("carla") == set()
    assert shown("marta") == {"+50760000001", "+50760000002", "+50760000003", "+50760000004"}  # a supervisor


def test_a_browser_turned_away_gets_a_spanish_page_and_the_api_keeps_its_json(client):
    service_user = ("ana", "ana-password-1")
    with session_scope() as s:
        service.create_user(s, *service_user, role="agent")
    web_login(client, *service_user)
    as_browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

    page = client.get("/wallboard", headers=as_browser)
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Sin permiso" in page.text and 'href="/"' in page.text and "requires role" not in page.text

    missing = client.get("/recordings/999999", headers=as_browser)
    assert missing.status_code == 404 and "Página no encontrada" in missing.text

    api = client.get("/api/users", headers=as_browser)  # the API answers programs, whatever they accept
    assert api.status_code == 403 and api.json()["detail"]
    assert client.get("/wallboard").json()["detail"]  # no text/html asked: the JSON as before
