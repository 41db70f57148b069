"""Live campaign figures: abandonment (rolling and cumulative), contacts left, and what the engine
sees now (dial level, agents waiting, calls in progress). Published as `dialer.stats` on the event
stream every few seconds and served by `GET /api/dialer/campaigns/{c}/stats`.

Abandonment is the regulators' rate: answered calls of a person that reached no agent within the
connect time (and heard the safe-harbor message), over answered calls of a person. Rolling is over
the last `ROLLING_HOURS` (Ofcom measures per campaign over 24 hours); cumulative since the start.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from centralita.timeutil import utcnow
from dialer.engine.claims import contacts_left
from dialer.errors import NotFound
from dialer.models import Attempt, Campaign

ROLLING_HOURS = 24


def _human_and_abandoned(session: Session, campaign_id: int, since=None) -> tuple[int, int, int]:
    """(attempts ended, human answers, abandoned) for the campaign, optionally since a time."""
    where: list[ColumnElement[bool]] = [col(Attempt.campaign_id) == campaign_id, col(Attempt.ended_at).is_not(None)]
    if since is not None:
        where.append(col(Attempt.ended_at) >= since)
    rows = session.exec(
        select(Attempt.outcome, Attempt.amd_status, func.count())
        .where(*where)
        .group_by(col(Attempt.outcome), col(Attempt.amd_status))
    ).all()
    ended = human = abandoned = 0
    for outcome, amd, n in rows:
        ended += n
        if outcome in ("connected", "abandoned") and amd != "MACHINE":
            human += n
        if outcome == "abandoned":
            abandoned += n
    return ended, human, abandoned


def _rate(abandoned: int, human: int) -> float:
    return round(abandoned / human, 4) if human else 0.0


def campaign_stats(session: Session, campaign_id: int, live: dict | None = None) -> dict:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign", f"no campaign {campaign_id}")
    now = utcnow()
    ended, human, abandoned = _human_and_abandoned(session, campaign_id)
    _, r_human, r_abandoned = _human_and_abandoned(session, campaign_id, now - timedelta(hours=ROLLING_HOURS))
    live = live or {}
    return {
        "campaign_id": campaign_id,
        "campaign": campaign.name,
        "state": campaign.state,
        "mode": campaign.mode,
        "queue": campaign.queue_name,  # lets /api/events' ?queue= filter apply
        "at": now.isoformat(),
        "abandon_target": campaign.abandon_target,
        "abandon_rate_rolling": _rate(r_abandoned, r_human),
        "abandon_rate_cumulative": _rate(abandoned, human),
        "rolling_hours": ROLLING_HOURS,
        "human_answers_rolling": r_human,
        "abandoned_rolling": r_abandoned,
        "human_answers": human,
        "abandoned": abandoned,
        "attempts_ended": ended,
        "contacts_left": contacts_left(session, campaign),
        "engine": bool(live.get("engine")),
        "dial_level": live.get("dial_level"),
        "calls_in_progress": live.get("calls_in_progress", 0),
        "calls_ringing": live.get("calls_ringing", 0),
        "calls_waiting": live.get("calls_waiting", 0),
        "agents_logged_in": live.get("agents_logged_in", 0),
        "agents_waiting": live.get("agents_waiting", 0),
        "agents_talking": live.get("agents_talking", 0),
        "agents_wrapup": live.get("agents_wrapup", 0),
        "policy": live.get("policy", ""),
    }
