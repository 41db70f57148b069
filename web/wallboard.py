"""The live wallboard (/wallboard?queue=a&queue=b), for supervisors and a TV on the wall.

The page itself carries only the queue chooser and empty tiles: web/static/wallboard.js fills them from
GET /api/queues/live (now: callers waiting, agents by state, calls in progress) and GET
/api/reports/live (today since the day start, last 60 minutes, colour thresholds), then keeps them current
from the /api/events websocket (queue/agent/call events and `reports.kpi`), which it opens with this
page's own session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from queues import service as queues
from web import labels

router = APIRouter(include_in_schema=False)

# The agent states (queues/EVENTS.md) in the order the page lists them, and the pause reasons, with their
# Spanish labels from web/labels.py (wrapped in _() in the template, so a catalogue can translate them).
AGENT_STATES = list(labels.AGENT_STATES.items())
PAUSE_REASONS = labels.PAUSE_REASONS
# The KPI tiles (names of reports/KPIS.md) and how each is shown: count, pct (a 0..1 ratio), secs, score.
KPI_TILES = [
    ("offered", "Ofrecidas", "count"),
    ("answered", "Atendidas", "count"),
    ("abandoned", "Abandonadas", "count"),
    ("short_abandoned", "Abandonos cortos", "count"),
    ("sl_answered", "Nivel de servicio", "pct"),
    ("sl_offered", "NS sobre ofrecidas", "pct"),
    ("asa_s", "Tiempo medio de respuesta", "secs"),
    ("max_wait_s", "Espera más larga", "secs"),
    ("abandon_rate", "Tasa de abandono", "pct"),
    ("aht_s", "Tiempo medio de operación", "secs"),
    ("callbacks_requested", "Rellamadas pedidas", "count"),
    ("callbacks_made", "Rellamadas hechas", "count"),
    ("csat", "Satisfacción (CSAT)", "score"),
]


def require_supervisor_page(user: User = Depends(web_user)) -> User:
    if Role(user.role).rank < Role.supervisor.rank:
        raise HTTPException(403, "supervisors only")
    return user


@router.get("/wallboard", response_class=HTMLResponse)
def wallboard_page(
    request: Request,
    queue: list[str] = Query(default=[]),
    user: User = Depends(require_supervisor_page),
    session: Session = Depends(get_session),
) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    every = queues.list_queues(session)
    known = [q.name for q in every]
    unknown = [q for q in queue if q not in known]
    chosen = [q for q in known if q in queue] or known  # none chosen (or only unknown ones): every queue
    return templates.TemplateResponse(
        request,
        "wallboard.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "queues": every,
            "chosen": chosen,
            "unknown": unknown,
            "agent_states": AGENT_STATES,
            "pause_reasons": PAUSE_REASONS,
            "kpi_tiles": KPI_TILES,
        },
    )
