"""Per queue / flow / campaign recording settings (RecordingSetting): record or not, and language.

A scope without a setting is recorded in the default language (recording is on by default). The
dialplan reads the settings from `[centralita-record-settings]` (extensions_recorder.conf), so a
change is applied by a dialplan reload; callers of `put` do that after the commit.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from centralita.errors import FieldError, NotFound
from recorder.models import RecordingSetting

SCOPES = ("queue", "flow", "campaign")
LANGUAGES = ("es", "en")  # the sentiment lexicons recorder/analytics.py has


def dialplan_key(scope: str, name: str) -> str:
    """The extension in [centralita-record-settings]; the dialplan builds the same with
    ${ARG2}_${FILTER(A-Za-z0-9_,${ARG3})} (FILTER drops every byte of a non-ASCII letter, as here)."""
    return f"{scope}_{re.sub(r'[^A-Za-z0-9_]', '', name)}"


def _check(scope: str, name: str, language: str | None) -> None:
    if scope not in SCOPES:
        raise FieldError("scope", f"must be one of {', '.join(SCOPES)}")
    if not name or len(name) > 64 or not dialplan_key(scope, name).split("_", 1)[1]:
        raise FieldError("name", "1-64 characters, with at least one letter or digit")
    if language is not None and language not in LANGUAGES:
        raise FieldError("language", f"must be one of {', '.join(LANGUAGES)}")


def put(
    session: Session, scope: str, name: str, record: bool | None = None, language: str | None = None
) -> RecordingSetting:
    """Create or change one scope's setting (not committed here)."""
    _check(scope, name, language)
    row = session.exec(
        select(RecordingSetting).where(RecordingSetting.scope == scope, RecordingSetting.name == name)
    ).first()
    if row is None:
        row = RecordingSetting(scope=scope, name=name)
    if record is not None:
        row.record = record
    if language is not None:
        row.language = language
    session.add(row)
    session.flush()
    return row


def remove(session: Session, scope: str, name: str) -> None:
    _check(scope, name, None)
    row = session.exec(
        select(RecordingSetting).where(RecordingSetting.scope == scope, RecordingSetting.name == name)
    ).first()
    if row is None:
        raise NotFound("name", f"no recording setting for {scope} {name!r}")
    session.delete(row)


def list_all(session: Session) -> list[RecordingSetting]:
    return list(session.exec(select(RecordingSetting).order_by(RecordingSetting.scope, RecordingSetting.name)))


def effective(session: Session, scope: str, name: str, default_language: str) -> tuple[bool, str]:
    """(record?, language) for calls of this scope."""
    row = session.exec(
        select(RecordingSetting).where(RecordingSetting.scope == scope, RecordingSetting.name == name)
    ).first()
    return (True, default_language) if row is None else (row.record, row.language)
