"""Catch-up for recordings the queue lost (Redis flushed or down at enqueue time, a message
dead-lettered, a worker killed while its lease had not yet expired): every recording past `ended`
and not finished, with no progress for CENTRALITA_RECORDER_SWEEP_STALE seconds and no live claim,
is enqueued again. Enqueuing twice is harmless: the claim keeps one worker per recording."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from centralita import db
from centralita.settings import Settings
from centralita.timeutil import utcnow
from recorder.models import STAGES, Recording
from recorder.pipeline import steps

ACTIVE = tuple(s for s in steps.ORDER if s not in steps.TERMINAL)  # ended .. indexed


def stuck(settings: Settings, limit: int = 1000) -> list[int]:
    now = utcnow()
    with Session(db.get_engine()) as session:
        ids = session.exec(
            select(col(Recording.id))
            .where(
                col(Recording.stage).in_(ACTIVE),
                Recording.updated_at < now - timedelta(seconds=settings.recorder_sweep_stale),
                or_(col(Recording.claimed_until).is_(None), col(Recording.claimed_until) < now),
            )
            .order_by(col(Recording.id))
            .limit(limit)
        )
        return [rid for rid in ids if rid is not None]  # a stored row's id is never None: this only narrows


def sweep(settings: Settings, send) -> list[int]:
    """Enqueue every stuck recording with `send(id)`; returns their ids."""
    ids = stuck(settings)
    for rid in ids:
        send(rid)
    return ids


def backlog() -> dict:
    """Recordings per stage, and the pipeline's progress: how many of those that reached the
    pipeline are finished (done, failed or purged)."""
    with Session(db.get_engine()) as session:
        rows = dict(session.exec(select(Recording.stage, func.count()).group_by(Recording.stage)).all())
        oldest = session.exec(select(func.min(Recording.updated_at)).where(col(Recording.stage).in_(ACTIVE))).one()
    stages = {s: rows.get(s, 0) for s in STAGES}
    pending = sum(stages[s] for s in ACTIVE)
    finished = sum(stages[s] for s in steps.TERMINAL)
    total = pending + finished
    return {
        "stages": stages,
        "pending": pending,
        "finished": finished,
        "progress_pct": round(100.0 * finished / total, 1) if total else 100.0,
        "oldest_pending_since": oldest.isoformat() if oldest else None,
    }
