"""The one path that keeps the report tables current: read what is new in the raw tables (by id),
refresh the facts it touches, recompute the touched intervals whole. `rebuild` runs the same
functions over a period, which is why both give the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.calls.models import CallRecord, CdrEntry
from ivr.models import SurveyAnswer
from queues.models import QueueLogEntry
from reports import aggregates, facts
from reports.facts import QUARTER, Config, floor15
from reports.models import ReportCursor, ReportQueueVisit

AGENT_EVENTS = {"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"}
BATCH = 5000


@dataclass
class Update:
    lines: int = 0
    cdrs: int = 0
    answers: int = 0
    queues: set[str] = field(default_factory=set)  # queues whose figures may have changed
    intervals: int = 0


def _cursor(session: Session, source: str) -> ReportCursor:
    row = session.exec(select(ReportCursor).where(ReportCursor.source == source)).first()
    if row is None:
        row = ReportCursor(source=source)
        session.add(row)
    return row


def _zone(settings) -> ZoneInfo:
    return ZoneInfo(settings.report_timezone)


def process(session: Session, settings) -> Update:
    """Everything new since the last call; the caller commits. Safe to call as often as wanted."""
    out = Update()
    cfg, zone = Config.load(session, settings), _zone(settings)
    qcur, ccur, scur = (_cursor(session, s) for s in ("queue_log_entries", "cdr_entries", "ivr_survey_answers"))
    lines = list(
        session.exec(
            select(QueueLogEntry)
            .where(col(QueueLogEntry.id) > qcur.last_id)
            .order_by(col(QueueLogEntry.id))
            .limit(BATCH)
        )
    )
    cdrs = list(
        session.exec(select(CdrEntry).where(col(CdrEntry.id) > ccur.last_id).order_by(col(CdrEntry.id)).limit(BATCH))
    )
    answers = list(
        session.exec(
            select(SurveyAnswer).where(col(SurveyAnswer.id) > scur.last_id).order_by(col(SurveyAnswer.id)).limit(BATCH)
        )
    )
    out.lines, out.cdrs, out.answers = len(lines), len(cdrs), len(answers)
    if not (lines or cdrs or answers):
        return out
    keys: set[tuple[str, str]] = set()
    agent_lo: datetime | None = qcur.horizon
    horizon = qcur.horizon
    for line in lines:
        if line.event in facts.VISIT_EVENTS and line.callid not in ("", "NONE"):
            keys.add((line.callid, line.queue))
        elif line.event == facts.RESTART:
            keys |= facts.open_visit_keys(session, line.at)
        elif line.event in AGENT_EVENTS:
            agent_lo = line.at if agent_lo is None else min(agent_lo, line.at)
        horizon = line.at if horizon is None else max(horizon, line.at)
    linkedids = {c.linkedid for c in cdrs} | {a.linkedid for a in answers}
    touched = facts.refresh_calls(session, linkedids)
    keys |= facts.visit_keys_for_linkedids(session, linkedids)
    visit_touched = facts.refresh_visits(session, keys, cfg)
    touched |= visit_touched
    touched |= facts.refresh_fcr(session, _callers(session, keys), cfg)
    aggregates.recompute_kpi(session, touched, zone)
    out.intervals = len(touched)
    out.queues = {q for _, q in keys} | _queues_of_calls(session, linkedids)
    days = {aggregates.local_columns(t, zone)["local_day"] for t in touched}
    # Agent time: from the earliest change (a login/pause line, a leg) up to the new horizon.
    starts = [t for t in (agent_lo, min(visit_touched) if visit_touched else None) if t is not None]
    center = set(touched)
    if starts and horizon is not None:
        end = max(horizon, min(starts)) + QUARTER
        aggregates.recompute_agents(session, min(starts), end, horizon, zone)
        days |= aggregates.days_of(min(starts), end, zone)
        center |= aggregates.quarters(min(starts), end)
    aggregates.recompute_center(session, center, zone)
    aggregates.recompute_days(session, days, zone)
    if lines:
        qcur.last_id, qcur.horizon = lines[-1].id or qcur.last_id, horizon
    if cdrs:
        ccur.last_id = cdrs[-1].id or ccur.last_id
    if answers:
        scur.last_id = answers[-1].id or scur.last_id
    for cur in (qcur, ccur, scur):
        session.add(cur)
    session.flush()
    return out


def process_all(session: Session, settings) -> Update:
    """Until nothing is new (a backlog larger than one batch), committing each batch."""
    total = Update()
    while True:
        step = process(session, settings)
        session.commit()
        total.lines += step.lines
        total.cdrs += step.cdrs
        total.answers += step.answers
        total.queues |= step.queues
        total.intervals += step.intervals
        if max(step.lines, step.cdrs, step.answers) < BATCH:
            return total


def _callers(session: Session, keys: set[tuple[str, str]]) -> set[str]:
    callids = sorted({k[0] for k in keys})
    callers: set[str] = set()
    for start in range(0, len(callids), 500):
        chunk = callids[start : start + 500]
        callers |= set(session.exec(select(ReportQueueVisit.caller).where(col(ReportQueueVisit.callid).in_(chunk))))
    return {c for c in callers if c}


def _queues_of_calls(session: Session, linkedids: set[str]) -> set[str]:
    if not linkedids:
        return set()
    ids = sorted(linkedids)[:500]
    return {q for q in session.exec(select(ReportQueueVisit.queue).where(col(ReportQueueVisit.linkedid).in_(ids)))}


def rebuild(session: Session, since: datetime, until: datetime, settings) -> Update:
    """Recompute every fact and interval of [since, until) from the raw records; the caller commits."""
    out = Update()
    cfg, zone = Config.load(session, settings), _zone(settings)
    since, until = floor15(since), floor15(until - timedelta(microseconds=1)) + QUARTER
    linkedids = set(
        session.exec(select(CallRecord.linkedid).where(CallRecord.start >= since, CallRecord.start < until))
    )
    touched = facts.refresh_calls(session, linkedids)
    keys = set(
        session.exec(
            select(QueueLogEntry.callid, QueueLogEntry.queue).where(
                QueueLogEntry.event == "ENTERQUEUE", QueueLogEntry.at >= since, QueueLogEntry.at < until
            )
        )
    )
    # Facts of the period that no longer have their lines go too.
    keys |= set(
        session.exec(
            select(ReportQueueVisit.callid, ReportQueueVisit.queue).where(
                ReportQueueVisit.entered_at >= since, ReportQueueVisit.entered_at < until
            )
        )
    )
    touched |= facts.refresh_visits(session, keys, cfg)
    touched |= facts.refresh_fcr(session, _callers(session, keys), cfg)
    touched |= aggregates.quarters(since, until)
    aggregates.recompute_kpi(session, touched, zone)
    horizon = _cursor(session, "queue_log_entries").horizon or session.exec(select(func.max(QueueLogEntry.at))).first()
    aggregates.recompute_agents(session, since, until, horizon, zone)
    aggregates.recompute_center(session, touched, zone)  # touched holds every quarter of [since, until)
    days = {aggregates.local_columns(t, zone)["local_day"] for t in touched}
    aggregates.recompute_days(session, days | aggregates.days_of(since, until - timedelta(microseconds=1), zone), zone)
    out.intervals, out.queues = len(touched), {q for _, q in keys}
    session.flush()
    return out
