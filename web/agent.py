"""The agent's page (/agent): the browser phone (web/static/phone.js, JsSIP); the agent's queue state
with login/logout and pause/ready (web/static/agent_state.js, calling POST /api/agents/{me}/login with
device `web`, logout, pause and unpause, and following `agent.state` events); the screen pop as the
phone rings (web/static/agent.js, the /api/events stream); and after a queue call its disposition
(web/static/disposition.js, POST /api/calls/{linkedid}/disposition). The page carries no
credentials: the phone fetches them from GET /api/agents/me/phone (no-store) once loaded."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.calls.dispositions import codes
from api.deps import web_user
from api.users.models import User
from centralita.db import get_session
from centralita.settings import get_settings
from queues.service import PAUSE_REASONS
from recorder.search import agent_username

router = APIRouter(include_in_schema=False)

KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]


@router.get("/agent", response_class=HTMLResponse)
def agent_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    response = templates.TemplateResponse(
        request,
        "agent.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "keypad": KEYPAD,
            # '' for a user without an agent phone: the page then shows only why (phone.js)
            "agent": agent_username(session, user),
            "pause_reasons": PAUSE_REASONS,
            "dispositions": codes(get_settings()),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response
