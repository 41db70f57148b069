"""Staffing API (supervisors): forecast, week plans, forecast accuracy, adherence, CSV overrides and an
Erlang calculator. Thin: the service validates and computes; errors name the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from sqlmodel import Session

from api.deps import client_of, require_supervisor
from api.errors import responses
from api.types import Day, Id
from api.users.models import User
from centralita.db import get_session
from centralita.errors import FieldError
from reports.staffing import service
from reports.staffing.schemas import ErlangParams, PeriodParams, PlanBody, PlanParams

router = APIRouter(prefix="/reports/staffing", tags=["reports"], dependencies=[Depends(require_supervisor)])
NOT_FOUND = responses(404)
MAX_CSV_BYTES = 2_000_000


def _now(request: Request):
    return request.app.state.clock()


@router.get("/erlang")
def erlang_calculator(p: Annotated[ErlangParams, Query()]) -> dict:
    """Agents needed for `calls` in one interval: Erlang C, and Erlang A when `patience_s` is given."""
    return service.calculator(p.calls, p.interval_s, p)


@router.get("/forecast", responses=NOT_FOUND)
def forecast(p: Annotated[PeriodParams, Query()], session: Session = Depends(get_session)) -> dict:
    """Offered calls per local 15-minute interval, with the overrides that apply."""
    return service.forecast_out(session, p, p.since, p.until)


@router.get("/plan", responses=NOT_FOUND)
def plan(p: Annotated[PlanParams, Query()], session: Session = Depends(get_session)) -> dict:
    """The week plan (not saved): per local 15-minute interval the forecast, agents by Erlang C and A,
    and the agents to schedule with shrinkage."""
    return service.build_plan(session, p)


@router.post("/plans", status_code=201, responses=NOT_FOUND)
def save_plan(
    body: PlanBody,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> dict:
    """Save (or replace) the plan of this queue and week; adherence compares against it."""
    row = service.save_plan(session, body, user=user, client=client_of(request), now=_now(request))
    session.commit()
    return service.plan_out(row)


@router.get("/plans")
def list_plans(queue: str | None = Query(None, max_length=64), session: Session = Depends(get_session)) -> list[dict]:
    return [service.plan_out(r, with_intervals=False) for r in service.list_plans(session, queue)]


@router.get("/plans/{plan_id}", responses=NOT_FOUND)
def get_plan(plan_id: Id, session: Session = Depends(get_session)) -> dict:
    return service.plan_out(service.get_plan(session, plan_id))


@router.get("/accuracy", responses=NOT_FOUND)
def accuracy(request: Request, p: Annotated[PeriodParams, Query()], session: Session = Depends(get_session)) -> dict:
    """Forecast vs actual per interval with WAPE, for both methods (the seasonal average is the baseline)."""
    return service.accuracy(session, p, p.since, p.until, _now(request))


@router.get("/adherence", responses=NOT_FOUND)
def adherence(
    request: Request,
    queue: str = Query(min_length=1, max_length=64),
    day: Day = Query(description="Local day"),
    session: Session = Depends(get_session),
) -> dict:
    """Logged-in and ready agents against the saved plan, per local 15-minute interval."""
    return service.adherence(session, queue, day, _now(request))


@router.get("/overrides")
def list_overrides(
    queue: str | None = Query(None, max_length=64),
    since: Day | None = Query(None),
    until: Day | None = Query(None),
    session: Session = Depends(get_session),
) -> list[dict]:
    if since and until and until < since:
        raise FieldError("until", "must not be before since")
    return [service.override_out(o) for o in service.list_overrides(session, queue, since, until)]


@router.post("/overrides", status_code=201, responses=NOT_FOUND)
async def import_overrides(
    request: Request,
    file: UploadFile = File(..., description="CSV: date,queue,start,end,factor|calls,label"),
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> list[dict]:
    """Holidays and events: each row scales (`factor`) or replaces (`calls` per interval) the forecast of a
    local day from `start` to `end`. One bad row and nothing is stored; every bad row is named."""
    data = await file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise FieldError("file", f"larger than {MAX_CSV_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "not UTF-8 text") from None
    rows = service.import_overrides(session, text, file.filename or "", user=user, client=client_of(request))
    session.commit()
    return [service.override_out(o) for o in rows]


@router.delete("/overrides/{override_id}", status_code=204, responses=NOT_FOUND)
def delete_override(
    override_id: Id, request: Request, user: User = Depends(require_supervisor), session: Session = Depends(get_session)
) -> None:
    service.delete_override(session, override_id, user=user, client=client_of(request))
    session.commit()
