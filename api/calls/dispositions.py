"""An agent's disposition of a call they were on (any call: inbound, transferred, dialled), with a note.

Who was on a call is read from every record that can say so, because the agent gives the disposition
as the call ends, often before the CDR file is ingested (about a second later): the call record's
channels, the call's recordings (named as the agent answers) and the queue history (queue_log, ingested
within a fraction of a second of the queue's events). Channels are mapped to agents by
centralita.telephony.endpoints, so the browser phone's `PJSIP/<agent>-web-…` is that agent.
Rules: an unknown call is 404; a call the user's phones were not on is 403 (a supervisor too: the
disposition is the agent's own result); an unknown code 422; a second disposition by the same agent 409. Campaign calls
keep their own disposition (POST /api/dialer/attempts/{id}/disposition), which moves the contact on."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.audit.service import record as audit
from api.calls.models import CallDisposition, CallRecord
from centralita.errors import Conflict, FieldError, NotFound
from centralita.settings import Settings
from centralita.telephony.endpoints import agent_of, agent_of_endpoint

NOTE_MAX = 1000


def codes(settings: Settings) -> list[str]:
    return [c for c in settings.call_dispositions.split(",") if c]


def known_agents(session: Session) -> set[str]:
    from queues.models import AgentEndpoint

    return set(session.exec(select(AgentEndpoint.username)))


def agents_in(channels: list[str], agents: set[str]) -> list[str]:
    """The agents whose phones (desk or browser) are among `channels`, once each, in order."""
    out: list[str] = []
    for channel in channels:
        agent = agent_of(channel, agents)
        if agent and agent not in out:
            out.append(agent)
    return out


def call_agents(session: Session, linkedid: str) -> tuple[bool, list[str]]:
    """(whether any record of the call exists, the agents who were on it)."""
    from queues.models import QueueCall
    from recorder.models import Recording

    agents = known_agents(session)
    found = False
    on: list[str] = []

    def add(name: str) -> None:
        if name and name not in on:
            on.append(name)

    record = session.exec(select(CallRecord).where(CallRecord.linkedid == linkedid)).first()
    if record is not None:
        found = True
        for name in agents_in(list(record.channels), agents):
            add(name)
    for rec in session.exec(select(Recording).where(Recording.linkedid == linkedid).order_by(col(Recording.id))):
        found = True
        for name in [rec.agent, *(rec.agents or [])]:
            add(agent_of_endpoint(name, agents))
    # queue_log's call id is the caller's uniqueid, which is the linkedid of a call that came in
    for qcall in session.exec(select(QueueCall).where(QueueCall.callid == linkedid)):
        found = True
        add(agent_of_endpoint(qcall.agent, agents))
    return found, on


def owner(session: Session, linkedid: str, user) -> str:
    """The user's agent name when one of their phones was on call `linkedid`; '' when not (the route
    answers 403: a supervisor too, the disposition is the agent's own result). An unknown call: NotFound."""
    from recorder.search import agent_username

    found, on = call_agents(session, linkedid)
    if not found:
        raise NotFound("linkedid", f"no call {linkedid}")
    agent = agent_username(session, user)
    return agent if agent and agent in on else ""


def dispose(
    session: Session,
    settings: Settings,
    linkedid: str,
    agent: str,
    code: str,
    note: str = "",
    *,
    user=None,
    client: str = "",
) -> CallDisposition:
    """Store `agent`'s disposition of call `linkedid` (the agent `owner` found), audited. Adds to the
    session; the caller commits."""
    code = (code or "").strip().lower()
    allowed = codes(settings)
    if code not in allowed:
        raise FieldError("code", f"one of {', '.join(allowed)}")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise FieldError("note", f"at most {NOTE_MAX} characters")
    if session.exec(
        select(CallDisposition.id).where(CallDisposition.linkedid == linkedid, CallDisposition.agent == agent)
    ).first():
        raise Conflict("linkedid", f"agent '{agent}' already gave this call's disposition")
    row = CallDisposition(linkedid=linkedid, agent=agent, user_id=getattr(user, "id", None), code=code, note=note)
    session.add(row)
    audit(
        session,
        "call.disposition",
        user=user,
        target=f"call:{linkedid}",
        client=client,
        detail={"agent": agent, "code": code, "note": bool(note)},
    )
    return row


def of_calls(session: Session, linkedids: list[str]) -> dict[str, list[CallDisposition]]:
    """Every disposition of the given calls, oldest first."""
    out: dict[str, list[CallDisposition]] = {}
    if not linkedids:
        return out
    rows = session.exec(
        select(CallDisposition)
        .where(col(CallDisposition.linkedid).in_(linkedids))
        .order_by(col(CallDisposition.at), col(CallDisposition.id))
    )
    for row in rows:
        out.setdefault(row.linkedid, []).append(row)
    return out
