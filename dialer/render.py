"""What the dialer adds to Asterisk's rendered config: the outbound contexts' settings
(extensions_dialer.conf) and the safe-harbor message, spoken by the TTS like the system prompts."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from centralita.settings import Settings

SAFE_HARBOR = "dialer-safe-harbor"


def context(settings: Settings, paths, session: Session | None) -> dict:
    return {"dialer_connect": settings.dialer_connect_seconds}


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    """The safe-harbor audio and its text's digest (render writes both, or neither)."""
    text, language = settings.dialer_safe_harbor_text, settings.language
    digest = hashlib.sha1(f"{language}:{text}".encode()).hexdigest()
    existing = paths.host(paths.prompts) / f"{SAFE_HARBOR}.wav"
    stamp = existing.with_suffix(".sha1")
    if existing.exists() and stamp.exists() and stamp.read_text() == digest:
        audio = existing.read_bytes()
    else:
        from centralita.telephony.render import tts_wav

        audio = tts_wav(text, language)
    return {f"prompts/{SAFE_HARBOR}.wav": audio, f"prompts/{SAFE_HARBOR}.sha1": digest.encode()}
