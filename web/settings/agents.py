"""/settings/agents: the agents, their softphones and their skills (the queues each serves, with a
penalty: lower is offered first), through queues.service exactly as /api/agents does. Creating an
agent answers with the page itself, not a redirect: the softphone's SIP password (and the web password
of a new account) is shown this once and stored nowhere else, as the users page shows a reset password.
Then PJSIP and the dialplan reload, as after POST /api/agents. A new SIP password is shown the same
way (POST /api/agents/<u>/sip-password; PJSIP reloads). A skill change reaches a logged-in
agent at once through AMI (queues.control.apply_skill, as PUT /api/agents/<u>/skills/<queue>);
a logged-out one takes it at the next login. Supervisors read; admins change."""

from __future__ import annotations

from functools import partial

import anyio.from_thread
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users import service as users
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError
from queues import control, service
from queues.models import AgentEndpoint
from queues.schemas import AgentIn, SkillIn
from web.settings.common import AT_NEXT_START, LIVE, Posted, on_field, page, posted, require_rank, submit, validated
from web.settings.users import MESSAGES as USER_MESSAGES

router = APIRouter(include_in_schema=False)
URL = "/settings/agents"
MESSAGES = {
    ("username", "fielderror"): USER_MESSAGES[("username", "fielderror")],
    ("username", "conflict"): "Ese usuario ya tiene un teléfono de agente.",
    ("full_name", ""): USER_MESSAGES[("full_name", "")],
    ("role", ""): USER_MESSAGES[("role", "fielderror")],
    ("extension", "conflict"): "Esa extensión ya es de otro agente.",
    ("extension", ""): "De 2 a 8 dígitos (el 600 es un número de servicio).",
    ("contact", ""): "Una dirección SIP como sip:agente@192.0.2.10:5060, o vacío si el teléfono se registra.",
    ("queue", ""): "Elija una de las colas de la lista.",
    ("penalty", ""): "Un número entero de 0 a 100 (0: se le ofrece primero).",
    ("active", "conflict"): "Es el último administrador activo, o un teléfono sin cuenta: no se puede desactivar.",
    ("active", ""): "Elija activar o desactivar.",
}
AT_NEXT_LOGIN = "El agente la tendrá al iniciar sesión en sus colas."


def _agents_page(request: Request, user: User, session: Session, status_code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    accounts = {u.id: u for u in users.list_users(session)}
    rows = [
        {
            "agent": a,
            "full_name": accounts[a.user_id].full_name if a.user_id in accounts else "",
            # None: an endpoint without an account (a fixed test agent), nothing to deactivate
            "active": accounts[a.user_id].active if a.user_id in accounts else None,
            "skills": service.skills(session, a),
        }
        for a in service.list_agents(session)
    ]
    queues = service.list_queues(session)
    context = {"agents": rows, "queues": queues, "roles": [r.value for r in Role]} | context
    return page(request, user, "settings_agents.html", context, status_code)


def _agent_or_404(session: Session, username: str) -> AgentEndpoint:
    try:
        return service.get_agent(session, username)
    except FieldError:
        raise HTTPException(404, "no such agent") from None


def _live(request: Request, later: str, action, *args) -> str:
    """After the commit, an AMI action on the agent's live queue membership; `later` says when it applies
    instead if Asterisk is not linked or refuses (the change is stored all the same)."""
    runtime = request.app.state.runtime
    if runtime is None or not runtime.ami.connected:
        return later
    try:
        anyio.from_thread.run(action, runtime.ami, *args)
    except FieldError as exc:  # stored all the same; Asterisk refused or went away
        return f"Asterisk no lo aplicó ahora ({exc.message}). {later}"
    return LIVE


async def _leave_queues(ami, username: str) -> None:
    if await control.membership(ami, username):  # logged out already: nothing to do
        await control.logout(ami, username)


def _live_skill(request: Request, username: str, queue: str, penalty: int | None) -> str:
    """The agent's live queue membership follows a skill change at once when they are logged in."""
    return _live(request, AT_NEXT_LOGIN, control.apply_skill, username, queue, penalty)


@router.get(URL, response_class=HTMLResponse)
def agents_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _agents_page(request, user, session)


@router.post(URL)
def create_agent(
    username: str = Form("", max_length=64),
    full_name: str = Form("", max_length=400),
    extension: str = Form("", max_length=16),
    contact: str = Form("", max_length=400),
    role: str = Form(Role.agent.value, max_length=16),
    p: Posted = Depends(posted),
) -> Response:
    typed = {"username": username.strip(), "full_name": full_name, "extension": extension.strip()}
    typed |= {"contact": contact.strip(), "role": role}

    def change() -> Response:
        body = validated(AgentIn, typed)
        agent, web, sip = service.create_agent(p.session, **body.model_dump(), by=p.user, client=p.client)
        shown = {"username": agent.username, "extension": agent.extension, "web": web, "sip": sip}
        return p.page(_agents_page)(credentials=shown)

    refused = on_field(p.page(_agents_page), "create", typed, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"pjsip", "dialplan"})


