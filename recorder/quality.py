"""Quality assurance: scorecards (weighted criteria), supervisors' evaluations of recordings, and
each agent's quality score per period.

An evaluation's score is the weighted mean of its answers, each scaled to its criterion's maximum,
on 0-100: score = 100 * sum(w_i * a_i / max_i) / sum(w_i). Weights need not add up to 1."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from centralita.db import saved_id
from centralita.errors import Conflict, FieldError, NotFound
from recorder.models import Evaluation, Recording, Scorecard

PERIODS = ("day", "week", "month", "quarter")


def check_criteria(criteria: list[dict]) -> list[dict]:
    if not criteria:
        raise FieldError("criteria", "at least one criterion")
    seen, out = set(), []
    for i, c in enumerate(criteria):
        key = str(c.get("key", "")).strip()
        if not key or len(key) > 40:
            raise FieldError(f"criteria.{i}.key", "1-40 characters")
        if key in seen:
            raise FieldError(f"criteria.{i}.key", f"{key!r} appears twice")
        seen.add(key)
        try:
            weight, top = float(c.get("weight", 1)), float(c.get("max", 5))
        except (TypeError, ValueError):
            raise FieldError(f"criteria.{i}", "weight and max must be numbers") from None
        if not 0 < weight <= 100:
            raise FieldError(f"criteria.{i}.weight", "greater than 0, at most 100")
        if not 0 < top <= 100:
            raise FieldError(f"criteria.{i}.max", "greater than 0, at most 100")
        out.append({"key": key, "label": str(c.get("label") or key)[:80], "weight": weight, "max": top})
    return out


def create_scorecard(session: Session, name: str, criteria: list[dict]) -> Scorecard:
    name = name.strip()
    if not name or len(name) > 64:
        raise FieldError("name", "1-64 characters")
    if session.exec(select(Scorecard).where(Scorecard.name == name)).first():
        raise Conflict("name", f"scorecard {name!r} exists")
    card = Scorecard(name=name, criteria=check_criteria(criteria))
    session.add(card)
    session.flush()
    return card


def scorecard(session: Session, name: str) -> Scorecard:
    card = session.exec(select(Scorecard).where(Scorecard.name == name)).first()
    if card is None:
        raise NotFound("scorecard", f"no scorecard {name!r}")
    return card


def score(criteria: list[dict], answers: dict) -> float:
    """Weighted 0-100; every criterion must be answered within 0..max."""
    total_w = sum(c["weight"] for c in criteria)
    acc = 0.0
    for c in criteria:
        if c["key"] not in answers:
            raise FieldError(f"answers.{c['key']}", "missing")
        try:
            value = float(answers[c["key"]])
        except (TypeError, ValueError):
            raise FieldError(f"answers.{c['key']}", "must be a number") from None
        if not 0 <= value <= c["max"]:
            raise FieldError(f"answers.{c['key']}", f"between 0 and {c['max']:g}")
        acc += c["weight"] * value / c["max"]
    unknown = set(answers) - {c["key"] for c in criteria}
    if unknown:
        raise FieldError(f"answers.{sorted(unknown)[0]}", "not a criterion of this scorecard")
    return round(100 * acc / total_w, 2)


def evaluate(
    session: Session, recording: Recording, card: Scorecard, answers: dict, evaluator: str, comment: str = ""
) -> Evaluation:
    if not card.active:
        raise FieldError("scorecard", f"scorecard {card.name!r} is retired")
    if len(comment) > 1000:
        raise FieldError("comment", "at most 1000 characters")
    row = Evaluation(
        recording_id=saved_id(recording),
        scorecard_id=saved_id(card),
        agent=recording.agent,
        evaluator=evaluator,
        answers={k: float(v) for k, v in answers.items()},
        score=score(card.criteria, answers),
        comment=comment,
    )
    session.add(row)
    session.flush()
    return row


def evaluations(session: Session, recording_id: int) -> list[Evaluation]:
    return list(
        session.exec(select(Evaluation).where(Evaluation.recording_id == recording_id).order_by(col(Evaluation.at)))
    )


def period_key(at: datetime, period: str) -> str:
    if period == "day":
        return at.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return at.strftime("%Y-%m")
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


def report(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    period: str = "month",
    agent: str = "",
    scorecard_name: str = "",
) -> list[dict]:
    """[{agent, period, evaluations, mean_score, min_score, max_score}] sorted by agent, period."""
    if period not in PERIODS:
        raise FieldError("period", f"one of {', '.join(PERIODS)}")
    where = []
    if since:
        where.append(Evaluation.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    if until:
        where.append(Evaluation.at < (until if until.tzinfo else until.replace(tzinfo=UTC)))
    if agent:
        where.append(Evaluation.agent == agent)
    if scorecard_name:
        where.append(Evaluation.scorecard_id == scorecard(session, scorecard_name).id)
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for ev in session.exec(select(Evaluation).where(*where)):
        groups[(ev.agent, period_key(ev.at, period))].append(ev.score)
    return [
        {
            "agent": a,
            "period": p,
            "evaluations": len(s),
            "mean_score": round(sum(s) / len(s), 2),
            "min_score": min(s),
            "max_score": max(s),
        }
        for (a, p), s in sorted(groups.items())
    ]
