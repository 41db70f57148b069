"""GET /api/audit: admins read who did what; filters and paging, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from api.audit import service
from api.audit.schemas import AuditEntry, AuditPage
from api.deps import require_admin
from api.types import Offset, Timestamp
from centralita.db import get_session

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage, dependencies=[Depends(require_admin)])
def list_audit(
    action: str | None = Query(None, max_length=64, description="Exact action, e.g. auth.login_failed"),
    user: str | None = Query(None, max_length=64, description="Username that acted"),
    target: str | None = Query(None, max_length=200, description="Exact target, e.g. user:ana or did:311"),
    since: Timestamp | None = Query(None, description="From this time (inclusive; naive means UTC)"),
    until: Timestamp | None = Query(None, description="Up to this time (exclusive; naive means UTC)"),
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
    session: Session = Depends(get_session),
) -> AuditPage:
    rows, total = service.search(
        session, action=action, username=user, target=target, since=since, until=until, limit=limit, offset=offset
    )
    return AuditPage(total=total, limit=limit, offset=offset, items=[AuditEntry.model_validate(r) for r in rows])
