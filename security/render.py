"""What SIP security adds to every render: the banned addresses (a PJSIP ACL), how requests are
identified, agents' outbound routes, TLS/SRTP, and per-mailbox voicemail PINs."""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session

from centralita.settings import Settings, SettingsError
from centralita.timeutil import utcnow

TLS_DIR = "keys"  # inside Asterisk's config directory: the chroot cannot read the host's paths


def trunk_first(settings: Settings) -> bool:
    """Identify by the trunk's address before softphone user names? From the trunk's address every REGISTER
    then meets the trunk (one answer for every name). On a loopback-only PJSIP nothing remote reaches
    it, and the demo's trunk shares 127.0.0.1 with local softphones, so there it stays off."""
    if settings.sip_trunk_first is not None:
        return settings.sip_trunk_first
    return not settings.sip_bind.startswith("127.")


def outbound_routes(settings: Settings) -> list[str]:
    return [p.strip() for p in settings.outbound_routes.split(",") if p.strip()]


def voicemail_pin(settings: Settings, box: str) -> str:
    """A box's PIN: derived from the secret key, so it is stable across renders and guessable by nobody.
    VoiceMailMain (where a PIN would be typed) is in no context: callers only leave messages."""
    digest = hmac.new(settings.secret_key.encode() or b"-", f"voicemail:{box}".encode(), hashlib.sha256)
    return str(int(digest.hexdigest(), 16))[-8:]


def _tls(settings: Settings) -> dict:
    if not settings.sip_tls_port:
        return {"enabled": False}
    for name in ("sip_tls_cert", "sip_tls_key"):
        path = getattr(settings, name)
        if path is None or not path.is_file():
            raise SettingsError(f"CENTRALITA_{name.upper()} must name a readable PEM file with CENTRALITA_SIP_TLS_PORT")
    return {"enabled": True, "ca": settings.sip_tls_ca is not None}


def context(settings: Settings, paths, session: Session | None) -> dict:
    bans: list[str] = []
    if session is not None:
        from security.service import banned_ips

        bans = banned_ips(session, utcnow())
    return {
        "sip_bans": bans,
        "sip_trunk_first": trunk_first(settings),
        "outbound_routes": outbound_routes(settings),
        "sip_tls": _tls(settings),
        "sip_tls_dir": f"{paths.etc}/{TLS_DIR}",
        "voicemail_pin": lambda box: voicemail_pin(settings, box),
    }


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    if not _tls(settings)["enabled"] or settings.sip_tls_cert is None or settings.sip_tls_key is None:
        return {}
    out = {
        f"{TLS_DIR}/sip.crt": settings.sip_tls_cert.read_bytes(),
        f"{TLS_DIR}/sip.key": settings.sip_tls_key.read_bytes(),
    }
    if settings.sip_tls_ca is not None:
        out[f"{TLS_DIR}/ca.crt"] = settings.sip_tls_ca.read_bytes()
    return out
