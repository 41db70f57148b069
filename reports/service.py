"""The KPI query (reads only report_kpi_15m and report_agent_15m), drill-down to the visits, the
abandoned callers of today, live figures for the wallboard, per-queue report settings."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, cast, func, literal, true, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.audit import service as audit
from centralita.errors import Conflict, FieldError, NotFound
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from queues.models import Callback, Queue
from reports import kpis
from reports.aggregates import ALL, KPI_SUMS, _add_call, _add_leg, _add_visit, _new_sums, center_agent
from reports.facts import QUARTER, floor15
from reports.models import (
    ReportAgent15m,
    ReportAgentLeg,
    ReportCall,
    ReportCenter15m,
    ReportKpi15m,
    ReportKpiDay,
    ReportQueueSetting,
    ReportQueueVisit,
)
from reports.schemas import KpiQuery, QueueSettingsIn

# grouping name → column of the 15-minute tables
COLUMNS = {
    "queue": "queue",
    "agent": "agent",
    "flow_version": "flow_version",
    "did": "did",
    "campaign": "campaign",
    "hour": "local_hour",
    "weekday": "local_weekday",
    "day": "local_day",
    "interval": "interval_start",
    "week": "local_week",
    "month": "local_month",
}
DETAIL = ("agent", "flow_version", "did", "campaign")  # groupings only the detail rows carry
AGENT_TIME_GROUPS = ("queue", "agent", "hour", "weekday", "day", "interval", "week", "month")


def known_queues(session: Session) -> set[str]:
    return set(session.exec(select(Queue.name))) | set(session.exec(select(ReportQueueSetting.queue)))


def check_queues(session: Session, queues: list[str]) -> None:
    known = known_queues(session)
    for name in queues:
        if name in known:
            continue
        # A queue deleted since still has its history.
        if session.exec(select(ReportKpi15m.id).where(ReportKpi15m.queue == name).limit(1)).first() is None:
            raise FieldError("queue", f"unknown queue {name!r}")


def _key_value(name: str, value):
    if name == "interval" and isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def kpi(session: Session, q: KpiQuery) -> list[dict]:
    """One row per group: the grouping keys, then every KPI of reports/KPIS.md. Reads report_kpi_15m and
    report_agent_15m — for the whole center, their roll-up report_center_15m (a row per interval instead
    of one per queue) — and, for the whole local days of a long period grouped by queue/day/week/month/
    weekday, the daily roll-up report_kpi_day (the same sums, a row per day instead of 96)."""
    check_queues(session, q.queue)
    groups = q.groups
    filters = {"agent": q.agent, "did": q.did, "flow_version": q.flow_version, "campaign": q.campaign}
    detail = any(g in DETAIL for g in groups) or any(v is not None for v in filters.values())
    with_agents = all(g in AGENT_TIME_GROUPS for g in groups) and all(
        filters[n] is None for n in ("did", "flow_version", "campaign")
    )  # agent time is not split by DID, flow or campaign
    pieces = [(q.since, q.until, False)]
    if not detail and all(g in DAY_GROUPS for g in groups):
        first, last = _whole_days(q.since, q.until, ZoneInfo(get_settings().report_timezone))
        if first < last:
            pieces = [(q.since, first, False), (first, last, True), (last, q.until, False)]
    rows: dict[tuple, dict] = {}
    agent_rows: dict[tuple, dict] = {}
    done: dict[tuple, dict] = {}  # rows whose KPIs are stored (report_center_15m by interval)
    # The whole center (no queue named or grouped, no detail): its own 15-minute roll-up, a row per interval.
    center = not detail and not q.queue and "queue" not in groups
    for lo, hi, by_day in pieces:
        if lo >= hi:
            continue
        if by_day:
            _day_sums(session, q, groups, lo, hi, rows, agent_rows)
            continue
        if center:
            _center_sums(session, groups, lo, hi, rows, agent_rows, done)
            continue
        _kpi_sums(session, q, groups, filters, detail, lo, hi, rows)
        if with_agents:
            _agent_time(session, q, groups, lo, hi, agent_rows)
    out = []
    keys = set(rows) | set(agent_rows) | set(done)
    for key in sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row = {g: _key_value(g, v) for g, v in zip(groups, key, strict=True)}
        if key in done:  # computed when its row was written
            row.update(done[key])
        else:
            agent = agent_rows.get(key, _no_agent_time()) if with_agents else None
            row.update(kpis.compute(rows.get(key, {}), agent))
        out.append(row)
    return out


DAY_GROUPS = ("queue", "day", "weekday", "week", "month")


def _whole_days(since: datetime, until: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first local midnight at or after `since` and the last at or before `until` (UTC)."""
    from reports.aggregates import day_bounds

    start, nxt = day_bounds(since.astimezone(zone).date().isoformat(), zone)
    first = start if start == since else nxt
    last, _ = day_bounds(until.astimezone(zone).date().isoformat(), zone)
    return first, last


