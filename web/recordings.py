"""Web pages of the recordings: search (full text and filters) and one recording with its player
(HTTP Range: the browser seeks) and transcript. Agents see only their own calls; the audio comes
from /api/recordings/{id}/audio, so every listen is audited there."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import User
from centralita.db import get_session
from centralita.errors import FieldError
from recorder import search
from web.labels import definitions_from

router = APIRouter(include_in_schema=False)


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/recordings", response_class=HTMLResponse)
def recordings_page(
    request: Request,
    q: str = "",
    caller: str = "",
    agent: str = "",
    queue: str = "",
    category: str = "",
    since: str = "",
    until: str = "",
    offset: int = 0,
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    f = search.Filters(
        q=q,
        caller=caller,
        agent=agent,
        queue=queue,
        category=category,
        since=_when(since),
        until=_when(until),
        limit=50,
        offset=max(0, offset),
    )
    error, total = "", 0
    rows: list = []
    try:
        rows, total = search.search(session, search.restrict_to_own(session, user, f))
    except FieldError as exc:
        error = str(exc)
    return templates.TemplateResponse(
        request,
        "recordings.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "rows": rows,
            "total": total,
            "error": error,
            "form": {
                "q": q,
                "caller": caller,
                "agent": agent,
                "queue": queue,
                "category": category,
                "since": since,
                "until": until,
            },
            "offset": f.offset,
        },
    )


@router.get("/recordings/{recording_id}", response_class=HTMLResponse)
def recording_page(
    recording_id: int, request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)
) -> Response:
    from recorder.models import Recording
    from web.routes import ROLE_LABELS, _csrf, templates

    rec = session.get(Recording, recording_id)
    if rec is None or not search.visible(session, user, rec):
        raise HTTPException(404, "no such recording")
    return templates.TemplateResponse(
        request,
        "recording.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "csrf": _csrf(request),
            "r": rec,
            "segments": (rec.transcript or {}).get("segments", []),
            "flows": definitions_from(session),  # names the path's nodes by their flow's definition
        },
    )
