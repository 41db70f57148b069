"""/settings/dids: which flow answers each number, through ivr.service (list_dids, set_did) exactly as
/api/ivr/dids does, then the same live apply (web.settings.common.submit: after_commit, "dialplan").
Supervisors read; admins map a number to a flow. ivr.service has no way to remove a mapping (the API
has none either), so neither has this page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from ivr import service
from web.settings.common import Posted, on_field, page, posted, require_rank, submit

router = APIRouter(include_in_schema=False)
URL = "/settings/dids"

MESSAGES = {
    ("number", ""): "Solo dígitos, de 2 a 32.",
    ("flow", ""): "Elija uno de los flujos de la lista.",
}


def _dids_page(request: Request, user: User, session: Session, status_code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    return page(
        request,
        user,
        "settings_dids.html",
        {"dids": service.list_dids(session), "flows": [f.name for f in service.list_flows(session)]} | context,
        status_code,
    )


@router.get(URL, response_class=HTMLResponse)
def dids_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _dids_page(request, user, session)


@router.post(URL)
def set_did(
    number: str = Form(""), flow: str = Form(""), form: str = Form("add"), p: Posted = Depends(posted)
) -> Response:
    """One route for the "add" form and each row's "change" form (`form` says which shows the error)."""
    which = form if form == "add" or (form.startswith("row-") and form[4:].isdigit()) else "add"
    number = number.strip()

    def change() -> str:
        service.set_did(p.session, number, flow, user=p.user)
        return f"El número {number} va al flujo «{flow}»."

    refused = on_field(p.page(_dids_page), which, {"number": number, "flow": flow}, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"dialplan"})