def _add(into: dict, key: tuple, sums: dict) -> None:
    row = into.get(key)
    if row is None:  # the first piece of a key: taken as it is
        into[key] = sums
        return
    for name in KPI_SUMS:
        row[name] += sums.get(name) or 0
    row["max_wait_s"] = max(row["max_wait_s"] or 0, sums.get("max_wait_s") or 0)


def _no_agent_time() -> dict:
    return {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "paused_by_reason": {}}


def _add_agent(into: dict, key: tuple, logged, paused, talk, wrap, reasons: dict | None) -> None:
    row = into.setdefault(key, _no_agent_time())
    row["logged_in_s"] += logged or 0
    row["paused_s"] += paused or 0
    row["talk_s"] += talk or 0
    row["wrapup_s"] += wrap or 0
    for reason, seconds in (reasons or {}).items():
        row["paused_by_reason"][reason] = row["paused_by_reason"].get(reason, 0) + seconds


def _kpi_sums(session: Session, q: KpiQuery, groups, filters, detail, lo, hi, rows: dict) -> None:
    t = ReportKpi15m
    keys = [getattr(t, COLUMNS[g]) for g in groups]
    columns: list = [*keys, *[func.sum(getattr(t, name)) for name in KPI_SUMS], func.max(t.max_wait_s)]
    stmt = sa_select(*columns).where(col(t.interval_start) >= lo, col(t.interval_start) < hi)
    stmt = stmt.where(col(t.agent) != ALL) if detail else stmt.where(col(t.agent) == ALL)
    if q.queue:
        stmt = stmt.where(col(t.queue).in_(q.queue))
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(t, name) == value)
    agent = ALL if not detail else filters["agent"]
    if session.connection().dialect.name == "postgresql" and agent is not None and "agent" not in groups:
        # The roll-up rows (or one agent's) as a range of the (agent, interval_start) index: see _agent_time.
        key = tuple_(t.agent, t.interval_start)
        stmt = stmt.where(key >= tuple_(literal(agent), _at(t, lo)))
        stmt = stmt.where(key < tuple_(literal(agent), _at(t, hi)))
    if keys:
        stmt = stmt.group_by(*keys)
    for record in session.connection().execute(stmt):
        values = tuple(record)
        rest = values[len(groups) :]
        if not keys and rest[0] is None:
            continue  # nothing at all in the period
        sums = dict(zip(KPI_SUMS, rest[: len(KPI_SUMS)], strict=True))
        sums["max_wait_s"] = rest[-1]
        _add(rows, values[: len(groups)], sums)


def _at(t, value: datetime):
    """A literal timestamp bound with the column's own type (it stores UTC the same way on both databases)."""
    return literal(value, t.__table__.c.interval_start.type)


def _agent_time(session: Session, q: KpiQuery, groups: list[str], lo, hi, out: dict) -> None:
    t = ReportAgent15m
    keys = [getattr(t, COLUMNS[g]) for g in groups]
    by_agent = "agent" in groups or q.agent is not None
    by_queue = "queue" in groups or bool(q.queue)
    conds: list = [
        col(t.agent) != ALL if by_agent else col(t.agent) == ALL,
        col(t.queue) != ALL if by_queue else col(t.queue) == ALL,
        col(t.interval_start) >= lo,
        col(t.interval_start) < hi,
    ]
    if q.queue:
        conds.append(col(t.queue).in_(q.queue))
    if q.agent is not None:
        conds.append(col(t.agent) == q.agent)
    agent = q.agent if by_agent else ALL
    queue = (q.queue[0] if len(q.queue) == 1 else None) if by_queue else ALL
    pg = session.connection().dialect.name == "postgresql"
    if pg and agent is not None and queue is not None and "agent" not in groups and "queue" not in groups:
        # One agent (or '*') in one queue (or '*'): the same period said as a range of the unique key
        # (agent, queue, interval_start). PostgreSQL otherwise picks the interval_start index and filters
        # a month of every agent's rows (250 ms instead of 9 ms at 1M calls); SQLite picks the key by itself.
        key = tuple_(t.agent, t.queue, t.interval_start)
        conds += [key >= tuple_(literal(agent), literal(queue), _at(t, lo))]
        conds += [key < tuple_(literal(agent), literal(queue), _at(t, hi))]
    columns: list = [*keys, func.sum(t.logged_in_s), func.sum(t.paused_s), func.sum(t.talk_s), func.sum(t.wrapup_s)]
    stmt = sa_select(*columns).where(*conds)
    for record in session.connection().execute(stmt.group_by(*keys) if keys else stmt):
        values = tuple(record)
        if values[len(groups)] is None:
            continue
        logged, paused, talk, wrap = values[len(groups) : len(groups) + 4]
        _add_agent(out, values[: len(groups)], logged, paused, talk, wrap, None)
    _reason_sums(session, t, keys, conds, out)


