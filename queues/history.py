"""Reading the durable queue history (written by queues/queuelog.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from queues.models import AgentPause, AgentSession, Callback, QueueCall


def calls(session: Session, queue: str | None, limit: int) -> list[QueueCall]:
    query = select(QueueCall)
    if queue:
        query = query.where(QueueCall.queue == queue)
    return list(session.exec(query.order_by(col(QueueCall.entered_at).desc(), col(QueueCall.id).desc()).limit(limit)))


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
