"""15-minute sums from the facts. An interval is always recomputed whole from the facts that sit in it
(never incremented), so the incremental path and a rebuild cannot drift apart."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from queues.models import AgentPause, AgentSession
from reports import kpis
from reports.facts import QUARTER, floor15
from reports.models import (
    ReportAgent15m,
    ReportAgentLeg,
    ReportCall,
    ReportCenter15m,
    ReportKpi15m,
    ReportKpiDay,
    ReportQueueVisit,
)

ALL = "*"
KPI_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timeouts",
    "exits_key",
    "exits_empty",
    "overflows",
    "restart_lost",
    "callbacks_requested",
    "callbacks_made",
    "transfers",
    "sl_answered",
    "sl_abandoned",
    "wait_answered_s",
    "wait_s",
    "wait_n",
    "handled",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "fcr_n",
    "fcr_resolved",
    "ivr_calls",
    "ivr_self_service",
    "csat_sum",
    "csat_n",
    "csat_top2",
    "nps_promoters",
    "nps_detractors",
    "nps_n",
)
AGENT_SUMS = ("logged_in_s", "paused_s", "talk_s", "wrapup_s")


def local_columns(interval_start: datetime, zone: ZoneInfo) -> dict:
    local = interval_start.astimezone(zone)
    year, week, weekday = local.isocalendar()
    return {
        "local_day": local.strftime("%Y-%m-%d"),
        "local_week": f"{year}-W{week:02d}",
        "local_month": local.strftime("%Y-%m"),
        "local_hour": local.hour,
        "local_weekday": weekday,
    }


def _new_sums() -> dict:
    row: dict = {name: 0 for name in KPI_SUMS}
    row["max_wait_s"] = 0.0
    return row


def _add_visit(row: dict, v: ReportQueueVisit) -> None:
    row["offered"] += 1
    outcome = v.outcome
    if outcome == "answered":
        row["answered"] += 1
        row["wait_answered_s"] += v.wait_s
        row["sl_answered"] += int(v.within_sl)
        if v.repeat_within_fcr is not None and v.caller:
            row["fcr_n"] += 1
            row["fcr_resolved"] += int(not v.repeat_within_fcr)
    elif outcome == "abandoned":
        if v.short_abandon:
            row["short_abandoned"] += 1
        else:
            row["abandoned"] += 1
            row["sl_abandoned"] += int(v.within_sl)
    row["overflows"] += int(outcome == "overflow")
    row["timeouts"] += int(v.left_by == "timeout")
    row["exits_key"] += int(v.left_by == "exitkey")
    row["exits_empty"] += int(v.left_by == "empty")
    row["restart_lost"] += int(outcome == "restart_lost")
    row["callbacks_requested"] += int(v.callback_requested)
    row["callbacks_made"] += int(v.callback_made)
    row["transfers"] += v.transfers
    if v.ended_at is not None and not v.short_abandon:
        row["wait_s"] += v.wait_s
        row["wait_n"] += 1
        row["max_wait_s"] = max(row["max_wait_s"], v.wait_s)


def _add_leg(row: dict, leg: ReportAgentLeg) -> None:
    if leg.ended_at is None:
        return  # handle time counts once the agent's part is over
    row["handled"] += 1
    row["talk_s"] += leg.talk_s
    row["hold_s"] += leg.hold_s
    row["wrapup_s"] += leg.wrapup_s


def _add_call(row: dict, c: ReportCall) -> None:
    if c.ivr_outcome:
        row["ivr_calls"] += 1
        row["ivr_self_service"] += int(c.ivr_outcome == "self_service")
    for name in ("csat_sum", "csat_n", "csat_top2", "nps_promoters", "nps_detractors", "nps_n"):
        row[name] += getattr(c, name)


def recompute_kpi(session: Session, intervals: set[datetime], zone: ZoneInfo) -> None:
    for chunk in _chunks(sorted(intervals)):
        session.exec(delete(ReportKpi15m).where(col(ReportKpi15m.interval_start).in_(chunk)))
        rows: dict[tuple, dict] = defaultdict(_new_sums)
        visits = {
            (v.callid, v.queue): v
            for v in session.exec(select(ReportQueueVisit).where(col(ReportQueueVisit.interval_start).in_(chunk)))
        }
        for v in visits.values():
            dims = (v.queue, v.agent, v.flow_version, v.did, v.campaign)
            for key in ((v.interval_start, *dims), (v.interval_start, v.queue, ALL, ALL, ALL, ALL)):
                _add_visit(rows[key], v)
        legs = list(session.exec(select(ReportAgentLeg).where(col(ReportAgentLeg.interval_start).in_(chunk))))
        parents = _visits_of(session, {(leg.callid, leg.queue) for leg in legs} - set(visits)) | visits
        for leg in legs:
            parent = parents.get((leg.callid, leg.queue))
            leg_dims = (parent.flow_version, parent.did, parent.campaign) if parent else ("", "", "")
            for key in (
                (leg.interval_start, leg.queue, leg.agent, *leg_dims),
                (leg.interval_start, leg.queue, ALL, ALL, ALL, ALL),
            ):
                _add_leg(rows[key], leg)
        for c in session.exec(select(ReportCall).where(col(ReportCall.interval_start).in_(chunk))):
            for key in (
                (c.interval_start, c.queue, c.agent, c.flow_version, c.did, c.campaign),
                (c.interval_start, c.queue, ALL, ALL, ALL, ALL),
            ):
                _add_call(rows[key], c)
        values = [
            {
                "interval_start": start,
                "queue": queue,
                "agent": agent,
                "flow_version": flow_version,
                "did": did,
                "campaign": campaign,
                **local_columns(start, zone),
                **sums,
            }
            for (start, queue, agent, flow_version, did, campaign), sums in sorted(rows.items())
        ]
        _insert(session, ReportKpi15m, values)
    session.flush()


def _insert(session: Session, model, values: list[dict]) -> None:
    """Many rows at once through Core: building ORM objects would cost more than the sums themselves."""
    if values:
        session.flush()
        session.connection().execute(insert(model.__table__), values)


def _visits_of(session: Session, keys: set[tuple[str, str]]) -> dict:
    out = {}
    callids = sorted({k[0] for k in keys})
    for chunk in _chunks(callids):
        for v in session.exec(select(ReportQueueVisit).where(col(ReportQueueVisit.callid).in_(chunk))):
            if (v.callid, v.queue) in keys:
                out[(v.callid, v.queue)] = v
    return out


def _chunks(items: list, size: int = 400):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- agent time --------------------------------------------------------------------------------------
def _clip(spans: list[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    return [(max(a, lo), min(b, hi)) for a, b in spans if b > lo and a < hi and min(b, hi) > max(a, lo)]


def _union(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[list[datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _intersect(a: list, b: list) -> list:
    out = []
    for x0, x1 in a:
        for y0, y1 in b:
            lo, hi = max(x0, y0), min(x1, y1)
            if hi > lo:
                out.append((lo, hi))
    return out


def _per_interval(spans: list[tuple[datetime, datetime]], into: dict, name: str, lo: datetime, hi: datetime) -> None:
    """Split spans at 15-minute boundaries: seconds per interval_start."""
    for a, b in _clip(spans, lo, hi):
        start = floor15(a)
        while start < b:
            end = start + QUARTER
            seconds = (min(b, end) - max(a, start)).total_seconds()
            if seconds > 0:
                into[start][name] += seconds
            start = end


def recompute_agents(session: Session, lo: datetime, hi: datetime, horizon: datetime | None, zone: ZoneInfo) -> None:
    """report_agent_15m for [lo, hi) (15-minute aligned). Open sessions and pauses count up to
    `horizon`, the last queue_log time seen — never the wall clock, so a rebuild agrees."""
    hi = floor15(hi - timedelta(microseconds=1)) + QUARTER if hi > lo else floor15(lo) + QUARTER
    lo = floor15(lo)
    session.exec(
        delete(ReportAgent15m).where(col(ReportAgent15m.interval_start) >= lo, col(ReportAgent15m.interval_start) < hi)
    )
    cap = horizon or lo
    sessions: dict[tuple[str, str], list] = defaultdict(list)
    for s in session.exec(
        select(AgentSession).where(
            col(AgentSession.login_at) < hi,
            (col(AgentSession.logout_at).is_(None)) | (col(AgentSession.logout_at) > lo),
        )
    ):
        end = s.logout_at or max(cap, s.login_at)
        sessions[(s.agent, s.queue)].append((s.login_at, end))
    pauses: dict[tuple[str, str], list] = defaultdict(list)
    for p in session.exec(
        select(AgentPause).where(
            col(AgentPause.start) < hi, (col(AgentPause.end).is_(None)) | (col(AgentPause.end) > lo)
        )
    ):
        pauses[(p.agent, p.queue)].append((p.start, p.end or max(cap, p.start), p.reason))
    work: dict[tuple[str, str], list] = defaultdict(list)
    wraps: dict[tuple[str, str], list] = defaultdict(list)
    for leg in session.exec(
        # Wrap-up is a queue's wrapuptime (seconds, never an hour): legs that ended earlier cannot reach lo.
        select(ReportAgentLeg).where(
            col(ReportAgentLeg.connected_at) < hi, col(ReportAgentLeg.ended_at) >= lo - timedelta(hours=1)
        )
    ):
        assert leg.ended_at is not None
        busy_end = leg.connected_at + timedelta(seconds=leg.talk_s + leg.hold_s)
        wrap_end = leg.ended_at + timedelta(seconds=leg.wrapup_s)
        if wrap_end <= lo:
            continue
        work[(leg.agent, leg.queue)].append((leg.connected_at, busy_end))
        if leg.wrapup_s:
            wraps[(leg.agent, leg.queue)].append((leg.ended_at, wrap_end))
    agents = sorted({k[0] for k in sessions} | {k[0] for k in work} | {k[0] for k in pauses})
    out: dict[tuple[datetime, str, str], dict] = {}

    def fill(agent: str, queue: str, logged: list, paused: list[tuple], talk: list, wrap: list) -> None:
        acc: dict = defaultdict(
            lambda: {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "reasons": defaultdict(float)}
        )
        _per_interval(logged, acc, "logged_in_s", lo, hi)
        by_reason: dict[str, list] = defaultdict(list)
        for a, b, reason in paused:
            by_reason[reason].append((a, b))
        covered: list = []
        for reason in sorted(by_reason):
            # A pause counts while logged in; one second is never paused twice (first reason wins).
            spans = _intersect(_union(by_reason[reason]), logged)
            spans = _subtract(_union(spans), covered)
            covered = _union(covered + spans)
            tmp: dict = defaultdict(lambda: defaultdict(float))
            _per_interval(spans, tmp, "s", lo, hi)
            for start, d in tmp.items():
                acc[start]["paused_s"] += d["s"]
                acc[start]["reasons"][reason or "-"] += d["s"]
        _per_interval(_union(talk), acc, "talk_s", lo, hi)
        _per_interval(_union(wrap), acc, "wrapup_s", lo, hi)
        for start, values in acc.items():
            out[(start, agent, queue)] = values

    for agent in agents:
        queues = sorted({q for a, q in set(sessions) | set(work) | set(pauses) if a == agent})
        for queue in queues:
            logged = _union(sessions.get((agent, queue), []))
            fill(
                agent,
                queue,
                logged,
                pauses.get((agent, queue), []),
                work.get((agent, queue), []),
                wraps.get((agent, queue), []),
            )
        logged_any = _union([s for q in queues for s in sessions.get((agent, q), [])])
        fill(
            agent,
            ALL,
            logged_any,
            [p for q in queues for p in pauses.get((agent, q), [])],
            [w for q in queues for w in work.get((agent, q), [])],
            [w for q in queues for w in wraps.get((agent, q), [])],
        )
    totals: dict[tuple[datetime, str], dict] = defaultdict(
        lambda: {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "reasons": defaultdict(float)}
    )
    for (start, _agent, queue), values in out.items():
        total = totals[(start, queue)]
        for name in AGENT_SUMS:
            total[name] += values[name]
        for reason, seconds in values["reasons"].items():
            total["reasons"][reason] += seconds
    for (start, queue), values in totals.items():
        out[(start, ALL, queue)] = values
    rows = [
        {
            "interval_start": start,
            "agent": agent,
            "queue": queue,
            **local_columns(start, zone),
            **{name: round(values[name], 3) for name in AGENT_SUMS},
            "paused_by_reason": {k: round(v, 3) for k, v in sorted(values["reasons"].items())},
        }
        for (start, agent, queue), values in sorted(out.items())
        if any(values[name] for name in AGENT_SUMS)
    ]
    _insert(session, ReportAgent15m, rows)
    session.flush()


def _subtract(spans: list, minus: list) -> list:
    out = []
    for a, b in spans:
        pieces = [(a, b)]
        for m0, m1 in minus:
            nxt = []
            for p0, p1 in pieces:
                if m1 <= p0 or m0 >= p1:
                    nxt.append((p0, p1))
                    continue
                if m0 > p0:
                    nxt.append((p0, m0))
                if m1 < p1:
                    nxt.append((m1, p1))
            pieces = nxt
        out.extend(pieces)
    return out


# -- local days ------------------------------------------------------------------------------------
def day_bounds(day: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of 'YYYY-MM-DD' in UTC (23 or 25 hours on DST days)."""
    first = datetime.fromisoformat(day).date()
    midnight = datetime.min.time()
    start = datetime.combine(first, midnight, zone)
    return start.astimezone(UTC), datetime.combine(first + timedelta(days=1), midnight, zone).astimezone(UTC)


