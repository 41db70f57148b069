"""Scheduled reports and KPI exports over HTTP (supervisor and up; visibility rules in service.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlmodel import Session

from api.deps import client_of, require_supervisor
from api.errors import responses
from api.users.models import Role, User
from centralita import db
from centralita.db import get_session, saved_id
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from reports.scheduled import exports, periods, service
from reports.scheduled.models import ReportRun, ReportSchedule
from reports.scheduled.runner import Runner, engine_kpi
from reports.scheduled.schemas import RunFileOut, RunOut, ScheduleIn, ScheduleOut, ScheduleUpdate, TickOut

router = APIRouter(tags=["reports"])
ExportFormat = Literal["csv", "xlsx", "pdf"]


# Who may act is answered like every 403 of the API ({"detail": "..."}), before the service runs; the
# service checks the same for its other callers.
def _may_own(user: User, owner: str | None) -> None:
    if owner not in (None, user.username) and user.role != Role.admin.value:
        raise HTTPException(403, "owner: only an admin may create or move a schedule for someone else")


def _may_change(user: User, row: ReportSchedule, verb: str) -> None:
    if not service.can_change(user, row):
        raise HTTPException(403, f"schedule: only its owner or an admin may {verb} it")


def run_out(session: Session, run: ReportRun, schedule: ReportSchedule) -> RunOut:
    run_id = saved_id(run)
    files = [
        RunFileOut(
            format=f.format, filename=f.filename, size=f.size, url=f"/api/reports/runs/{run_id}/file?format={f.format}"
        )
        for f in service.run_files(session, run_id)
    ]
    return RunOut(
        id=run_id,
        schedule_id=run.schedule_id,
        schedule=schedule.name,
        period_start=run.period_start,
        period_end=run.period_end,
        due_at=run.due_at,
        status=run.status,
        attempts=run.attempts,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        rows=run.rows,
        refused=list(run.refused),
        files=files,
    )


def schedule_out(session: Session, row: ReportSchedule) -> ScheduleOut:
    tz = periods.zone_of(get_settings())
    owner = session.get(User, row.owner_id)
    last = service.list_runs(session, None, str(saved_id(row)), limit=1)
    return ScheduleOut(
        id=saved_id(row),
        name=row.name,
        frequency=row.frequency,
        weekday=row.weekday,
        day_of_month=row.day_of_month,
        hour=row.hour,
        minute=row.minute,
        timezone=tz.key,
        queues=list(row.queues),
        group_by=row.group_by,
        filters=dict(row.filters or {}),
        formats=list(row.formats),
        recipients=list(row.recipients),
        owner=owner.username if owner else "",
        role=row.role,
        enabled=row.enabled,
        created_at=row.created_at,
        next_due_at=periods.next_due(row, utcnow(), tz),
        last_run=run_out(session, *last[0]) if last else None,
    )


@router.get("/reports/schedules", response_model=list[ScheduleOut])
def list_schedules(user: User = Depends(require_supervisor), session: Session = Depends(get_session)):
    """The schedules you may see: yours, those shared with supervisors, and all of them for admins."""
    return [schedule_out(session, r) for r in service.list_schedules(session, user)]


@router.post("/reports/schedules", status_code=201, response_model=ScheduleOut, responses=responses(404, 409))
def create_schedule(
    body: ScheduleIn,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    """A daily, weekly or monthly KPI report for the previous period, emailed with its files (audited).
    Supervisors create their own; admins may name another owner."""
    _may_own(user, body.owner)
    row = service.create_schedule(session, body, user, utcnow(), client_of(request))
    session.commit()
    return schedule_out(session, row)


@router.get("/reports/schedules/{schedule}", response_model=ScheduleOut, responses=responses(404))
def get_schedule(schedule: str, user: User = Depends(require_supervisor), session: Session = Depends(get_session)):
    """One schedule by id or name, with its next due time and last run."""
    return schedule_out(session, service.get_schedule(session, schedule, user))


@router.patch("/reports/schedules/{schedule}", response_model=ScheduleOut, responses=responses(404, 409))
def update_schedule(
    schedule: str,
    body: ScheduleUpdate,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    """Change the fields given (owner or admin; audited). Periods already sent are not sent again."""
    _may_change(user, service.get_schedule(session, schedule, user), "change")
    _may_own(user, body.owner)
    row = service.update_schedule(session, schedule, body, user, utcnow(), client_of(request))
    session.commit()
    return schedule_out(session, row)


@router.delete("/reports/schedules/{schedule}", responses=responses(404))
def delete_schedule(
    schedule: str, request: Request, user: User = Depends(require_supervisor), session: Session = Depends(get_session)
) -> dict:
    """Delete a schedule with its runs and files (owner or admin; audited)."""
    _may_change(user, service.get_schedule(session, schedule, user), "delete")
    name = service.delete_schedule(session, schedule, user, client_of(request))
    session.commit()
    return {"deleted": name}


@router.post("/reports/schedules/{schedule}/run", response_model=TickOut, responses=responses(404))
def run_schedule(schedule: str, user: User = Depends(require_supervisor), session: Session = Depends(get_session)):
    """Run the latest due period now if it has not run yet (what the scheduler would do at its next tick)."""
    row = service.get_schedule(session, schedule, user)
    _may_change(user, row, "run")
    result = Runner(get_settings(), db.get_engine()).tick(utcnow(), saved_id(row))
    return TickOut(started=result.started, sent=result.sent, failed=result.failed)


@router.get("/reports/runs", response_model=list[RunOut], responses=responses(404))
def list_runs(
    schedule: str | None = Query(None, max_length=100, description="id or name"),
    status: Literal["running", "sent", "failed"] | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
):
    """Runs of the schedules you may see, newest period first, with their files' download links."""
    return [run_out(session, r, s) for r, s in service.list_runs(session, user, schedule, status, limit, offset)]


@router.get(
    "/reports/runs/{run_id}/file",
    response_class=Response,
    responses={**responses(404), 200: {"content": {m.split(";")[0]: {} for m in exports.FORMATS.values()}}},
)
def run_file(
    run_id: int,
    format: ExportFormat | None = Query(None, description="default: the run's first file"),
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> Response:
    """Download a file a run kept (the attachment as it was emailed)."""
    found = service.get_run_file(session, run_id, format, user)
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get(
    "/reports/kpi/export",
    response_class=Response,
    responses={**responses(404), 200: {"content": {m.split(";")[0]: {} for m in exports.FORMATS.values()}}},
)
def export_kpi(
    format: ExportFormat,
    since: datetime,
    until: datetime,
    queue: list[str] = Query([], description="queues (repeat the parameter; none: all)"),
    group_by: str = Query("queue", max_length=100),
    agent: str | None = Query(None, max_length=100),
    did: str | None = Query(None, max_length=100),
    flow_version: str | None = Query(None, max_length=100),
    campaign: str | None = Query(None, max_length=100),
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> Response:
    """The rows of GET /api/reports/kpi (same parameters) as a CSV, XLSX or PDF file."""
    import importlib

    params = {"queue": queue, "since": since, "until": until, "group_by": group_by}
    params |= {"agent": agent, "did": did, "flow_version": flow_version, "campaign": campaign}
    query = importlib.import_module("reports.schemas").parse_query(**params)  # errors name the parameter
    rows = engine_kpi(session, query.model_dump())
    tz = periods.zone_of(get_settings())
    meta = exports.ReportMeta(
        "Informe de indicadores", query.since, query.until, tz, query.group_by, list(query.queue), utcnow()
    )
    name = exports.filename("kpi", meta, format)
    return Response(
        exports.render(format, rows, meta),
        media_type=exports.FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
