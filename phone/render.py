"""What the browser phone adds to Asterisk's config: the websocket transport(s), one WebRTC endpoint
`<agent>-web` per registering agent softphone (pjsip.conf), the wss listener (http.conf) and ICE
(rtp.conf: STUN, TURN, host-candidate mapping). See phone/service.py for why a second endpoint."""

from __future__ import annotations

from sqlmodel import Session

from centralita.settings import Settings, SettingsError
from phone import service
from queues.service import active_endpoints

TLS_DIR = "keys"


def _wss(settings: Settings) -> bool:
    if not settings.webrtc_https_port:
        return False
    for name in ("webrtc_https_cert", "webrtc_https_key"):
        path = getattr(settings, name)
        if path is None or not path.is_file():
            raise SettingsError(f"CENTRALITA_{name.upper()} must name a readable PEM file with a wss port")
    return True


def context(settings: Settings, paths, session: Session | None) -> dict:
    endpoints = []
    if settings.webrtc_enabled and session is not None:
        for ep in active_endpoints(session):
            if ep.contact:  # a fixed desk phone or gateway: no browser
                continue
            endpoints.append(
                {
                    "agent": ep.username,
                    "username": service.web_username(ep.username),
                    "password": service.web_password(settings, ep),
                    "extension": ep.extension,
                }
            )
    if bool(settings.webrtc_ice_host_address) != bool(settings.webrtc_ice_host_local):
        raise SettingsError("CENTRALITA_WEBRTC_ICE_HOST_ADDRESS and CENTRALITA_WEBRTC_ICE_HOST_LOCAL go together")
    return {
        "webrtc": {
            "enabled": settings.webrtc_enabled,
            "wss": _wss(settings),
            "tls_dir": f"{paths.etc}/{TLS_DIR}",
            "endpoints": endpoints,
        },
        "web_phones": {e["agent"]: e["username"] for e in endpoints},
    }


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    if not _wss(settings) or settings.webrtc_https_cert is None or settings.webrtc_https_key is None:
        return {}
    return {
        f"{TLS_DIR}/webrtc.crt": settings.webrtc_https_cert.read_bytes(),
        f"{TLS_DIR}/webrtc.key": settings.webrtc_https_key.read_bytes(),
    }