@router.post(URL + "/{username}/sip-password")
def reset_sip_password(username: str, p: Posted = Depends(posted)) -> Response:
    """Answers with the page showing the new password once, as creating the agent does."""

    def change() -> Response:
        agent = _agent_or_404(p.session, username)
        sip = service.reset_sip_password(p.session, agent, by=p.user, client=p.client)
        return p.page(_agents_page)(credentials={"username": username, "extension": agent.extension, "sip": sip})

    return submit(p, change, on_field(p.page(_agents_page), f"sip-{username}", {}, MESSAGES), url=URL, reload={"pjsip"})


@router.post(URL + "/{username}/active")
def set_active(username: str, active: str = Form("", max_length=1), p: Posted = Depends(posted)) -> Response:
    """Deactivate (or reactivate) the agent: their account (as on the users page: no more web login) and
    their phone, which leaves Asterisk's config and every queue they were logged into."""

    def change() -> str:
        agent = _agent_or_404(p.session, username)
        if active not in ("0", "1"):
            raise FieldError("active", "must be 0 or 1")
        if agent.user_id is None:
            raise FieldError("active", "this phone has no user account", 409)
        users.set_active(p.session, agent.user_id, active == "1", by=p.user, client=p.client)
        return f"Agente «{username}» {'reactivado' if active == '1' else 'desactivado'}."

    # A deactivated agent leaves every queue at once (the reload has already taken the phone away).
    live = None if active == "1" else partial(_live, p.request, AT_NEXT_START, _leave_queues, username)
    refused = on_field(p.page(_agents_page), f"active-{username}", {}, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"pjsip", "dialplan", "queues"}, live=live)


@router.post(URL + "/{username}/skills")
def set_skill(
    username: str,
    queue: str = Form("", max_length=64),
    penalty: str = Form("0", max_length=16),
    p: Posted = Depends(posted),
) -> Response:
    text = penalty.strip()
    number = int(text) if text.isdigit() and len(text) < 7 else text  # text: the strict model refuses it

    def change() -> str:
        agent = _agent_or_404(p.session, username)
        body = validated(SkillIn, {"penalty": number})
        service.set_skill(p.session, agent, queue, body.penalty, by=p.user, client=p.client)
        return f"«{username}» atiende la cola «{queue}» con penalización {body.penalty}."

    refused = on_field(p.page(_agents_page), f"skill-{username}", {"queue": queue, "penalty": penalty}, MESSAGES)
    live = partial(_live_skill, p.request, username, queue, number if isinstance(number, int) else None)
    return submit(p, change, refused, url=URL, live=live)


@router.post(URL + "/{username}/skills/{queue}/delete")
def remove_skill(username: str, queue: str, p: Posted = Depends(posted)) -> Response:
    def change() -> str:
        service.set_skill(p.session, _agent_or_404(p.session, username), queue, None, by=p.user, client=p.client)
        return f"«{username}» ya no atiende la cola «{queue}»."

    refused = on_field(p.page(_agents_page), f"skill-{username}", {}, MESSAGES)
    return submit(p, change, refused, url=URL, live=partial(_live_skill, p.request, username, queue, None))
