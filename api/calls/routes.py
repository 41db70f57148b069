"""GET /api/calls: call records with filters and paging."""

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from api.calls import service
from api.calls.schemas import CallOut, CallPage
from api.deps import require_supervisor
from api.errors import responses
from api.types import Id, Offset, Timestamp
from centralita.db import get_session
from centralita.errors import FieldError, NotFound

router = APIRouter(tags=["calls"])

Disposition = Literal["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"]


@router.get("/calls", response_model=CallPage, dependencies=[Depends(require_supervisor)])
def list_calls(
    caller: str | None = Query(None, max_length=80, description="Part of the caller number"),
    did: str | None = Query(None, max_length=32),
    disposition: Disposition | None = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    linkedid: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
    session: Session = Depends(get_session),
) -> CallPage:
    if since and until and since >= until:
        raise FieldError("until", "must be later than since")
    filters = service.CallFilters(
        caller=caller, did=did, disposition=disposition, since=since, until=until, linkedid=linkedid
    )
    total, rows = service.list_calls(session, filters, limit, offset)
    return CallPage(
        total=total, limit=limit, offset=offset, items=[CallOut.model_validate(r, from_attributes=True) for r in rows]
    )


@router.get(
    "/calls/{call_id}", response_model=CallOut, dependencies=[Depends(require_supervisor)], responses=responses(404)
)
def get_call(call_id: Id, session: Session = Depends(get_session)) -> CallOut:
    from api.calls.models import CallRecord

    record = session.get(CallRecord, call_id)
    if record is None:
        raise NotFound("call_id", f"no call {call_id}")
    return CallOut.model_validate(record, from_attributes=True)
