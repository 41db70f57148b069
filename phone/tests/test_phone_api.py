"""The browser phone's API: credentials only for the caller's own endpoint (never cached), the SIP
websocket relay (needs the web session, same origin, relays both ways with the `sip` subprotocol),
and what the render adds to Asterisk's config."""

from __future__ import annotations

import asyncio
import re
import socket
import threading

import pytest
import websockets
from fastapi.testclient import TestClient
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from api.users import service as users
from centralita.db import session_scope
from centralita.settings import get_settings, reset_settings_cache
from queues import service as queues
from queues.models import AgentEndpoint


@pytest.fixture
def client(stack_env):
    from api.app import create_app

    with session_scope() as s:
        users.create_user(s, "marta", "correct-horse-1", role="supervisor")
        for name, ext in (("ana", "201"), ("luis", "202")):
            users.create_user(s, name, "correct-horse-2", role="agent")
            queues.create_agent(s, name, ext)
    app = create_app(with_runtime=False)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def login(client, user, password):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": user, "password": password, "csrf": token}).status_code == 303


def test_an_agent_gets_only_their_own_browser_phone_never_cached(client):
    from phone.service import web_password

    login(client, "ana", "correct-horse-2")
    res = client.get("/api/agents/me/phone")
    assert res.status_code == 200
    assert res.headers["cache-control"] == "no-store"
    body = res.json()
    assert body["ws_url"] == "ws://testserver/api/phone/ws"  # the page's own origin
    assert body["username"] == "ana-web" and body["sip_uri"].startswith("sip:ana-web@")
    assert body["extension"] == "201" and body["ice_servers"] == []
    with session_scope() as s:
        eps = {e.username: e for e in s.exec(select(AgentEndpoint))}
        settings = get_settings()
        assert body["password"] == web_password(settings, eps["ana"])
        others = {eps["luis"].sip_password, web_password(settings, eps["luis"]), eps["ana"].sip_password}
    assert not any(p in res.text for p in others)  # never luis's, nor ana's own desk softphone password
    assert "luis" not in res.text


def test_the_route_refuses_without_login_and_a_user_without_a_phone(client):
    client.cookies.clear()
    assert client.get("/api/agents/me/phone").status_code == 401
    login(client, "marta", "correct-horse-1")  # a supervisor with no agent endpoint
    res = client.get("/api/agents/me/phone")
    assert res.status_code == 404 and "phone" not in res.json() and "password" not in res.text


