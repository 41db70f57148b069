"""The browser phone's credentials and ICE servers.

Every agent softphone `<agent>` (queues/) gets a second PJSIP endpoint `<agent>-web` for the browser
(WebRTC: DTLS-SRTP, ICE, AVPF, opus). Why a second endpoint and not one endpoint with two contacts:
a WebRTC endpoint (`webrtc=yes`) refuses plain RTP, so a desk softphone cannot share it; and each of
the two keeps issue 10's rule — one live registration (max_contacts=1, remove_existing=no), so a
second registration (another tab, a guessed password) never takes over a phone that still answers.
Its password is derived from the secret key and the softphone's password (stable across renders,
new when the softphone's password changes; knowing one password does not give the other)."""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, select

from api.users.models import User
from centralita.errors import NotFound
from centralita.settings import Settings
from centralita.telephony import endpoints
from queues.models import AgentEndpoint

WS_PATH = "/api/phone/ws"


def web_username(agent: str) -> str:
    return endpoints.endpoint(agent, "web")


def web_password(settings: Settings, endpoint: AgentEndpoint) -> str:
    key = (settings.secret_key or "-").encode()
    msg = f"webrtc:{endpoint.username}:{endpoint.sip_password}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


def ice_servers(settings: Settings) -> list[dict]:
    """RTCPeerConnection's iceServers: the same STUN/TURN servers Asterisk uses (rtp.conf)."""
    out: list[dict] = []
    if settings.webrtc_stun_server:
        out.append({"urls": [f"stun:{settings.webrtc_stun_server}"]})
    if settings.webrtc_turn_server:
        out.append(
            {
                "urls": [f"turn:{settings.webrtc_turn_server}?transport=udp"],
                "username": settings.webrtc_turn_username,
                "credential": settings.webrtc_turn_password,
            }
        )
    return out


def endpoint_of(session: Session, user: User) -> AgentEndpoint:
    endpoint = session.exec(select(AgentEndpoint).where(AgentEndpoint.user_id == user.id)).first()
    if endpoint is None:
        raise NotFound("agent", f"user '{user.username}' has no agent phone")
    return endpoint


def phone_config(settings: Settings, session: Session, user: User, origin: str) -> dict:
    """What the browser phone registers with: only ever the caller's own endpoint."""
    if not settings.webrtc_enabled:
        raise NotFound("phone", "the browser phone is turned off (CENTRALITA_WEBRTC_ENABLED)")
    endpoint = endpoint_of(session, user)
    scheme = "wss" if origin.startswith("https:") else "ws"
    host = origin.split("://", 1)[-1]
    name = web_username(endpoint.username)
    domain = settings.sip_external_signaling_address or "centralita.invalid"
    return {
        "ws_url": f"{scheme}://{host}{WS_PATH}",
        "sip_uri": f"sip:{name}@{domain}",
        "username": name,
        "password": web_password(settings, endpoint),
        "display_name": endpoint.username,
        "extension": endpoint.extension,
        "ice_servers": ice_servers(settings),
    }
