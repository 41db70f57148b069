"""Thin HTTP layer of queues/: queues, agents, skills, login/pause, live state, history, spying,
and the /api/events websocket."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from sqlmodel import Session

from api.audit import service as audit
from api.deps import client_of, require_admin, require_agent, require_supervisor
from api.errors import responses
from api.users.models import Role, User
from centralita import bus
from centralita.db import get_session
from centralita.errors import Unavailable
from centralita.settings import get_settings
from centralita.telephony.apply import after_commit_async
from queues import control, events, history, service
from queues.models import Queue
from queues.schemas import (
    ActionOut,
    AgentCreated,
    AgentIn,
    AgentOut,
    AgentStateOut,
    CallbackOut,
    LoginIn,
    PauseIn,
    PauseOut,
    QueueCallOut,
    QueueIn,
    QueueOut,
    QueuePatch,
    SessionOut,
    SipPasswordOut,
    SkillIn,
    SpyIn,
)

router = APIRouter(tags=["queues"])
# What Asterisk may refuse (409) or not be there for (503), beside an unknown agent or queue (404).
SKILL_ERRORS = responses(404, 409, 503)
ACTION_ERRORS = responses(403, 404, 409, 503)  # 403: an agent acting for someone else


def _ami(request: Request):
    runtime = request.app.state.runtime
    if runtime is None or getattr(runtime, "queues", None) is None:
        raise Unavailable("asterisk", "the live link to Asterisk is not running in this process")
    return runtime


def _queue_out(queue: Queue) -> QueueOut:
    return QueueOut(**queue.model_dump(exclude={"id"}))


# Queues ---------------------------------------------------------------------------------------------
@router.get("/queues", response_model=list[QueueOut], dependencies=[Depends(require_supervisor)])
def list_queues(session: Session = Depends(get_session)) -> list[QueueOut]:
    return [_queue_out(q) for q in service.list_queues(session)]


@router.post("/queues", response_model=QueueOut, status_code=201, responses=responses(409))
async def create_queue(
    body: QueueIn, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> QueueOut:
    queue = service.save_queue(session, body.model_dump(), by=user, client=client_of(request))
    out = _queue_out(queue)  # before the commit expires the object
    session.commit()  # the queue and its audit row, together
    out.reloaded = (await after_commit_async(get_settings(), {"dialplan", "queues"})).reloaded
    return out


@router.patch("/queues/{name}", response_model=QueueOut, responses=responses(404))
async def update_queue(
    name: str,
    body: QueuePatch,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> QueueOut:
    queue = service.save_queue(
        session,
        body.model_dump(exclude_none=True),
        service.get_queue(session, name),
        by=user,
        client=client_of(request),
    )
    out = _queue_out(queue)
    session.commit()
    out.reloaded = (await after_commit_async(get_settings(), {"dialplan", "queues"})).reloaded
    return out


@router.delete("/queues/{name}", status_code=204, responses=responses(404, 409))
async def delete_queue(
    name: str, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> None:
    """Refused (409) while a published flow, another queue's overflow, a campaign, a pending callback or
    the default-queue setting sends callers to it; the message names each."""
    settings = get_settings()
    queue = service.get_queue(session, name)
    service.delete_queue(session, queue, default_queue=settings.default_queue, by=user, client=client_of(request))
    session.commit()
    await after_commit_async(settings, {"dialplan", "queues"})


@router.get("/queues/live", dependencies=[Depends(require_agent)], responses=responses(503))
async def live(request: Request) -> dict:
    """The live state: agents, callers waiting per queue, active calls (rebuilt from Asterisk on reconnect)."""
    return _ami(request).queues.state.snapshot()


@router.get("/queues/history/calls", response_model=list[QueueCallOut], dependencies=[Depends(require_supervisor)])
def queue_calls(
    queue: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session),
) -> list:
    """The newest queue calls; `agents` gives every agent's part, those reached by a transfer included."""
    return history.calls(session, queue, limit)


@router.get("/queues/history/sessions", response_model=list[SessionOut], dependencies=[Depends(require_supervisor)])
def agent_sessions(
    agent: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session),
) -> list:
    return history.sessions(session, agent, limit)


@router.get("/queues/history/pauses", response_model=list[PauseOut], dependencies=[Depends(require_supervisor)])
def agent_pauses(
    agent: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session),
) -> list:
    return history.pauses(session, agent, limit)


@router.get("/queues/history/callbacks", response_model=list[CallbackOut], dependencies=[Depends(require_supervisor)])
def callbacks(queue: str | None = Query(None, max_length=64), session: Session = Depends(get_session)) -> list:
    return history.callbacks(session, queue)