def _day_sums(session: Session, q: KpiQuery, groups: list[str], lo, hi, rows: dict, agent_rows: dict) -> None:
    t = ReportKpiDay
    names = {"day": "local_day", "week": "local_week", "month": "local_month", "weekday": "local_weekday"}
    keys = [getattr(t, names.get(g, g)) for g in groups]
    by_queue = "queue" in groups or bool(q.queue)
    conds: list = [
        col(t.queue) != ALL if by_queue else col(t.queue) == ALL,
        col(t.day_start) >= lo,
        col(t.day_start) < hi,
    ]
    if q.queue:
        conds.append(col(t.queue).in_(q.queue))
    _rollup_sums(session, t, keys, conds, rows, agent_rows)


def _center_sums(session: Session, groups: list[str], lo, hi, rows: dict, agent_rows: dict, done: dict) -> None:
    t = ReportCenter15m
    conds = [col(t.interval_start) >= lo, col(t.interval_start) < hi]
    if groups == ["interval"]:
        _center_intervals(session, conds, rows, agent_rows, done)
    else:
        _rollup_sums(session, t, [getattr(t, COLUMNS[g]) for g in groups], conds, rows, agent_rows)


CENTER_SUMS = (*KPI_SUMS, "max_wait_s")


def _center_intervals(session: Session, conds: list, rows: dict, agent_rows: dict, done: dict) -> None:
    """By interval each row of report_center_15m is its own group, and carries its KPIs computed when it
    was written: those go to `done` as they are. Rows without (written by the migration) are read whole
    and computed like any other."""
    t = ReportCenter15m
    missing = False
    for start, computed in session.connection().execute(sa_select(col(t.interval_start), col(t.kpis)).where(*conds)):
        if computed is None:
            missing = True
        else:
            done[(start,)] = computed
    if not missing:
        return
    agent = ("logged_in_s", "paused_s", "agent_talk_s", "agent_wrapup_s", "paused_by_reason")
    columns: list = [t.interval_start, *[getattr(t, name) for name in (*CENTER_SUMS, *agent)]]
    for record in session.connection().execute(sa_select(*columns).where(*conds, col(t.kpis).is_(None))):
        key = (record[0],)
        rows[key] = dict(zip(CENTER_SUMS, record[1 : len(CENTER_SUMS) + 1], strict=True))
        agent_rows[key] = center_agent(record)


def _rollup_sums(session: Session, t, keys: list, conds: list, rows: dict, agent_rows: dict) -> None:
    """KPI sums and agent time of a roll-up table that carries both (report_kpi_day, report_center_15m)."""
    agent_names = ("logged_in_s", "paused_s", "agent_talk_s", "agent_wrapup_s")
    columns: list = [
        *keys,
        *[func.sum(getattr(t, name)) for name in KPI_SUMS],
        func.max(t.max_wait_s),
        *[func.sum(getattr(t, name)) for name in agent_names],
    ]
    stmt = sa_select(*columns).where(*conds)
    for record in session.connection().execute(stmt.group_by(*keys) if keys else stmt):
        values = tuple(record)
        key, rest = values[: len(keys)], values[len(keys) :]
        if rest[0] is None:
            continue
        sums = dict(zip(KPI_SUMS, rest[: len(KPI_SUMS)], strict=True))
        sums["max_wait_s"] = rest[len(KPI_SUMS)]
        _add(rows, key, sums)
        logged, paused, talk, wrap = rest[len(KPI_SUMS) + 1 : len(KPI_SUMS) + 5]
        _add_agent(agent_rows, key, logged, paused, talk, wrap, None)
    _reason_sums(session, t, keys, conds, agent_rows)


