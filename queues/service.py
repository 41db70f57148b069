"""Queues, agents and skills in the database. No HTTP and no Asterisk here.

Transaction rule: each mutating function validates everything, then adds its rows and its audit
row to the caller's session and returns; it never commits. The caller (route, CLI) commits once, so
the change and its audit land together or not at all, and only then applies it to Asterisk
(centralita.telephony.apply.after_commit; live changes through queues/control.py)."""

from __future__ import annotations

import re
import secrets

from sqlmodel import Session, col, select

from api.audit.service import record as audit
from api.users import service as users
from api.users.models import Role, User
from centralita.db import saved_id
from centralita.destinations import QUEUE_NAME_RULE, is_queue_name
from centralita.errors import Conflict, FieldError
from centralita.telephony.endpoints import DEVICES, WEB_SUFFIX, Device
from dialer.models import Campaign
from queues.destinations import validate_overflow
from queues.models import AgentEndpoint, Callback, Queue, QueueMember

STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered")
PAUSE_REASONS = ("break", "lunch", "training", "backoffice")
EXTENSION_RE = re.compile(r"^[0-9]{2,8}$")
CONTACT_RE = re.compile(r"^sip:[A-Za-z0-9._~+-]*@?[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
RESERVED_EXTENSIONS = {"600"}


QueueError = FieldError  # bad input or a state that forbids the action; `field` names what to fix


def not_found(field: str, what: str) -> QueueError:
    return QueueError(field, f"{what} not found", 404)


# Queues -----------------------------------------------------------------------------------------
QUEUE_LIMITS = {
    "member_timeout": (5, 300),
    "wrapup_seconds": (0, 600),
    "max_wait_seconds": (10, 7200),
    "announce_frequency": (0, 600),
}


def list_queues(session: Session) -> list[Queue]:
    return list(session.exec(select(Queue).order_by(Queue.name)))


def get_queue(session: Session, name: str) -> Queue:
    queue = session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        raise not_found("queue", f"queue '{name}'")
    return queue


def save_queue(
    session: Session, data: dict, existing: Queue | None = None, *, by: User | None = None, client: str = ""
) -> Queue:
    """Create (existing=None) or update a queue, audited; every field is checked before anything changes."""
    name = existing.name if existing else data.get("name", "")
    if existing is None:
        if not is_queue_name(name):
            raise QueueError("name", QUEUE_NAME_RULE)
        if session.exec(select(Queue).where(Queue.name == name)).first():
            raise QueueError("name", f"queue '{name}' already exists", 409)
    if "strategy" in data and data["strategy"] not in STRATEGIES:
        raise QueueError("strategy", f"one of {', '.join(STRATEGIES)}")
    for field, (low, high) in QUEUE_LIMITS.items():
        if field in data and not (isinstance(data[field], int) and low <= data[field] <= high):
            raise QueueError(field, f"an integer from {low} to {high}")
    if "callback_key" in data and data["callback_key"] not in ("", *"0123456789*#"):
        raise QueueError("callback_key", "one DTMF digit, or empty for no callback")
    if "info_prompt" in data and not re.match(r"^[A-Za-z0-9/_.-]{0,200}$", data["info_prompt"] or ""):
        raise QueueError("info_prompt", "a sound file name (letters, digits, / _ . -)")
    values = {k: v for k, v in data.items() if k in Queue.model_fields and k not in ("id", "name")}
    if "overflow" in data:
        names = {q.name for q in list_queues(session)}
        try:
            values["overflow"] = validate_overflow(data["overflow"], names, name)
        except ValueError as exc:
            field, _, message = str(exc).partition(": ")
            raise QueueError(field, message) from None
    queue = existing or Queue(name=name)
    for key, value in values.items():
        setattr(queue, key, value)
    session.add(queue)
    session.flush()
    if existing is None:
        audit(session, "queue.create", user=by, target=name, client=client)
    else:
        audit(session, "queue.update", user=by, target=name, detail=dict(data), client=client)
    return queue


def _names_queue(value, name: str) -> bool:
    """Whether a flow definition (parsed JSON) sends callers to queue NAME anywhere: a queue step or a
    queue destination (an option, a timeout, a fallback, the operator) are both {"type": "queue", ...}."""
    if isinstance(value, dict):
        if value.get("type") == "queue" and value.get("queue") == name:
            return True
        return any(_names_queue(v, name) for v in value.values())
    if isinstance(value, list):
        return any(_names_queue(v, name) for v in value)
    return False


def queue_users(session: Session, name: str, default_queue: str) -> list[tuple[str, list[str]]]:
    """What still sends callers to queue NAME, as (kind, names): "default" (the setting), "flows"
    (published or under an A/B test), "overflow" (other queues), "campaigns", "callbacks" (how many are
    not yet placed). Empty: it may go. Queue history (queue_log, reports) keeps naming a deleted queue and
    is not a use."""
    from ivr.service import live_definitions  # ivr imports queues at the top: only a deletion needs ivr

    waiting = session.exec(
        select(Callback.id).where(Callback.queue == name, col(Callback.status).in_(("requested", "queued")))
    ).all()
    uses = {
        "default": [default_queue] if name == default_queue else [],
        "flows": sorted({flow for flow, definition in live_definitions(session) if _names_queue(definition, name)}),
        "overflow": [q.name for q in list_queues(session) if q.name != name and q.overflow.get("queue") == name],
        "campaigns": list(
            session.exec(select(Campaign.name).where(Campaign.queue_name == name).order_by(Campaign.name))
        ),
        "callbacks": [str(len(waiting))] if waiting else [],
    }
    return [(kind, names) for kind, names in uses.items() if names]


class QueueInUse(Conflict):
    """A refused deletion; `uses` are queue_users' (kind, names), for a page to word in its own language."""

    def __init__(self, uses: list[tuple[str, list[str]]], message: str) -> None:
        super().__init__("name", message)
        self.uses = uses


USE_WORDS = {
    "default": "it is the default queue (CENTRALITA_DEFAULT_QUEUE), where callers go when anything fails",
    "flows": "published flow(s) {}",
    "overflow": "the overflow of queue(s) {}",
    "campaigns": "campaign(s) {}",
    "callbacks": "{} callback(s) not yet placed",
}


def delete_queue(
    session: Session, queue: Queue, *, default_queue: str, by: User | None = None, client: str = ""
) -> int:
    """Delete a queue nothing sends callers to any more, with its agents' skills for it (audited); refused
    (409) naming every use. Returns how many skills went with it."""
    uses = queue_users(session, queue.name, default_queue)
    if uses:
        words = [
            USE_WORDS[kind].format(", ".join(n if kind == "callbacks" else repr(n) for n in names))
            for kind, names in uses
        ]
        raise QueueInUse(uses, f"queue '{queue.name}' is still used by " + "; ".join(words))
    members = list(session.exec(select(QueueMember).where(QueueMember.queue_id == queue.id)))
    for member in members:
        session.delete(member)
    session.flush()  # the skills first: the models declare no relationship to order the two deletes by
    session.delete(queue)
    audit(session, "queue.delete", user=by, target=queue.name, detail={"skills": len(members)}, client=client)
    session.flush()
    return len(members)


# Agents -----------------------------------------------------------------------------------------
def get_agent(session: Session, username: str) -> AgentEndpoint:
    agent = session.exec(select(AgentEndpoint).where(AgentEndpoint.username == username)).first()
    if agent is None:
        raise not_found("agent", f"agent '{username}'")
    return agent


def list_agents(session: Session) -> list[AgentEndpoint]:
    return list(session.exec(select(AgentEndpoint).order_by(AgentEndpoint.username)))


def active_endpoints(session: Session) -> list[AgentEndpoint]:
    """The softphones Asterisk is given: a deactivated user's phone is left out of the rendered config, so
    it can no longer register, be rung by a queue or dialled. Endpoints with no user (a fixed test agent,
    a gateway) stay."""
    inactive = set(session.exec(select(User.id).where(col(User.active).is_(False))).all())
    return [e for e in list_agents(session) if e.user_id not in inactive]


def create_agent(
    session: Session,
    username: str,
    extension: str,
    *,
    full_name: str = "",
    contact: str = "",
    role: str = Role.agent.value,
    by: User | None = None,
    client: str = "",
) -> tuple[AgentEndpoint, str, str]:
    """A user account plus its softphone. Returns (endpoint, web password, SIP password): both shown once."""
    if username.endswith(WEB_SUFFIX):
        raise QueueError("username", f"may not end in '{WEB_SUFFIX}': that names an agent's browser phone")
    if not EXTENSION_RE.match(extension or "") or extension in RESERVED_EXTENSIONS:
        raise QueueError("extension", "2-8 digits, not a service number (600)")
    if contact and not CONTACT_RE.match(contact):
        raise QueueError("contact", "a SIP URI like sip:agent@192.0.2.10:5060, or empty to register")
    if session.exec(select(AgentEndpoint).where(AgentEndpoint.extension == extension)).first():
        raise QueueError("extension", f"extension {extension} is taken", 409)
    if session.exec(select(AgentEndpoint).where(AgentEndpoint.username == username)).first():
        raise QueueError("username", f"agent '{username}' already exists", 409)
    web_password = users.generate_password()
    user = users.get_by_username(session, username)
    if user is None:
        try:
            user = users.create_user(
                session, username, web_password, role=role, full_name=full_name, by=by, client=client
            )
        except users.ServiceError as exc:  # raised before it wrote anything
            raise QueueError(exc.field, exc.message, exc.status) from None
    else:
        web_password = ""  # an existing account keeps its password
    sip_password = secrets.token_urlsafe(18)
    endpoint = AgentEndpoint(
        user_id=user.id, username=user.username, sip_password=sip_password, extension=extension, contact=contact
    )
    session.add(endpoint)
    session.flush()
    audit(session, "agent.create", user=by, target=user.username, client=client)
    return endpoint, web_password, sip_password


def reset_sip_password(session: Session, agent: AgentEndpoint, *, by: User | None = None, client: str = "") -> str:
    """A new softphone password, returned to be shown once; audited. The old one stops working when
    PJSIP reloads after the caller's commit (a registered phone must register again with the new one)."""
    agent.sip_password = secrets.token_urlsafe(18)
    session.add(agent)
    audit(session, "agent.sip_password", user=by, target=agent.username, client=client)
    return agent.sip_password


def skills(session: Session, agent: AgentEndpoint) -> list[tuple[str, int]]:
    """[(queue name, penalty)] the agent serves."""
    rows = session.exec(
        select(Queue.name, QueueMember.penalty)
        .join(QueueMember, col(QueueMember.queue_id) == col(Queue.id))
        .where(QueueMember.endpoint_id == agent.id)
        .order_by(Queue.name)
    )
    return [(name, penalty) for name, penalty in rows]


def set_skill(
    session: Session,
    agent: AgentEndpoint,
    queue_name: str,
    penalty: int | None,
    *,
    by: User | None = None,
    client: str = "",
) -> None:
    """penalty None removes the skill; audited."""
    queue = get_queue(session, queue_name)
    if penalty is not None and not (isinstance(penalty, int) and 0 <= penalty <= 100):
        raise QueueError("penalty", "an integer from 0 to 100")
    member = session.exec(
        select(QueueMember).where(QueueMember.queue_id == queue.id, QueueMember.endpoint_id == agent.id)
    ).first()
    if penalty is None:
        if member is None:
            raise not_found("queue", f"agent '{agent.username}' has no skill '{queue_name}'")
        session.delete(member)
    else:
        member = member or QueueMember(queue_id=saved_id(queue), endpoint_id=saved_id(agent))
        member.penalty = penalty
        session.add(member)
    audit(
        session,
        "agent.skill",
        user=by,
        target=agent.username,
        detail={"queue": queue_name, "penalty": penalty},
        client=client,
    )


def check_device(agent: AgentEndpoint, device: str, webrtc_enabled: bool) -> Device:
    """The phone an agent logs into queues with: `desk` (their softphone) or `web` (the browser phone,
    which a pinned desk phone or gateway (`contact`) and a server without WebRTC do not have)."""
    for known in DEVICES:
        if device == known:
            if known == "web" and (agent.contact or not webrtc_enabled):
                why = "a fixed contact" if agent.contact else "CENTRALITA_WEBRTC_ENABLED is off"
                raise QueueError("device", f"agent '{agent.username}' has no browser phone ({why})", 409)
            return known
    raise QueueError("device", f"one of {', '.join(DEVICES)}")


def check_pause_reason(reason: str) -> str:
    if reason not in PAUSE_REASONS:
        raise QueueError("reason", f"one of {', '.join(PAUSE_REASONS)}")
    return reason