def days_of(start: datetime, end: datetime, zone: ZoneInfo) -> set[str]:
    """The local days [start, end] touches."""
    out, day = set(), start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        out.add(day.isoformat())
        day += timedelta(days=1)
    return out


def recompute_days(session: Session, days: set[str], zone: ZoneInfo) -> None:
    """report_kpi_day from the roll-up rows of the two 15-minute tables (recomputed whole, like them)."""
    session.flush()
    conn = session.connection()
    k, a = ReportKpi15m, ReportAgent15m
    for day in sorted(days):
        lo, hi = day_bounds(day, zone)
        # A range, not lo alone: rows of another zone's days (before report_timezone changed) go too.
        session.exec(delete(ReportKpiDay).where(col(ReportKpiDay.day_start) >= lo, col(ReportKpiDay.day_start) < hi))
        rows: dict[str, dict] = defaultdict(_new_day)
        columns: list = [k.queue, *[func.sum(getattr(k, name)) for name in KPI_SUMS], func.max(k.max_wait_s)]
        for record in conn.execute(
            sa_select(*columns)
            .where(col(k.agent) == ALL, col(k.interval_start) >= lo, col(k.interval_start) < hi)
            .group_by(k.queue)
        ):
            for queue in (record[0], ALL):
                _add_kpi_record(rows[queue], record[1:])
        agent_columns: list = [a.queue, a.logged_in_s, a.paused_s, a.talk_s, a.wrapup_s, a.paused_by_reason]
        for queue, logged, paused, talk, wrap, reasons in conn.execute(
            sa_select(*agent_columns).where(
                col(a.agent) == ALL, col(a.interval_start) >= lo, col(a.interval_start) < hi
            )
        ):
            _add_agent_record(rows[queue], logged, paused, talk, wrap, reasons)
        local = lo.astimezone(zone)
        year, week, weekday = local.isocalendar()
        labels = {
            "day_start": lo,
            "local_day": day,
            "local_week": f"{year}-W{week:02d}",
            "local_month": day[:7],
            "local_weekday": weekday,
        }
        _insert(session, ReportKpiDay, [{"queue": q, **labels, **row} for q, row in sorted(rows.items())])
    session.flush()