def _reason_sums(session: Session, t, keys: list, conds: list, out: dict) -> None:
    """Pauses by reason (a JSON object per row) summed by the database per group and reason — json_each
    on SQLite, json_each_text on PostgreSQL — over the rows that have any: decoding every row's JSON in
    Python cost as much as the rest of an interval report."""
    sqlite = session.connection().dialect.name == "sqlite"
    pairs = (func.json_each if sqlite else func.json_each_text)(t.paused_by_reason).table_valued("key", "value")
    pairs = pairs.alias("reason")
    stmt = (
        sa_select(*keys, pairs.c.key, func.sum(cast(pairs.c.value, Float)))
        .select_from(t)
        .join(pairs, true())
        .where(*conds, col(t.paused_s) > 0)
        .group_by(*keys, pairs.c.key)
    )
    for record in session.connection().execute(stmt):
        values = tuple(record)
        key, reason, seconds = values[:-2], values[-2], values[-1]
        row = out.setdefault(key, _no_agent_time())
        row["paused_by_reason"][reason] = row["paused_by_reason"].get(reason, 0) + seconds


# -- drill-down --------------------------------------------------------------------------------------
def calls(session: Session, q: KpiQuery, limit: int = 100, offset: int = 0) -> list[dict]:
    """The queue visits behind a KPI row (entered in the period, with the same filters)."""
    if not 1 <= limit <= 1000:
        raise FieldError("limit", "must be between 1 and 1000")
    if offset < 0:
        raise FieldError("offset", "must not be negative")
    check_queues(session, q.queue)
    v = ReportQueueVisit
    stmt = select(v).where(v.entered_at >= q.since, v.entered_at < q.until)
    if q.queue:
        stmt = stmt.where(col(v.queue).in_(q.queue))
    for name in ("agent", "did", "flow_version", "campaign"):
        value = getattr(q, name)
        if value is not None:
            stmt = stmt.where(getattr(v, name) == value)
    visits = list(session.exec(stmt.order_by(col(v.entered_at), col(v.id)).offset(offset).limit(limit)))
    recordings = _recordings(session, {x.linkedid for x in visits if x.linkedid})
    return [
        {
            "callid": x.callid,
            "linkedid": x.linkedid,
            "queue": x.queue,
            "caller": x.caller,
            "entered_at": _iso(x.entered_at),
            "outcome": x.outcome,
            "short_abandon": x.short_abandon,
            "wait_s": x.wait_s,
            "agent": x.agent,
            "talk_s": x.talk_s,
            "transfers": x.transfers,
            "recording_id": _pick_recording(recordings.get(x.linkedid, []), x.agent),
        }
        for x in visits
    ]


def _recordings(session: Session, linkedids: set[str]) -> dict[str, list]:
    try:
        from recorder.models import Recording
    except ImportError:  # the recorder capability is optional
        return {}
    out: dict[str, list] = defaultdict(list)
    ids = sorted(linkedids)
    for start in range(0, len(ids), 500):
        for rec in session.exec(
            select(Recording).where(col(Recording.linkedid).in_(ids[start : start + 500])).order_by(col(Recording.id))
        ):
            out[rec.linkedid].append(rec)
    return out


def _pick_recording(recs: list, agent: str) -> int | None:
    for rec in recs:
        if agent and rec.agent == agent:
            return rec.id
    return recs[0].id if recs else None


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


# -- today -------------------------------------------------------------------------------------------
def day_start(now: datetime, settings=None) -> datetime:
    """The start of the center's current day (report_day_start in report_timezone), in UTC."""
    settings = settings or get_settings()
    zone = ZoneInfo(settings.report_timezone)
    hh, mm = (int(x) for x in settings.report_day_start.split(":"))
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(hh, mm), tzinfo=zone)
    if start > local:
        start = datetime.combine(local.date() - timedelta(days=1), time(hh, mm), tzinfo=zone)
    return start.astimezone(UTC)


