"""The agent's page (/agent): the browser phone (web/static/phone.js, JsSIP) and, as the phone rings,
the screen pop from the /api/events stream (web/static/agent.js). The page carries no credentials:
the phone fetches them from GET /api/agents/me/phone (no-store) once loaded."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import web_user
from api.users.models import User

router = APIRouter(include_in_schema=False)

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]


@router.get("/agent", response_class=HTMLResponse)
def agent_page(request: Request, user: User = Depends(web_user)) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    response = templates.TemplateResponse(
        request,
        "agent.html",
        {"user": user, "role_label": ROLE_LABELS.get(user.role, user.role), "csrf": _csrf(request), "keypad": KEYPAD},
    )
    response.headers["Cache-Control"] = "no-store"
    return response