# Agents ---------------------------------------------------------------------------------------------
def _agent_out(session: Session, agent) -> AgentOut:
    return AgentOut(
        username=agent.username,
        extension=agent.extension,
        contact=agent.contact,
        skills=dict(service.skills(session, agent)),
    )


@router.get("/agents", response_model=list[AgentOut], dependencies=[Depends(require_supervisor)])
def list_agents(session: Session = Depends(get_session)) -> list[AgentOut]:
    return [_agent_out(session, a) for a in service.list_agents(session)]


@router.post("/agents", response_model=AgentCreated, status_code=201, responses=responses(409))
async def create_agent(
    body: AgentIn, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> AgentCreated:
    agent, web_password, sip_password = service.create_agent(
        session,
        body.username,
        body.extension,
        full_name=body.full_name,
        contact=body.contact,
        role=body.role,
        by=user,
        client=client_of(request),
    )
    session.commit()
    # A new endpoint needs PJSIP (and its extension the dialplan): only those two reload.
    reloaded = (await after_commit_async(get_settings(), {"pjsip", "dialplan"})).reloaded
    return AgentCreated(
        **_agent_out(session, agent).model_dump(),
        web_password=web_password,
        sip_password=sip_password,
        reloaded=reloaded,
    )


@router.post("/agents/{username}/sip-password", response_model=SipPasswordOut, responses=responses(404))
async def reset_sip_password(
    username: str, request: Request, user: User = Depends(require_admin), session: Session = Depends(get_session)
) -> SipPasswordOut:
    """A new softphone password, shown this once; PJSIP reloads with it (the old one stops working)."""
    agent = service.get_agent(session, username)
    password = service.reset_sip_password(session, agent, by=user, client=client_of(request))
    session.commit()
    reloaded = (await after_commit_async(get_settings(), {"pjsip"})).reloaded
    return SipPasswordOut(username=username, sip_password=password, reloaded=reloaded)


@router.put("/agents/{username}/skills/{queue}", response_model=AgentOut, responses=SKILL_ERRORS)
async def set_skill(
    username: str,
    queue: str,
    body: SkillIn,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> AgentOut:
    return await _change_skill(username, queue, body.penalty, request, user, session)


@router.delete("/agents/{username}/skills/{queue}", response_model=AgentOut, responses=SKILL_ERRORS)
async def remove_skill(
    username: str,
    queue: str,
    request: Request,
    user: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> AgentOut:
    return await _change_skill(username, queue, None, request, user, session)


async def _change_skill(username, queue, penalty, request, user, session) -> AgentOut:
    agent = service.get_agent(session, username)
    service.set_skill(session, agent, queue, penalty, by=user, client=client_of(request))
    session.commit()
    runtime = request.app.state.runtime
    if runtime is not None and runtime.ami.connected:
        await control.apply_skill(runtime.ami, username, queue, penalty)
    return _agent_out(session, agent)


def _may_act_for(user: User, username: str) -> None:
    """Agents act for themselves; supervisors and admins for anyone."""
    if Role(user.role) == Role.agent and user.username != username:
        raise HTTPException(403, f"agents may only see and change their own state (you are '{user.username}')")


@router.get("/agents/{username}/state", response_model=AgentStateOut, responses=responses(403, 404, 503))
async def agent_state(
    username: str, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
) -> AgentStateOut:
    """The agent's live state, reason, the phone the queues ring (`device`) and queues, as `agent.state`
    events carry it (an agent: only their own)."""
    _may_act_for(user, username)
    service.get_agent(session, username)
    return AgentStateOut(**_ami(request).queues.state.agent_view(username))


async def _agent_action(request, user, session, username, action, run, detail: dict | None = None) -> ActionOut:
    _may_act_for(user, username)
    agent = service.get_agent(session, username)
    queues = await run(_ami(request).ami, agent)
    audit.record(
        session,
        f"agent.{action}",
        user=user,
        target=username,
        client=client_of(request),
        detail={"queues": queues or [], **(detail or {})},
    )
    session.commit()
    return ActionOut(agent=username, action=action, queues=queues or [])


@router.post("/agents/{username}/login", response_model=ActionOut, responses=ACTION_ERRORS)
async def login(
    username: str,
    request: Request,
    body: LoginIn | None = None,
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> ActionOut:
    """Into every queue the agent has a skill for, ringing the phone `device` (default desk; no body is desk)."""
    _may_act_for(user, username)
    device = service.check_device(
        service.get_agent(session, username), (body or LoginIn()).device, get_settings().webrtc_enabled
    )

    async def run(ami, agent):
        return await control.login(ami, agent.username, service.skills(session, agent), device)

    return await _agent_action(request, user, session, username, "login", run, {"device": device})


@router.post("/agents/{username}/logout", response_model=ActionOut, responses=ACTION_ERRORS)
async def logout(
    username: str, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
) -> ActionOut:
    return await _agent_action(
        request, user, session, username, "logout", lambda ami, a: control.logout(ami, a.username)
    )


@router.post("/agents/{username}/pause", response_model=ActionOut, responses=ACTION_ERRORS)
async def pause(
    username: str,
    body: PauseIn,
    request: Request,
    user: User = Depends(require_agent),
    session: Session = Depends(get_session),
) -> ActionOut:
    reason = service.check_pause_reason(body.reason)
    return await _agent_action(
        request, user, session, username, "pause", lambda ami, a: control.pause(ami, a.username, True, reason)
    )


@router.post("/agents/{username}/unpause", response_model=ActionOut, responses=ACTION_ERRORS)
async def unpause(
    username: str, request: Request, user: User = Depends(require_agent), session: Session = Depends(get_session)
) -> ActionOut:
    return await _agent_action(
        request, user, session, username, "unpause", lambda ami, a: control.pause(ami, a.username, False)
    )


@router.post("/agents/{username}/spy", response_model=ActionOut, responses=responses(404, 409, 503))
async def spy(
    username: str,
    body: SpyIn,
    request: Request,
    user: User = Depends(require_supervisor),
    session: Session = Depends(get_session),
) -> ActionOut:
    """Listen, whisper or barge on the agent's current call, ringing the supervisor's own softphone."""
    runtime = _ami(request)
    service.get_agent(session, username)
    endpoint = body.supervisor_endpoint or user.username
    try:
        supervisor = service.get_agent(session, endpoint)
    except service.QueueError:
        raise service.QueueError("supervisor_endpoint", f"no softphone '{endpoint}' to ring", 404) from None
    channel = runtime.queues.state.agent_channel(username)
    if not channel:
        raise service.QueueError("agent", f"agent '{username}' has no active call", 409)
    await control.spy(runtime.ami, supervisor.username, channel, body.mode)
    audit.record(
        session,
        f"spy.{body.mode}",
        user=user,
        target=username,
        client=client_of(request),
        detail={"channel": channel, "supervisor_endpoint": supervisor.username},
    )
    session.commit()
    await bus.publish(
        runtime.redis,
        "spy.started",
        {"agent": username, "mode": body.mode, "supervisor": user.username, "channel": channel},
    )
    return ActionOut(agent=username, action=f"spy.{body.mode}")


# Event stream ---------------------------------------------------------------------------------------
@router.websocket("/events")
async def event_stream(websocket: WebSocket, token: str = "", queue: str | None = None, agent: str | None = None):
    """Queue, agent and call events as JSON text frames. Auth: ?token=, 'Authorization: Bearer', or the
    web session cookie (the wallboard page). Agents see only their own events."""
    from urllib.parse import urlsplit

    from api.deps import _session_user
    from api.users.service import resolve_token
    from centralita.db import get_engine

    raw = token or websocket.headers.get("authorization", "").removeprefix("Bearer ").strip()
    with Session(get_engine()) as session:
        user = resolve_token(session, raw) if raw else _session_user(websocket, session)
    if user is None:
        await websocket.close(code=4401, reason="invalid, expired or revoked token")
        return
    origin = websocket.headers.get("origin")
    if not raw and origin and urlsplit(origin).netloc != websocket.headers.get("host"):
        # A cookie rides along on any same-site page (another port of this host included): only our own
        # pages may open the stream with it (cross-site websocket hijacking).
        await websocket.close(code=4403, reason="cross-origin use of the web session")
        return
    if Role(user.role) == Role.agent:
        agent = user.username
    await websocket.accept()
    runtime = websocket.app.state.runtime
    if runtime is None:
        await websocket.close(code=1011, reason="event bus not running in this process")
        return
    redis = runtime.redis
    pubsub = redis.pubsub()
    await pubsub.subscribe(bus.CHANNEL)
    try:
        await websocket.send_text(json.dumps({"type": "stream.open", "data": {"queue": queue, "agent": agent}}))
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            event = events.decode(message["data"])
            if event is not None and events.wanted(event, queue, agent):
                await websocket.send_text(message["data"])
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await pubsub.unsubscribe(bus.CHANNEL)
        await pubsub.aclose()