def abandoned_today(session: Session, queues: list[str], now: datetime, pending_only: bool = True) -> list[dict]:
    """Today's abandoned callers (long abandons) and whether anyone has called them back since:
    a queue callback for that call, or a later answered visit of the same number."""
    check_queues(session, queues)
    v = ReportQueueVisit
    stmt = select(v).where(v.entered_at >= day_start(now), v.outcome == "abandoned", col(v.short_abandon).is_(False))
    if queues:
        stmt = stmt.where(col(v.queue).in_(queues))
    rows = list(session.exec(stmt.order_by(col(v.entered_at).desc())))
    callers = sorted({r.caller for r in rows if r.caller})
    answered: dict[str, list[datetime]] = defaultdict(list)
    for start in range(0, len(callers), 500):
        for caller, entered in session.exec(
            select(v.caller, v.entered_at).where(
                col(v.caller).in_(callers[start : start + 500]), v.outcome == "answered", v.entered_at >= day_start(now)
            )
        ):
            answered[caller].append(entered)
    callbacks = {
        c.callid: c.status
        for c in session.exec(select(Callback).where(col(Callback.callid).in_([r.callid for r in rows])))
    }
    out = []
    for r in rows:
        called_back = r.callid in callbacks or any(t > r.entered_at for t in answered.get(r.caller, []))
        if pending_only and called_back:
            continue
        out.append(
            {
                "callid": r.callid,
                "queue": r.queue,
                "caller": r.caller,
                "abandoned_at": _iso(r.ended_at or r.entered_at),
                "wait_s": r.wait_s,
                "called_back": called_back,
                "callback_status": callbacks.get(r.callid, ""),
            }
        )
    return out


def request_callback(session: Session, callid: str, user=None, client: str = "") -> Callback:
    """Call an abandoned caller back through the queues' callback service: a 'requested' callback that
    the queues runtime places at the caller's original place in line. Audited; the caller commits."""
    visit = session.exec(
        select(ReportQueueVisit).where(ReportQueueVisit.callid == callid, ReportQueueVisit.outcome == "abandoned")
    ).first()
    if visit is None:
        raise NotFound("callid", f"no abandoned call {callid!r}")
    if not visit.caller:
        raise FieldError("callid", "the caller's number is unknown")
    if session.exec(select(Callback).where(Callback.callid == callid)).first() is not None:
        raise Conflict("callid", "a callback for this call exists already")
    cb = Callback(callid=callid, queue=visit.queue, number=visit.caller, entered_at=visit.entered_at)
    session.add(cb)
    audit.record(
        session,
        "reports.callback",
        user=user,
        target=visit.caller,
        detail={"callid": callid, "queue": visit.queue},
        client=client,
    )
    session.flush()
    return cb


# -- live (wallboard) ----------------------------------------------------------------------------------
def _fact_sums(session: Session, queues: list[str], since: datetime, until: datetime, out: dict) -> None:
    """Add the same sums as report_kpi_15m, from the facts, for a window not aligned to 15 minutes."""
    v = ReportQueueVisit
    for visit in session.exec(select(v).where(v.entered_at >= since, v.entered_at < until, col(v.queue).in_(queues))):
        _add_visit(out[visit.queue], visit)
    leg = ReportAgentLeg
    for row in session.exec(
        select(leg).where(leg.connected_at >= since, leg.connected_at < until, col(leg.queue).in_(queues))
    ):
        _add_leg(out[row.queue], row)
    c = ReportCall
    for call in session.exec(select(c).where(c.start >= since, c.start < until, col(c.queue).in_(queues))):
        _add_call(out[call.queue], call)


def window_sums(session: Session, queues: list[str], since: datetime, now: datetime) -> dict[str, dict]:
    """Sums per queue for [since, now]: whole quarter hours from report_kpi_15m's roll-up rows, the
    ragged ends from the facts (attributed the same way), so a busy day stays a few hundred rows."""
    out: dict[str, dict] = defaultdict(_new_sums)
    first = floor15(since) + (QUARTER if floor15(since) < since else timedelta(0))
    last = floor15(now)
    if first >= last:
        _fact_sums(session, queues, since, now + timedelta(microseconds=1), out)
        return out
    _fact_sums(session, queues, since, first, out)
    _fact_sums(session, queues, last, now + timedelta(microseconds=1), out)
    t = ReportKpi15m
    columns: list = [t.queue, *[func.sum(getattr(t, name)) for name in KPI_SUMS], func.max(t.max_wait_s)]
    stmt = (
        sa_select(*columns)
        .where(
            col(t.interval_start) >= first, col(t.interval_start) < last, col(t.agent) == ALL, col(t.queue).in_(queues)
        )
        .group_by(t.queue)
    )
    for record in session.connection().execute(stmt):
        row = out[record[0]]
        for name, value in zip(KPI_SUMS, record[1:-1], strict=True):
            row[name] += value or 0
        row["max_wait_s"] = max(row["max_wait_s"], record[-1] or 0)
    return out


