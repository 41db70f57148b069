"""Reading the durable queue history (written by queues/queuelog.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from queues.models import AgentPause, AgentSession, Callback, QueueCall


def calls(session: Session, queue: str | None, limit: int) -> list[dict]:
    """The newest queue calls, each with every agent's part (`agents`)."""
    query = select(QueueCall)
    if queue:
        query = query.where(QueueCall.queue == queue)
    rows = list(session.exec(query.order_by(col(QueueCall.entered_at).desc(), col(QueueCall.id).desc()).limit(limit)))
    parts = agent_parts(session, rows)
    return [{**row.model_dump(), "agents": parts.get((row.callid, row.queue), [])} for row in rows]


def agent_parts(session: Session, rows: list[QueueCall]) -> dict[tuple[str, str], list[dict]]:
    """Each agent's part of these calls, in order: the agent the queue rang (queue_log) and those who took
    the call on after a transfer to their extension, whose talk only the CDRs have. The same legs the
    reports count (reports.facts.visit_legs, from the raw records: no wait for the KPI engine)."""
    from centralita.settings import get_settings
    from reports import facts

    cfg = facts.Config.load(session, get_settings())
    legs = facts.visit_legs(session, {(row.callid, row.queue) for row in rows}, cfg)
    return {
        key: [
            {
                "agent": leg["agent"],
                "via": leg["via"],
                "connected_at": leg["connected_at"],
                "ended_at": leg["ended_at"],
                "talk_seconds": leg["talk_s"],
                "hold_seconds": leg["hold_s"],
                "ended_by": leg["ended_by"],
            }
            for leg in found
        ]
        for key, found in legs.items()
    }


def sessions(session: Session, agent: str | None, limit: int) -> list[AgentSession]:
    query = select(AgentSession)
    if agent:
        query = query.where(AgentSession.agent == agent)
    return list(
        session.exec(query.order_by(col(AgentSession.login_at).desc(), col(AgentSession.id).desc()).limit(limit))
    )


def pauses(session: Session, agent: str | None, limit: int) -> list[AgentPause]:
    query = select(AgentPause)
    if agent:
        query = query.where(AgentPause.agent == agent)
    return list(session.exec(query.order_by(col(AgentPause.start).desc(), col(AgentPause.id).desc()).limit(limit)))


def callbacks(session: Session, queue: str | None) -> list[Callback]:
    query = select(Callback)
    if queue:
        query = query.where(Callback.queue == queue)
    return list(session.exec(query.order_by(col(Callback.entered_at))))
