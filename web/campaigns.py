"""Web page of the outbound campaigns: state, live figures (polled from /api/dialer/.../stats), start /
pause / stop (through the API, so its role checks and audit apply) and the report CSV. Supervisors only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from dialer import service

router = APIRouter(include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)
) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    if Role(user.role).rank < Role.supervisor.rank:
        raise HTTPException(403, "supervisors only")
    return templates.TemplateResponse(
        request,
        "campaigns.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "campaigns": service.list_campaigns(session),
        },
    )