def _agent_sums(session: Session, queues: list[str], since: datetime) -> dict[str, dict]:
    t = ReportAgent15m
    stmt = select(t).where(
        t.interval_start >= since - timedelta(minutes=14, seconds=59), t.agent == ALL, t.queue != ALL
    )
    if queues:
        stmt = stmt.where(col(t.queue).in_(queues))
    out: dict[str, dict] = defaultdict(
        lambda: {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "paused_by_reason": {}}
    )
    for row in session.exec(stmt):
        bucket = out[row.queue]
        for name in ("logged_in_s", "paused_s", "talk_s", "wrapup_s"):
            bucket[name] += getattr(row, name)
        for reason, seconds in (row.paused_by_reason or {}).items():
            bucket["paused_by_reason"][reason] = bucket["paused_by_reason"].get(reason, 0) + seconds
    return out


def thresholds(session: Session, queue: str) -> dict:
    s = get_settings()
    row = session.exec(select(ReportQueueSetting).where(ReportQueueSetting.queue == queue)).first()
    return {
        "sl_threshold_s": row.sl_threshold_s if row else s.report_sl_threshold_s,
        "short_abandon_s": row.short_abandon_s if row else s.report_short_abandon_s,
        "colours": (row.colours if row else {}) or {},
    }


def live(session: Session, queues: list[str], now: datetime | None = None) -> dict:
    """Today so far (since the day start in the center's zone) and the last 60 minutes, per queue."""
    now = now or utcnow()
    check_queues(session, queues)
    names = queues or sorted(session.exec(select(Queue.name)))
    start = day_start(now)
    today, hour = window_sums(session, names, start, now), window_sums(session, names, now - timedelta(minutes=60), now)
    agents_today, agents_hour = (
        _agent_sums(session, names, start),
        _agent_sums(session, names, now - timedelta(minutes=60)),
    )
    settings = get_settings()
    return {
        "day_start": start.isoformat(),
        "tz": settings.report_timezone,
        "at": now.isoformat(),
        "queues": {
            name: {
                "today": kpis.compute(today.get(name, {}), agents_today.get(name)),
                "last_60m": kpis.compute(hour.get(name, {}), agents_hour.get(name)),
                "thresholds": thresholds(session, name),
            }
            for name in names
        },
    }


# -- settings ------------------------------------------------------------------------------------------
def get_queue_settings(session: Session, queue: str) -> dict:
    check_queues(session, [queue])
    return {"queue": queue, **thresholds(session, queue)}


def put_queue_settings(session: Session, queue: str, data: QueueSettingsIn, user=None, client: str = "") -> dict:
    """Thresholds apply to facts computed from now on; `centralita reports rebuild` re-applies them to
    the past. Audited; the caller commits."""
    if session.exec(select(Queue.id).where(Queue.name == queue)).first() is None:
        raise NotFound("queue", f"unknown queue {queue!r}")
    row = session.exec(select(ReportQueueSetting).where(ReportQueueSetting.queue == queue)).first()
    row = row or ReportQueueSetting(queue=queue)
    row.sl_threshold_s, row.short_abandon_s, row.colours = data.sl_threshold_s, data.short_abandon_s, data.colours
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session, "reports.queue_settings", user=user, target=queue, detail=data.model_dump(), client=client)
    session.flush()
    return {"queue": queue, **thresholds(session, queue)}


# -- dialer --------------------------------------------------------------------------------------------
def dialer(session: Session, q: KpiQuery) -> list[dict]:
    """The dialer's own figures (dialer/report.py: attempts, human answers, connects, right-party
    contacts, abandon rate…) per campaign over the query's days, reused rather than recomputed."""
    from dialer.models import Campaign
    from dialer.report import campaign_report

    stmt = select(Campaign).order_by(col(Campaign.name))
    if q.campaign is not None:
        stmt = stmt.where(Campaign.name == q.campaign)
    campaigns = list(session.exec(stmt))
    if q.campaign is not None and not campaigns:
        raise FieldError("campaign", f"unknown campaign {q.campaign!r}")
    last = (q.until - timedelta(microseconds=1)).date()
    return [campaign_report(session, c, q.since.date(), last) for c in campaigns]
