"""GET /api/calls: call records with filters and paging; POST /api/calls/{linkedid}/disposition: an
agent's result of a call they were on."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlmodel import Session

from api.calls import dispositions, service
from api.calls.models import CallRecord
from api.calls.schemas import CallOut, CallPage, DispositionIn, DispositionOut
from api.deps import client_of, require_agent, require_supervisor
from api.errors import responses
from api.types import Id, Offset, Timestamp
from api.users.models import User
from centralita.db import get_session
from centralita.errors import FieldError, NotFound
from centralita.settings import get_settings

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
    return CallPage(total=total, limit=limit, offset=offset, items=_out(session, rows))


def _out(session: Session, rows: list[CallRecord]) -> list[CallOut]:
    """Call records with the agents their channels name and the agents' dispositions."""
    agents = dispositions.known_agents(session)
    given = dispositions.of_calls(session, [r.linkedid for r in rows])
    return [
        CallOut.model_validate(r, from_attributes=True).model_copy(
            update={
                "agents": dispositions.agents_in(list(r.channels), agents),
                "dispositions": [DispositionOut.model_validate(d) for d in given.get(r.linkedid, [])],
            }
        )
        for r in rows
    ]


@router.get("/calls/dispositions", response_model=list[str], dependencies=[Depends(require_agent)])
def disposition_codes() -> list[str]:
    """The codes an agent may give a call (CENTRALITA_CALL_DISPOSITIONS), in the order to offer them."""
    return dispositions.codes(get_settings())


@router.get(
    "/calls/{call_id}", response_model=CallOut, dependencies=[Depends(require_supervisor)], responses=responses(404)
)
def get_call(call_id: Id, session: Session = Depends(get_session)) -> CallOut:
    record = session.get(CallRecord, call_id)
    if record is None:
        raise NotFound("call_id", f"no call {call_id}")
    return _out(session, [record])[0]


@router.post(
    "/calls/{linkedid}/disposition",
    response_model=DispositionOut,
    status_code=201,
    responses=responses(403, 404, 409),
)
def give_disposition(
    body: DispositionIn,
    request: Request,
    linkedid: str = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="The call's linkedid."),
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> DispositionOut:
    """The result of a call one of the caller's phones was on: a code and a note, once per agent and call
    (403 for a call they were not on, 404 for no such call, 409 when already given)."""
    agent = dispositions.owner(session, linkedid, user)
    if not agent:
        raise HTTPException(403, "only an agent who was on this call may give its disposition")
    row = dispositions.dispose(
        session, get_settings(), linkedid, agent, body.code, body.note, user=user, client=client_of(request)
    )
    out = DispositionOut.model_validate(row)
    session.commit()
    return out
