"""Finding recordings: full text over the (redacted) transcripts combined with metadata filters.

The text index is the database's own: SQLite FTS5 (`recordings_fts`, kept by triggers) or
PostgreSQL's GIN index on to_tsvector('simple', transcript_text) (recorder_0001). Both use no
stemming, so Spanish, English and the Korean test model match the same way: every word given must
occur in the transcript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, String, cast, false, func, or_, text
from sqlmodel import Session, col, select

from centralita.errors import FieldError
from recorder.models import Recording

MAX_LIMIT = 500


@dataclass
class Filters:
    q: str = ""  # words that must all occur in the transcript
    since: datetime | None = None  # started_at >= since
    until: datetime | None = None  # started_at < until
    agent: str = ""
    queue: str = ""
    caller: str = ""  # exact number, or a prefix ending in '*' (e.g. 507*)
    direction: str = ""
    campaign: str = ""
    sentiment_min: float | None = None  # of the caller, -1..1
    sentiment_max: float | None = None
    category: str = ""
    tag: str = ""
    min_duration: float | None = None
    max_duration: float | None = None
    stage: str = ""
    deny_all: bool = False  # an agent account without a softphone: sees nothing
    limit: int = 50
    offset: int = 0

    def as_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != "" and f.name not in ("limit", "offset", "deny_all"):
                out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _fts5_query(q: str) -> str:
    """Each word quoted: the user's text is never FTS5 syntax (AND/OR/NEAR, '*', '"' are just words)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in q.split())


def _json_contains(column, value: str):
    """A JSON list column holding `value`, the same on SQLite and PostgreSQL: the stored JSON text
    contains the value's JSON string (json.dumps, as SQLAlchemy serialised it)."""
    needle = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f"%{needle}%", escape="\\")


def conditions(session: Session, f: Filters) -> list[ColumnElement[bool]]:
    if f.limit < 1 or f.limit > MAX_LIMIT:
        raise FieldError("limit", f"between 1 and {MAX_LIMIT}")
    if f.offset < 0:
        raise FieldError("offset", "must not be negative")
    for lo, hi, name in (
        (f.since, f.until, "until"),
        (f.sentiment_min, f.sentiment_max, "sentiment_max"),
        (f.min_duration, f.max_duration, "max_duration"),
    ):
        if lo is not None and hi is not None and _cmp(hi) < _cmp(lo):
            raise FieldError(name, "is before/below the lower bound")
    out: list[ColumnElement[bool]] = [false()] if f.deny_all else []
    if f.q.strip():
        if len(f.q) > 200:
            raise FieldError("q", "at most 200 characters")
        if session.get_bind().dialect.name == "sqlite":
            out.append(
                col(Recording.id).in_(
                    select(text("rowid"))
                    .select_from(text("recordings_fts"))
                    .where(text("recordings_fts MATCH :fts"))
                    .params(fts=_fts5_query(f.q))
                )
            )
        else:
            out.append(
                func.to_tsvector("simple", Recording.transcript_text).op("@@")(func.plainto_tsquery("simple", f.q))
            )
    if f.since:
        out.append(col(Recording.started_at) >= _aware(f.since))
    if f.until:
        out.append(col(Recording.started_at) < _aware(f.until))
    if f.agent:
        # Every agent who spoke on the call (a call transferred to them names them in `agents`); `agent`
        # too, for recordings made before `agents` existed.
        out.append(or_(col(Recording.agent) == f.agent, _json_contains(Recording.agents, f.agent)))
    for name in ("queue", "direction", "campaign", "stage"):
        if getattr(f, name):
            out.append(getattr(Recording, name) == getattr(f, name))
    if f.caller:
        out.append(
            col(Recording.caller).startswith(f.caller[:-1])
            if f.caller.endswith("*")
            else col(Recording.caller) == f.caller
        )
    if f.sentiment_min is not None:
        out.append(col(Recording.sentiment_caller) >= f.sentiment_min)
    if f.sentiment_max is not None:
        out.append(col(Recording.sentiment_caller) <= f.sentiment_max)
    if f.min_duration is not None:
        out.append(col(Recording.duration) >= f.min_duration)
    if f.max_duration is not None:
        out.append(col(Recording.duration) <= f.max_duration)
    if f.category:
        out.append(_json_contains(Recording.categories, f.category))
    if f.tag:
        out.append(_json_contains(Recording.tags, f.tag))
    return out


def _cmp(value):
    return _aware(value) if isinstance(value, datetime) else value


def search(session: Session, f: Filters) -> tuple[list[Recording], int]:
    """(one page, newest first; total matching)."""
    where = conditions(session, f)
    total = session.exec(select(func.count()).select_from(Recording).where(*where)).one()
    rows = session.exec(
        select(Recording)
        .where(*where)
        .order_by(col(Recording.started_at).desc(), col(Recording.id).desc())
        .offset(f.offset)
        .limit(f.limit)
    ).all()
    return list(rows), int(total)


def agent_username(session: Session, user) -> str:
    """The agent endpoint of a user with the agent role ('' when none: they then see nothing)."""
    from queues.models import AgentEndpoint

    endpoint = session.exec(select(AgentEndpoint).where(AgentEndpoint.user_id == user.id)).first()
    return endpoint.username if endpoint else ""


def restrict_to_own(session: Session, user, f: Filters) -> Filters:
    """Agents see only their own calls — those they answered or spoke on after a transfer: the agent filter
    is forced to their endpoint."""
    if getattr(user, "role", "") == "agent":
        f.agent = agent_username(session, user)
        f.deny_all = not f.agent
    return f


def visible(session: Session, user, recording: Recording) -> bool:
    if getattr(user, "role", "") != "agent":
        return True
    mine = agent_username(session, user)
    return bool(mine) and (recording.agent == mine or mine in (recording.agents or []))
