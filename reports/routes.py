"""Thin HTTP layer of the KPI engine: the KPI query, drill-down, abandoned callers (and calling them
back), live figures, per-queue report settings. Logic is in reports/service.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from api.deps import client_of, require_admin, require_supervisor
from api.errors import responses
from api.users.models import User
from centralita.db import get_session
from centralita.timeutil import utcnow
from reports import service
from reports.schemas import (
    AbandonedOut,
    CallbackOut,
    CallsOut,
    KpiOut,
    QueueSettingsIn,
    QueueSettingsOut,
    parse_query,
)

router = APIRouter(tags=["reports"])
QUERY_ERRORS = responses(422)


def _query(
    queue: list[str] = Query([], description="Queue names (repeat the parameter); empty: all"),
    since: str = Query(..., description="Start, ISO 8601 (UTC when no offset)", examples=["2026-11-01T00:00:00Z"]),
    until: str = Query(..., description="End (exclusive), ISO 8601; at most 400 days after since"),
    group_by: str = Query(
        "queue",
        description="queue, agent, flow_version, did, campaign, hour, weekday, day, "
        "interval, week, month or none; a comma list for several",
    ),
    agent: str | None = None,
    did: str | None = None,
    flow_version: str | None = Query(None, description='e.g. "main/v2"'),
    campaign: str | None = None,
):
    return parse_query(
        queue=queue,
        since=since,
        until=until,
        group_by=group_by,
        agent=agent,
        did=did,
        flow_version=flow_version,
        campaign=campaign,
    )


@router.get("/reports/kpi", response_model=KpiOut, responses=QUERY_ERRORS, dependencies=[Depends(require_supervisor)])
def kpi(q=Depends(_query), session: Session = Depends(get_session)) -> KpiOut:
    """KPIs per group over a period; every name is defined in reports/KPIS.md."""
    return KpiOut(rows=service.kpi(session, q))


@router.get(
    "/reports/calls", response_model=CallsOut, responses=QUERY_ERRORS, dependencies=[Depends(require_supervisor)]
)
def calls(
    q=Depends(_query),
    limit: int = Query(100, ge=1, le=1000, description="Rows to return"),
    offset: int = Query(0, ge=0, le=10_000_000, description="Rows to skip"),
    session: Session = Depends(get_session),
) -> CallsOut:
    """The queue visits behind a KPI row, with their recording when there is one."""
    return CallsOut(rows=service.calls(session, q, limit, offset), limit=limit, offset=offset)


@router.get(
    "/reports/abandoned",
    response_model=AbandonedOut,
    responses=QUERY_ERRORS,
    dependencies=[Depends(require_supervisor)],
)
def abandoned(
    queue: list[str] = Query([]),
    include_called_back: bool = Query(False, description="Also the callers someone has called back"),
    session: Session = Depends(get_session),
) -> AbandonedOut:
    """Today's abandoned callers (since the day start in the center's zone) not called back since."""
    return AbandonedOut(rows=service.abandoned_today(session, queue, utcnow(), pending_only=not include_called_back))


@router.post(
    "/reports/abandoned/{callid}/callback",
    response_model=CallbackOut,
    status_code=201,
    responses=responses(404, 409, 422),
)
def callback(
    callid: str,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> CallbackOut:
    """Call an abandoned caller back: the queues runtime places the callback at their place in line."""
    cb = service.request_callback(session, callid, user=user, client=client_of(request))
    session.commit()
    return CallbackOut(callid=cb.callid, queue=cb.queue, number=cb.number, status=cb.status)


@router.get("/reports/dialer", responses=QUERY_ERRORS, dependencies=[Depends(require_supervisor)])
def dialer(q=Depends(_query), session: Session = Depends(get_session)) -> dict:
    """The dialer's figures per campaign and day (dialer/report.py), for the query's days (`campaign` filters)."""
    return {"campaigns": service.dialer(session, q)}


@router.get("/reports/live", responses=QUERY_ERRORS, dependencies=[Depends(require_supervisor)])
def live(queue: list[str] = Query([]), session: Session = Depends(get_session)) -> dict:
    """Today so far and the last 60 minutes per queue (the same figures the `reports.kpi` events carry)."""
    return service.live(session, queue)


@router.get(
    "/reports/queues/{queue}/settings",
    response_model=QueueSettingsOut,
    responses=QUERY_ERRORS,
    dependencies=[Depends(require_supervisor)],
)
def get_settings_(queue: str, session: Session = Depends(get_session)) -> dict:
    return service.get_queue_settings(session, queue)


@router.put("/reports/queues/{queue}/settings", response_model=QueueSettingsOut, responses=responses(404, 422))
def put_settings(
    queue: str,
    data: QueueSettingsIn,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> dict:
    out = service.put_queue_settings(session, queue, data, user=user, client=client_of(request))
    session.commit()
    return out
