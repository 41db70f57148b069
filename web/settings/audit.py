"""/settings/audit: the audit log for admins (as GET /api/audit is), through api.audit.service.search
with the same filters: action, user, target and a period. The period is given in days of the center's
zone (web/localtime.py) and becomes the UTC instants the service takes: from the first day's midnight
up to the midnight after the last day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.audit import service
from api.audit.models import AuditLog
from api.deps import web_user
from api.types import Offset
from api.users.models import Role, User
from centralita.db import get_session
from web.localtime import center_zone
from web.settings.common import page, require_rank

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def day_start(day: date) -> datetime:
    """The instant a day of the center's zone begins (aware; the service compares it in UTC)."""
    return datetime.combine(day, time(0), tzinfo=center_zone())


def period(since: str, until: str) -> tuple[datetime | None, datetime | None, dict[str, str]]:
    """(since, until) instants for the service from two YYYY-MM-DD days (either may be empty), and the
    fields' errors."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name, text in (("since", since), ("until", until)):
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            days[name], errors[f"filter.{name}"] = None, "Escriba una fecha (AAAA-MM-DD)."
    first, last = days["since"], days["until"]
    if first and last and last < first:
        errors["filter.until"] = "El último día no puede ser anterior al primero."
    return (
        day_start(first) if first else None,
        day_start(last + timedelta(days=1)) if last else None,
        errors,
    )


@router.get("/settings/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    action: str = Query("", max_length=64),
    user_name: str = Query("", alias="user", max_length=64),
    target: str = Query("", max_length=200),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    offset: Offset = 0,
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    require_rank(user, Role.admin)
    filters = {
        "action": action.strip(),
        "user": user_name.strip(),
        "target": target.strip(),
        "since": since,
        "until": until,
    }
    start, end, errors = period(since, until)
    rows: list[AuditLog] = []
    total = 0
    if not errors:  # a bad day shows its message and no rows, never the whole log unfiltered
        rows, total = service.search(
            session,
            action=filters["action"] or None,
            username=filters["user"] or None,
            target=filters["target"] or None,
            since=start,
            until=end,
            limit=PAGE_SIZE,
            offset=offset,
        )
    kept = {k: v for k, v in filters.items() if v}

    def link(to: int) -> str:
        return "/settings/audit?" + urlencode(kept | ({"offset": to} if to else {}))

    return page(
        request,
        user,
        "settings_audit.html",
        {
            "rows": rows,
            "total": total,
            "offset": offset,
            "shown_to": offset + len(rows),
            "previous": link(max(0, offset - PAGE_SIZE)) if offset > 0 else "",
            "next": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else "",
            "filters": filters,
            "errors": errors,
        },
        422 if errors else 200,
    )
