"""What the recorder adds to Asterisk's config: the recordings directory and the per-scope settings
read by [centralita-record] (asterisk/templates/extensions_recorder.conf.j2)."""

from __future__ import annotations

from sqlmodel import Session

from centralita.settings import Settings


def recordings_dir(paths) -> str:
    """Where MixMonitor writes, as Asterisk sees it (Paths.host maps it to our side)."""
    return f"{paths.spool}/monitor"  # Asterisk's own monitor directory (the compose volume `recordings`)


def context(settings: Settings, paths, session: Session | None) -> dict:
    from recorder import capture_settings

    rows = capture_settings.list_all(session) if session is not None else []
    return {
        "rec_dir": recordings_dir(paths),
        "rec_language": settings.recorder_language,
        "rec_settings": [
            {"key": capture_settings.dialplan_key(r.scope, r.name), "record": r.record, "language": r.language}
            for r in rows
        ],
    }


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    return {}