def _new_day() -> dict:
    row = _new_sums()
    row.update(logged_in_s=0.0, paused_s=0.0, agent_talk_s=0.0, agent_wrapup_s=0.0, paused_by_reason={})
    return row


def _add_kpi_record(row: dict, sums) -> None:
    """Add one `SUM(each of KPI_SUMS), MAX(max_wait_s)` result to a roll-up row."""
    for name, value in zip(KPI_SUMS, sums[:-1], strict=True):
        row[name] += value or 0
    row["max_wait_s"] = max(row["max_wait_s"], sums[-1] or 0)


def _add_agent_record(row: dict, logged, paused, talk, wrap, reasons: dict | None) -> None:
    row["logged_in_s"] += logged
    row["paused_s"] += paused
    row["agent_talk_s"] += talk
    row["agent_wrapup_s"] += wrap
    for reason, seconds in (reasons or {}).items():
        row["paused_by_reason"][reason] = round(row["paused_by_reason"].get(reason, 0) + seconds, 3)


def quarters(lo: datetime, hi: datetime) -> set[datetime]:
    """The 15-minute interval starts that overlap [lo, hi)."""
    out, start = set(), floor15(lo)
    while start < hi:
        out.add(start)
        start += QUARTER
    return out


def recompute_center(session: Session, intervals: set[datetime], zone: ZoneInfo) -> None:
    """report_center_15m for these intervals, from the roll-up rows of the two 15-minute tables (so
    call after recompute_kpi and recompute_agents of the same intervals)."""
    session.flush()
    conn = session.connection()
    k, a = ReportKpi15m, ReportAgent15m
    for chunk in _chunks(sorted(intervals)):
        session.exec(delete(ReportCenter15m).where(col(ReportCenter15m.interval_start).in_(chunk)))
        rows: dict[datetime, dict] = defaultdict(_new_day)
        columns: list = [k.interval_start, *[func.sum(getattr(k, name)) for name in KPI_SUMS], func.max(k.max_wait_s)]
        for record in conn.execute(
            sa_select(*columns)
            .where(col(k.agent) == ALL, col(k.interval_start).in_(chunk))
            .group_by(col(k.interval_start))
        ):
            _add_kpi_record(rows[record[0]], record[1:])
        agent_columns: list = [a.interval_start, a.logged_in_s, a.paused_s, a.talk_s, a.wrapup_s, a.paused_by_reason]
        for start, *values in conn.execute(
            sa_select(*agent_columns).where(col(a.agent) == ALL, col(a.queue) == ALL, col(a.interval_start).in_(chunk))
        ):
            _add_agent_record(rows[start], *values)
        values = [
            {"interval_start": start, **local_columns(start, zone), **row, "kpis": kpis.compute(row, center_agent(row))}
            for start, row in sorted(rows.items())
        ]
        _insert(session, ReportCenter15m, values)
    session.flush()


def center_agent(row) -> dict:
    """A report_center_15m row's agent time (a dict or a result row) under the names kpis.compute reads."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {
        "logged_in_s": get("logged_in_s"),
        "paused_s": get("paused_s"),
        "talk_s": get("agent_talk_s"),
        "wrapup_s": get("agent_wrapup_s"),
        "paused_by_reason": get("paused_by_reason") or {},
    }
