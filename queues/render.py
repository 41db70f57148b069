"""What queues/ adds to Asterisk's rendered config: the agents' softphones (pjsip.conf, from-agents
in extensions.conf) and the queues with their members and overflow (queues.conf, centralita-q-*).
Called by centralita/telephony/render.py for every render."""

from __future__ import annotations

from sqlmodel import Session, select

from centralita.settings import Settings
from queues.models import AgentEndpoint, Queue, QueueMember
from queues.service import active_endpoints


def context(settings: Settings, paths, session: Session | None) -> dict:
    endpoints: list[AgentEndpoint] = []
    queues: list[dict] = []
    if session is not None:
        endpoints = active_endpoints(session)
        by_id = {e.id: e for e in endpoints}
        for q in session.exec(select(Queue).order_by(Queue.name)):
            members = [
                {"username": by_id[m.endpoint_id].username, "penalty": m.penalty}
                for m in session.exec(select(QueueMember).where(QueueMember.queue_id == q.id))
                if m.endpoint_id in by_id
            ]
            queues.append({**q.model_dump(), "members": members})
    if not any(q["name"] == settings.default_queue for q in queues):
        # The fallback path always needs its queue, even on an empty database.
        queues.append({**Queue(name=settings.default_queue).model_dump(), "members": []})
    return {
        "endpoints": endpoints,
        "queues": queues,
        "default_max_wait": max((q["max_wait_seconds"] for q in queues), default=300),
    }


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    return {}
