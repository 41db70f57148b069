"""The A/B test page of a flow (/ivr/ab/<flow>) and the list of flows with their tests (/ivr/ab): the
comparison over the test's period from the same service as GET /api/ivr/flows/<flow>/split. Supervisors
read it; the start, stop and promote controls are shown to admins and call the API (its role checks
and audit apply)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from ivr import service, split, split_compare

router = APIRouter(include_in_schema=False)


def _page(request: Request, user: User, template: str, context: dict) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    if Role(user.role).rank < Role.supervisor.rank:
        raise HTTPException(403, "supervisors only")
    base = {"user": user, "role_label": ROLE_LABELS.get(user.role, user.role), "csrf": _csrf(request)}
    return templates.TemplateResponse(request, template, base | context)


@router.get("/ivr/ab", response_class=HTMLResponse)
def ab_list(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    running = split.running_by_flow(session)
    flows = [{"flow": f, "split": running.get(f.id or 0)} for f in service.list_flows(session)]
    return _page(request, user, "ab_list.html", {"flows": flows})


@router.get("/ivr/ab/{name}", response_class=HTMLResponse)
def ab_page(
    name: str, request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)
) -> Response:
    if Role(user.role).rank < Role.supervisor.rank:
        raise HTTPException(403, "supervisors only")
    flow = service.get_flow(session, name)  # NotFound → 404 through the one handler
    latest = split.latest(session, name)
    return _page(
        request,
        user,
        "ab.html",
        {
            "flow": flow,
            "versions": [v.version for v in service.list_versions(session, flow)],
            "result": split_compare.compare(session, latest) if latest else None,
            "measures": split_compare.MEASURES,
            "can_change": user.role == Role.admin.value,
        },
    )
