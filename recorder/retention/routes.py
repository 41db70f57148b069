"""HTTP routes of retention (policies, legal hold, purge); included by recorder/routes.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from api.deps import client_of, require_admin, require_supervisor
from api.errors import responses
from api.types import Id
from api.users.models import User
from centralita.db import get_session
from recorder.retention import service
from recorder.retention.schemas import HoldIn, HoldOut, PolicyIn, PolicyOut

router = APIRouter(tags=["recordings"])


@router.get("/recordings/retention/policies", response_model=list[PolicyOut])
def list_policies(session: Session = Depends(get_session), _: User = Depends(require_supervisor)):
    return [PolicyOut(name=p.name, days=p.days, match=p.match) for p in service.policies(session)]


@router.put("/recordings/retention/policies/{name}", response_model=PolicyOut)
def put_policy(
    name: str,
    body: PolicyIn,
    request: Request,
    session: Session = Depends(get_session),
    user: User = Depends(require_admin),
):
    policy = service.save_policy(session, name, body.days, body.match)
    from api.audit.service import record

    record(
        session,
        "retention.policy",
        user=user,
        target=f"policy:{name}",
        detail={"days": body.days, "match": body.match},
        client=client_of(request),
    )
    session.commit()
    return PolicyOut(name=policy.name, days=policy.days, match=policy.match)


def _hold(fn, recording_id: int, body: HoldIn, request: Request, session: Session, user: User) -> HoldOut:
    rec = fn(session, recording_id, body.reason, user=user, client=client_of(request))
    session.commit()
    return HoldOut(id=rec.id, legal_hold=rec.legal_hold, legal_hold_reason=rec.legal_hold_reason)


@router.post("/recordings/{recording_id}/hold", response_model=HoldOut, responses=responses(404, 409))
def set_hold(
    recording_id: Id,
    body: HoldIn,
    request: Request,
    session: Session = Depends(get_session),
    user: User = Depends(require_admin),
):
    return _hold(service.set_hold, recording_id, body, request, session, user)


@router.post("/recordings/{recording_id}/release", response_model=HoldOut, responses=responses(404, 409))
def release_hold(
    recording_id: Id,
    body: HoldIn,
    request: Request,
    session: Session = Depends(get_session),
    user: User = Depends(require_admin),
):
    return _hold(service.release_hold, recording_id, body, request, session, user)


@router.post("/recordings/retention/purge")
def purge(request: Request, dry_run: bool = True, user: User = Depends(require_admin)):
    """Purge expired recordings not on hold (dry run unless `dry_run=false`)."""
    return service.purge(dry_run=dry_run, user=user, client=client_of(request))


@router.get("/recordings/pipeline/backlog")
def backlog(_: User = Depends(require_supervisor)):
    """Recordings per pipeline stage and the share finished."""
    from recorder.pipeline.sweep import backlog as count

    return count()
