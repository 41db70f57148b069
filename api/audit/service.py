"""Writing and reading the audit log. Callers commit, so an audit row lands with the change it describes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.audit.models import AuditLog


def record(
    session: Session, action: str, *, user: Any = None, target: str = "", detail: dict | None = None, client: str = ""
) -> AuditLog:
    """Add one audit row to the session (not committed here: the caller's commit makes it atomic)."""
    row = AuditLog(
        action=action[:64],
        user_id=getattr(user, "id", None),
        username=(getattr(user, "username", "") or "")[:64],
        target=str(target)[:200],
        detail=detail or {},
        client=(client or "")[:64],
    )
    session.add(row)
    return row


def _aware(value: datetime | None) -> datetime | None:
    # Query strings often carry naive times; everything stored is UTC, so read them as UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def search(
    session: Session,
    *,
    action: str | None = None,
    username: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditLog], int]:
    """Newest first; returns (page, total matching) so a client can page through everything."""
    conditions = []
    if action:
        conditions.append(AuditLog.action == action)
    if username:
        conditions.append(AuditLog.username == username)
    if target:
        conditions.append(AuditLog.target == target)
    if since := _aware(since):
        conditions.append(AuditLog.at >= since)
    if until := _aware(until):
        conditions.append(AuditLog.at < until)
    total = session.exec(select(func.count()).select_from(AuditLog).where(*conditions)).one()
    rows = session.exec(
        select(AuditLog)
        .where(*conditions)
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)
