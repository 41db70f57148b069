"""Web page of staffing (supervisors): the week plan of a queue (agents per 15-minute interval and day, by
Erlang A or C, with shrinkage), forecast vs actual with WAPE, and adherence of a day. It calls the same
services as /api/reports/staffing; saving a plan goes through that API (role check and audit there)."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError, FieldErrors
from queues.models import Queue
from reports.staffing import service
from reports.staffing.schemas import ForecastParams, PlanParams, parse

router = APIRouter(include_in_schema=False)
HEAT_LEVELS = 6


def _day(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _num(value: str, scale: float = 1.0) -> float | str | None:
    # Percent fields arrive as 80 (→ 0.8); anything unreadable goes through as text so the
    # validation names the field instead of this page guessing.
    if value == "":
        return None
    try:
        return float(value) / scale
    except ValueError:
        return value


def _messages(exc: FieldError) -> list[str]:
    return [i["msg"] for i in exc.items] if isinstance(exc, FieldErrors) else [f"{exc.field}: {exc.message}"]


def _heat(plan: dict) -> dict:
    """Rows from the first to the last interval anyone is needed, a heat class per cell."""
    days = plan["days"]
    peak = max((i["scheduled"] for d in days for i in d["intervals"]), default=0)
    used = [s for s in range(96) if any(d["intervals"][s]["scheduled"] for d in days)]
    rows = []
    if used:
        for s in range(used[0], used[-1] + 1):
            cells = []
            for d in days:
                i = d["intervals"][s]
                level = (
                    0
                    if not i["scheduled"]
                    else 1 + min(HEAT_LEVELS - 2, (i["scheduled"] - 1) * (HEAT_LEVELS - 1) // max(peak, 1))
                )
                cells.append({**i, "level": level})
            rows.append({"time": f"{s // 4:02d}:{(s % 4) * 15:02d}", "cells": cells})
    return {"rows": rows, "peak": peak}


@router.get("/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    queue: str = "",
    week: str = "",
    sl: str = "80",
    threshold: str = "20",
    shrinkage: str = "30",
    aht: str = "",
    patience: str = "",
    model: str = "erlang_a",
    method: str = "holt_winters",
    day: str = "",
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    if Role(user.role).rank < Role.supervisor.rank:
        raise HTTPException(403, "supervisors only")
    now = request.app.state.clock()
    tz = service.zone()
    today = now.astimezone(tz).date()
    queues = list(session.exec(select(Queue.name).order_by(Queue.name)))
    queue = queue or (queues[0] if queues else "")
    week_start = _day(week, today - timedelta(days=today.weekday()))
    adherence_day = _day(day, today if week_start <= today < week_start + timedelta(days=7) else week_start)
    form = {
        "queue": queue,
        "week": week_start.isoformat(),
        "sl": sl,
        "threshold": threshold,
        "shrinkage": shrinkage,
        "aht": aht,
        "patience": patience,
        "model": model,
        "method": method,
        "day": adherence_day.isoformat(),
    }
    errors: list[str] = []
    plan = heat = accuracy = adherence = None
    params = None
    if queue:
        try:
            params = parse(
                PlanParams,
                queue=queue,
                week_start=week_start,
                target_sl=_num(sl, 100),
                threshold_s=_num(threshold),
                shrinkage=_num(shrinkage, 100),
                aht_s=_num(aht),
                patience_s=_num(patience),
                model=model,
                method=method,
            )
            plan = service.build_plan(session, params)
            heat = _heat(plan)
        except FieldError as exc:
            errors += _messages(exc)
        # Forecast vs actual: the chosen week if it has begun, else the week before it.
        acc_start = week_start if service._midnight(week_start, tz) < now else week_start - timedelta(days=7)
        try:
            accuracy = service.accuracy(
                session,
                parse(ForecastParams, queue=queue),
                acc_start,
                acc_start + timedelta(days=6),
                now,
            )
        except FieldError as exc:
            errors += _messages(exc)
        try:
            adherence = service.adherence(session, queue, adherence_day, now)
        except FieldError as exc:
            errors += _messages(exc)
    if adherence:
        adherence["rows"] = [r for r in adherence["intervals"] if r["planned"] or r["scheduled"] or r["logged_in"]]
        adherence["max"] = max(
            [1.0] + [float(r[k] or 0) for r in adherence["rows"] for k in ("planned", "scheduled", "logged_in")]
        )
    return templates.TemplateResponse(
        request,
        "staffing.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "queues": queues,
            "form": form,
            "params": params.model_dump(mode="json") if params else None,
            "plan": plan,
            "heat": heat,
            "accuracy": accuracy,
            "adherence": adherence,
            "errors": errors,
            "week_days": [week_start + timedelta(days=i) for i in range(7)],
        },
    )
