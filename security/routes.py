"""Bans and the security log over HTTP (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import IPvAnyAddress
from sqlmodel import Session

from api.deps import client_of, require_admin
from api.users.models import User
from centralita.db import get_session
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from security import service
from security.schemas import BanOut, SecurityEventOut, UnbanOut

router = APIRouter(tags=["security"])


def ban_out(ban) -> BanOut:
    return BanOut(
        ip=ban.ip, reason=ban.reason, failures=ban.failures, banned_at=ban.banned_at, expires_at=ban.expires_at
    )


@router.get("/security/bans", response_model=list[BanOut], dependencies=[Depends(require_admin)])
def list_bans(session: Session = Depends(get_session)) -> list[BanOut]:
    """SIP source addresses banned now (failed authentications), with when each ban ends."""
    return [ban_out(b) for b in service.active_bans(session, utcnow())]


@router.delete(
    "/security/bans/{ip}",
    response_model=UnbanOut,
    responses={404: {"description": "the address is not banned"}, 422: {"description": "not an IP address"}},
)
async def delete_ban(
    ip: IPvAnyAddress, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> UnbanOut:
    """Lift a ban now (audited); PJSIP's ACL is reloaded without a restart."""
    from centralita.telephony.apply import after_commit_async

    row = service.unban(session, str(ip), utcnow(), user=user, client=client_of(request))
    address = row.ip
    session.commit()
    applied = await after_commit_async(get_settings(), {"pjsip"}, [("security.bans", {})])
    return UnbanOut(ip=address, reloaded=applied.reloaded, warning=applied.warning)


@router.get("/security/events", response_model=list[SecurityEventOut], dependencies=[Depends(require_admin)])
def list_events(
    session: Session = Depends(get_session),
    kind: str | None = Query(None, max_length=40, description="e.g. ChallengeResponseFailed, TollRefused"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[SecurityEventOut]:
    """The security log, newest first: failed authentications and refused calls, with their source."""
    return [
        SecurityEventOut(at=e.at, kind=e.kind, ip=e.ip, account=e.account, service=e.service, detail=e.detail)
        for e in service.recent_events(session, limit, kind)
    ]