def test_ice_servers_carry_stun_and_turn(client, monkeypatch):
    monkeypatch.setenv("CENTRALITA_WEBRTC_STUN_SERVER", "stun.example.org:3478")
    monkeypatch.setenv("CENTRALITA_WEBRTC_TURN_SERVER", "turn.example.org:3478")
    monkeypatch.setenv("CENTRALITA_WEBRTC_TURN_USERNAME", "agentes")
    monkeypatch.setenv("CENTRALITA_WEBRTC_TURN_PASSWORD", "s3cret")
    reset_settings_cache()
    login(client, "ana", "correct-horse-2")
    assert client.get("/api/agents/me/phone", headers={"host": "cc.example.org"}).json()["ice_servers"] == [
        {"urls": ["stun:stun.example.org:3478"], "username": None, "credential": None},
        {"urls": ["turn:turn.example.org:3478?transport=udp"], "username": "agentes", "credential": "s3cret"},
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake_asterisk(monkeypatch):
    """A websocket server standing in for Asterisk's /ws: echoes every frame with a prefix."""
    port = _free_port()
    seen: dict = {}
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    async def handler(ws):
        seen["subprotocol"] = ws.subprotocol
        seen["path"] = ws.request.path
        async for msg in ws:
            await ws.send(("asterisk:" + msg) if isinstance(msg, str) else msg)

    async def main():
        async with websockets.serve(handler, "127.0.0.1", port, subprotocols=[websockets.Subprotocol("sip")]):
            ready.set()
            await stop

    stop = loop.create_future()
    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert ready.wait(5)
    monkeypatch.setenv("CENTRALITA_ARI_PORT", str(port))
    reset_settings_cache()
    yield seen
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(5)


def _close_code(client, **kw) -> int:
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/api/phone/ws", subprotocols=["sip"], **kw) as ws:
            ws.receive_text()
    return info.value.code


def test_the_sip_websocket_needs_the_session_and_relays_both_ways(client, fake_asterisk):
    client.cookies.clear()
    assert _close_code(client) == 4401  # no session: closed before anything reaches Asterisk
    assert "path" not in fake_asterisk
    login(client, "ana", "correct-horse-2")
    assert _close_code(client, headers={"origin": "http://evil.example"}) == 4403
    with client.websocket_connect("/api/phone/ws", subprotocols=["sip"], headers={"origin": "http://testserver"}) as ws:
        assert ws.accepted_subprotocol == "sip"
        ws.send_text("REGISTER sip:centralita SIP/2.0\r\n\r\n")
        assert ws.receive_text() == "asterisk:REGISTER sip:centralita SIP/2.0\r\n\r\n"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_bytes() == b"\x00\x01"
    assert fake_asterisk == {"subprotocol": "sip", "path": "/ws"}


def test_the_relay_says_so_when_asterisk_is_down(client, monkeypatch):
    monkeypatch.setenv("CENTRALITA_ARI_PORT", str(_free_port()))
    reset_settings_cache()
    login(client, "ana", "correct-horse-2")
    assert _close_code(client) == 1011


def test_the_render_adds_the_ws_transport_and_one_webrtc_endpoint_per_agent(client, tmp_path):
    from centralita.telephony.pbx import standard_paths
    from centralita.telephony.render import render_files

    settings = get_settings()
    with session_scope() as s:
        files = render_files(settings, standard_paths(tmp_path / "etc"), s)
    pjsip = files["pjsip.conf"].decode()
    assert "[transport-ws]\ntype = transport\nprotocol = ws" in pjsip
    block = pjsip.split("[ana-web]\ntype = endpoint", 1)[1].split("\n\n", 1)[0]
    assert "webrtc = yes" in block and "allow = ulaw,alaw,opus" in block and "transport = transport-ws" in block
    aor = pjsip.split("[ana-web]\ntype = aor", 1)[1].split("\n\n", 1)[0]
    assert "max_contacts = 1" in aor and "remove_existing = no" in aor
    assert "load => res_pjsip_transport_websocket.so" in files["modules.conf"].decode()
    assert "icesupport = yes" in files["rtp.conf"].decode()
    # the agent's extension rings the desk softphone and the browser phone; first to answer takes it
    assert "Dial(PJSIP/ana&PJSIP/ana-web,30," in files["extensions.conf"].decode()
    assert "tlsenable" not in files["http.conf"].decode()  # wss only with certificate settings


def test_the_agent_page_needs_a_login_and_carries_no_credentials(client):
    client.cookies.clear()
    res = client.get("/agent")
    assert res.status_code == 303 and res.headers["location"] == "/login"
    login(client, "ana", "correct-horse-2")
    page = client.get("/agent")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<script src="/static/vendor/jssip.min.js"></script>' in html and "/static/phone.js" in html
    assert 'lang="es"' in html and "Contestar" in html and "Transferir" in html
    with session_scope() as s:
        ana = s.exec(select(AgentEndpoint).where(AgentEndpoint.username == "ana")).one()
        assert ana.sip_password not in html
    from phone.service import web_password

    with session_scope() as s:
        assert web_password(get_settings(), s.exec(select(AgentEndpoint)).first()) not in html
    for static in (
        "/static/phone.js",
        "/static/agent.js",
        "/static/agent_state.js",
        "/static/disposition.js",
        "/static/agent.css",
        "/static/vendor/jssip.min.js",
    ):
        assert client.get(static).status_code == 200, static


def test_the_agent_page_has_the_state_controls_and_the_disposition_form_only_for_an_agent(client):
    login(client, "ana", "correct-horse-2")
    html = client.get("/agent").text
    assert 'id="ag" data-agent="ana"' in html and "Entrar en mis colas" in html and "Salir de las colas" in html
    assert '<option value="lunch">almuerzo</option>' in html  # the pause reasons of POST /api/agents/{u}/pause
    assert '<option value="reclamo">Reclamo registrado</option>' in html  # CENTRALITA_CALL_DISPOSITIONS
    assert 'id="disp"' in html and 'maxlength="1000"' in html
    # a user without an agent phone gets neither: the page says only why (phone.js)
    login(client, "marta", "correct-horse-1")
    html = client.get("/agent").text
    assert 'id="ag"' not in html and 'id="disp"' not in html and "no_agent" in html


def test_wss_needs_its_certificate_and_renders_tls(client, monkeypatch, tmp_path):
    from centralita.settings import SettingsError
    from centralita.telephony.pbx import standard_paths
    from centralita.telephony.render import render_files

    monkeypatch.setenv("CENTRALITA_WEBRTC_HTTPS_PORT", "8089")
    reset_settings_cache()
    with session_scope() as s, pytest.raises(SettingsError, match="WEBRTC_HTTPS_CERT"):
        render_files(get_settings(), standard_paths(tmp_path / "etc"), s)
    for name in ("crt", "key"):
        (tmp_path / f"w.{name}").write_text("PEM")
    monkeypatch.setenv("CENTRALITA_WEBRTC_HTTPS_CERT", str(tmp_path / "w.crt"))
    monkeypatch.setenv("CENTRALITA_WEBRTC_HTTPS_KEY", str(tmp_path / "w.key"))
    reset_settings_cache()
    with session_scope() as s:
        files = render_files(get_settings(), standard_paths(tmp_path / "etc"), s)
    assert (
        "tlsenable = yes" in files["http.conf"].decode() and "tlsbindaddr = 0.0.0.0:8089" in files["http.conf"].decode()
    )
    pjsip = files["pjsip.conf"].decode()
    assert "[transport-wss]\ntype = transport\nprotocol = wss" in pjsip
    # with both transports an endpoint is not pinned to one: it is reached over the one it registered on
    assert "transport = transport-ws" not in pjsip.split("[ana-web]\ntype = endpoint", 1)[1].split("\n\n", 1)[0]
