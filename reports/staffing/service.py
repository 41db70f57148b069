"""Staffing logic, no HTTP: history from the raw queue records, forecasts with overrides, week plans by
Erlang C and Erlang A, forecast accuracy and adherence. Services add and audit; the caller commits once.
"now" is always a parameter."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, cast, func
from sqlmodel import Session, col, select

from api.audit.service import record
from centralita.errors import FieldError, FieldErrors, NotFound
from centralita.settings import get_settings
from queues.models import AgentPause, AgentSession, Queue, QueueCall
from reports.staffing import erlang, erlang_a
from reports.staffing import forecast as fc
from reports.staffing.models import StaffingOverride, StaffingPlan
from reports.staffing.schemas import ForecastParams, PlanParams, Targets, check_day, period_check

INTERVAL_S = 900.0


def zone() -> ZoneInfo:
    # The center's zone (report_timezone, from the reports engine's settings); UTC until it is set.
    return ZoneInfo(getattr(get_settings(), "report_timezone", "UTC") or "UTC")


def check_queue(session: Session, name: str) -> Queue:
    queue = session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        raise NotFound("queue", f"queue '{name}' not found")
    return queue


def _days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return fc.slot_start(day, 0, tz)


# History ------------------------------------------------------------------------------------------
def _bucket(session: Session):
    """SQL for the 15-minute interval number (seconds since 1970 // 900) of QueueCall.entered_at, so the
    database counts and only one row per interval travels (a quarter's history is ~100k calls)."""
    if session.get_bind().dialect.name == "sqlite":  # stored as UTC text
        return cast(func.strftime("%s", QueueCall.entered_at), Integer) // 900
    return cast(func.floor(func.extract("epoch", col(QueueCall.entered_at)) / 900), BigInteger)


def offered_history(session: Session, queue: str, since: datetime, until: datetime) -> dict[datetime, float]:
    """Offered calls per UTC 15-minute interval: every queue entry (answered, abandoned, timed out, ...)."""
    bucket = _bucket(session).label("bucket")
    rows = session.exec(
        select(bucket, func.count())
        .where(QueueCall.queue == queue, QueueCall.entered_at >= since, QueueCall.entered_at < until)
        .group_by(bucket)
    )
    return {datetime.fromtimestamp(int(b) * 900, UTC): float(n) for b, n in rows}


def history_table(session: Session, queue: str, first_day: date, days: int, tz: ZoneInfo) -> dict[date, list[float]]:
    span = _days(first_day, days)
    hist = offered_history(session, queue, _midnight(first_day, tz), _midnight(first_day + timedelta(days=days), tz))
    return fc.daily_table(hist, span, tz)


def measured(session: Session, queue: Queue, since: datetime, until: datetime) -> dict:
    """AHT and patience from the raw records of the period.

    AHT = mean talk time of answered calls + the queue's wrap-up time (queue_log's talk time includes
    hold). Patience = Σ wait of every caller who waited (answered, abandoned, timed out, left by key)
    / number of abandons: the maximum-likelihood mean of an exponential patience, answered callers'
    waits counting as censored."""
    answered = col(QueueCall.outcome) == "answered"
    calls, n_talk, talk, waited, abandons = session.exec(
        select(  # type: ignore[call-overload]
            func.count(),
            func.count(case((answered, QueueCall.talk_seconds))),
            func.coalesce(func.sum(case((answered, QueueCall.talk_seconds))), 0.0),
            func.coalesce(func.sum(case((col(QueueCall.wait_seconds) > 0, QueueCall.wait_seconds))), 0.0),
            func.count(case((col(QueueCall.outcome) == "abandoned", 1))),
        ).where(QueueCall.queue == queue.name, QueueCall.entered_at >= since, QueueCall.entered_at < until)
    ).one()
    return {
        "calls": calls,
        "answered": n_talk,
        "abandoned": abandons,
        "aht_s": (float(talk) / n_talk + queue.wrapup_seconds) if n_talk else None,
        "patience_s": (float(waited) / abandons) if abandons else None,
        "total_wait_s": float(waited),
    }


# Overrides ----------------------------------------------------------------------------------------
OVERRIDE_COLUMNS = ("date", "queue", "start", "end", "factor", "calls", "label")
MAX_OVERRIDE_ROWS = 10_000


def _minute(text: str, field: str, default: int) -> int:
    text = text.strip()
    if not text:
        return default
    try:
        hh, mm = text.split(":")
        value = int(hh) * 60 + int(mm)
    except ValueError:
        raise ValueError(f"{field}: '{text}' is not HH:MM") from None
    if not 0 <= value <= 1440 or int(mm) >= 60 or value % 15:
        raise ValueError(f"{field}: '{text}' must be a 15-minute boundary between 00:00 and 24:00")
    return value


def _number(text: str, field: str, lo: float, hi: float) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{field}: '{text}' is not a number") from None
    if not (lo <= value <= hi) or math.isnan(value):
        raise ValueError(f"{field}: {text} must be between {lo:g} and {hi:g}")
    return value


def parse_overrides(session: Session, text: str) -> list[StaffingOverride]:
    """Every row checked; any bad row → FieldErrors naming the row and column (nothing is kept)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in OVERRIDE_COLUMNS]
    if "date" not in header or not ({"factor", "calls"} & set(header)) or unknown:
        raise FieldError(
            "file",
            f"the header must name date and factor or calls (allowed: {', '.join(OVERRIDE_COLUMNS)})"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
        )
    reader.fieldnames = header
    queues = {q for q in session.exec(select(Queue.name))}
    rows, errors = [], []
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        if number - 1 > MAX_OVERRIDE_ROWS:
            raise FieldError("file", f"more than {MAX_OVERRIDE_ROWS} rows")
        get = {k: (v or "") for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append({"loc": ["file", f"row {number}"], "msg": f"row {number}: more fields than the header"})
            continue
        problems = []
        try:
            day = date.fromisoformat(get.get("date", "").strip())
        except ValueError:
            problems.append(f"date: '{get.get('date', '')}' is not YYYY-MM-DD")
            day = None
        queue = get.get("queue", "").strip()
        if queue and queue not in queues:
            problems.append(f"queue: '{queue}' not found")
        values: dict = {}
        for name, parse_one in (
            ("start", lambda t: _minute(t, "start", 0)),
            ("end", lambda t: _minute(t, "end", 1440)),
            ("factor", lambda t: _number(t, "factor", 0, 100)),
            ("calls", lambda t: _number(t, "calls", 0, 100_000)),
        ):
            try:
                values[name] = parse_one(get.get(name, ""))
            except ValueError as exc:
                problems.append(str(exc))
        if "start" in values and "end" in values and values["start"] >= values["end"]:
            problems.append("end: must be after start")
        if "factor" in values and "calls" in values and (values["factor"] is None) == (values["calls"] is None):
            problems.append("factor: give exactly one of factor or calls")
        label = get.get("label", "").strip()
        if len(label) > 200:
            problems.append("label: longer than 200 characters")
        if problems:
            for p in problems:
                errors.append({"loc": ["file", f"row {number}", p.split(":")[0]], "msg": f"row {number}: {p}"})
            continue
        assert day is not None
        rows.append(
            StaffingOverride(
                queue=queue,
                day=day,
                start_minute=values["start"],
                end_minute=values["end"],
                factor=values["factor"],
                calls=values["calls"],
                label=label,
            )
        )
    if errors:
        raise FieldErrors("file", errors)
    if not rows:
        raise FieldError("file", "no rows")
    return rows


def import_overrides(session: Session, text: str, source: str, user=None, client: str = "") -> list[StaffingOverride]:
    rows = parse_overrides(session, text)
    for row in rows:
        row.source = source[:200]
        row.created_by = getattr(user, "username", "") or ""
        session.add(row)
    session.flush()
    record(
        session,
        "staffing.overrides.import",
        user=user,
        target=f"file:{source[:100]}",
        detail={"rows": len(rows)},
        client=client,
    )
    return rows


def list_overrides(session: Session, queue: str | None = None, since: date | None = None, until: date | None = None):
    stmt = select(StaffingOverride).order_by(col(StaffingOverride.day), col(StaffingOverride.id))
    if queue:
        stmt = stmt.where(col(StaffingOverride.queue).in_([queue, ""]))
    if since:
        stmt = stmt.where(StaffingOverride.day >= since)
    if until:
        stmt = stmt.where(StaffingOverride.day <= until)
    return list(session.exec(stmt))


def delete_override(session: Session, override_id: int, user=None, client: str = "") -> None:
    row = session.get(StaffingOverride, override_id)
    if row is None:
        raise NotFound("override_id", f"override {override_id} not found")
    session.delete(row)
    record(session, "staffing.overrides.delete", user=user, target=f"override:{override_id}", client=client)


def apply_overrides(values: dict[date, list[float]], overrides: Iterable[StaffingOverride]) -> list[dict]:
    """Replace or scale the forecast where an override says so; returns what was applied."""
    applied = []
    for o in overrides:
        row = values.get(o.day)
        if row is None:
            continue
        for s in range(o.start_minute // 15, o.end_minute // 15):
            row[s] = o.calls if o.calls is not None else row[s] * (o.factor or 0.0)
        applied.append(override_out(o))
    return applied


def override_out(o: StaffingOverride) -> dict:
    return {
        "id": o.id,
        "queue": o.queue,
        "date": o.day.isoformat(),
        "start": f"{o.start_minute // 60:02d}:{o.start_minute % 60:02d}",
        "end": f"{o.end_minute // 60:02d}:{o.end_minute % 60:02d}",
        "factor": o.factor,
        "calls": o.calls,
        "label": o.label,
        "source": o.source,
    }


# Forecast -----------------------------------------------------------------------------------------
def forecast_days(session: Session, p: ForecastParams, first: date, n_days: int, overrides: bool = True) -> dict:
    """The forecast of `n_days` local days from `first`, learnt from the `history_weeks` weeks before it."""
    check_queue(session, p.queue)
    tz = zone()
    hist_first = first - timedelta(days=7 * p.history_weeks)
    table = history_table(session, p.queue, hist_first, 7 * p.history_weeks, tz)
    targets = _days(first, n_days)
    values = fc.forecast(p.method, table, targets)
    applied = apply_overrides(values, list_overrides(session, p.queue, first, targets[-1])) if overrides else []
    return {"tz": tz, "table": table, "targets": targets, "values": values, "overrides": applied}


def forecast_out(session: Session, p: ForecastParams, since: date, until: date) -> dict:
    period_check(since, until)
    f = forecast_days(session, p, since, (until - since).days + 1)
    tz = f["tz"]
    return {
        "queue": p.queue,
        "method": p.method,
        "timezone": str(tz),
        "history_weeks": p.history_weeks,
        "overrides": f["overrides"],
        "days": [
            {
                "date": d.isoformat(),
                "total": round(sum(f["values"][d]), 2),
                "intervals": [
                    {"start": fc.slot_start(d, s, tz).isoformat(), "slot": s, "calls": round(v, 3)}
                    for s, v in enumerate(f["values"][d])
                ],
            }
            for d in f["targets"]
        ],
    }


# Plans --------------------------------------------------------------------------------------------
def _targets(session: Session, p: PlanParams) -> tuple[float, float | None, dict]:
    """AHT and patience: the given ones, else measured over the history window."""
    queue = check_queue(session, p.queue)
    tz = zone()
    since = _midnight(p.week_start - timedelta(days=7 * p.history_weeks), tz)
    m = measured(session, queue, since, _midnight(p.week_start, tz))
    aht = p.aht_s or m["aht_s"]
    if aht is None:
        raise FieldError("aht_s", "no answered calls in the history to measure it: give aht_s")
    patience = p.patience_s or m["patience_s"]
    return aht, patience, m


def check_load(calls: float, interval_s: float, aht: float, field: str = "calls") -> None:
    load = erlang.traffic(calls, interval_s, aht)
    if load > erlang.MAX_LOAD_ERLANGS:
        raise FieldError(field, f"{load:.0f} erlangs in one interval: more than {erlang.MAX_LOAD_ERLANGS:.0f}")


def requirement(calls: float, t: Targets, aht: float, patience: float | None) -> dict:
    check_load(calls, INTERVAL_S, aht)
    c = erlang.required(calls, INTERVAL_S, aht, t.target_sl, t.threshold_s, t.shrinkage, t.max_occupancy)
    if patience is None:  # no abandons seen: callers wait as long as it takes, Erlang A is Erlang C
        a = c
    else:
        a = erlang_a.required(calls, INTERVAL_S, aht, patience, t.target_sl, t.threshold_s, t.shrinkage)
    chosen = a if t.model == "erlang_a" else c
    return {
        "agents_c": c.agents,
        "agents_a": a.agents,
        "agents": chosen.agents,
        "scheduled": chosen.scheduled,
        "sl": None if chosen.service_level is None else round(chosen.service_level, 4),
        "abandon_rate": None if a.abandon_rate is None else round(a.abandon_rate, 4),
    }


def build_plan(session: Session, p: PlanParams) -> dict:
    aht, patience, m = _targets(session, p)
    f = forecast_days(session, p, p.week_start, 7)
    tz = f["tz"]
    cache: dict[float, dict] = {}
    days = []
    for d in f["targets"]:
        intervals = []
        for s, calls in enumerate(f["values"][d]):
            key = round(calls, 2)
            if key not in cache:
                cache[key] = requirement(key, p, aht, patience)
            intervals.append({"start": fc.slot_start(d, s, tz).isoformat(), "slot": s, "calls": key, **cache[key]})
        days.append(
            {
                "date": d.isoformat(),
                "calls": round(sum(i["calls"] for i in intervals), 1),
                "agent_hours": round(sum(i["scheduled"] for i in intervals) / 4, 2),
                "peak_scheduled": max(i["scheduled"] for i in intervals),
                "intervals": intervals,
            }
        )
    return {
        "queue": p.queue,
        "week_start": p.week_start.isoformat(),
        "timezone": str(tz),
        "method": p.method,
        "model": p.model,
        "target_sl": p.target_sl,
        "threshold_s": p.threshold_s,
        "shrinkage": p.shrinkage,
        "aht_s": round(aht, 2),
        "patience_s": None if patience is None else round(patience, 2),
        "measured": m,
        "overrides": f["overrides"],
        "days": days,
    }


def save_plan(
    session: Session, p: PlanParams, user=None, client: str = "", now: datetime | None = None
) -> StaffingPlan:
    plan = build_plan(session, p)
    row = session.exec(
        select(StaffingPlan).where(StaffingPlan.queue == p.queue, StaffingPlan.week_start == p.week_start)
    ).first()
    fields = {
        "method": p.method,
        "model": p.model,
        "target_sl": p.target_sl,
        "threshold_s": p.threshold_s,
        "shrinkage": p.shrinkage,
        "aht_s": plan["aht_s"],
        "patience_s": plan["patience_s"],
        "timezone": plan["timezone"],
    }
    if row is None:
        row = StaffingPlan(queue=p.queue, week_start=p.week_start, **fields)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    row.intervals = [i for d in plan["days"] for i in d["intervals"]]
    row.created_by = getattr(user, "username", "") or ""
    if now is not None:
        row.created_at = now
    session.add(row)
    session.flush()
    record(
        session,
        "staffing.plan.save",
        user=user,
        target=f"queue:{p.queue}",
        detail={"week_start": p.week_start.isoformat(), "model": p.model, "plan_id": row.id},
        client=client,
    )
    return row


def plan_out(row: StaffingPlan, with_intervals: bool = True) -> dict:
    out: dict = {
        "id": row.id,
        "queue": row.queue,
        "week_start": row.week_start.isoformat(),
        "method": row.method,
        "model": row.model,
        "target_sl": row.target_sl,
        "threshold_s": row.threshold_s,
        "shrinkage": row.shrinkage,
        "aht_s": row.aht_s,
        "patience_s": row.patience_s,
        "timezone": row.timezone,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }
    if with_intervals:
        out["intervals"] = row.intervals
    return out


def list_plans(session: Session, queue: str | None = None) -> list[StaffingPlan]:
    stmt = select(StaffingPlan).order_by(col(StaffingPlan.week_start).desc(), col(StaffingPlan.queue))
    if queue:
        stmt = stmt.where(StaffingPlan.queue == queue)
    return list(session.exec(stmt))


def get_plan(session: Session, plan_id: int) -> StaffingPlan:
    row = session.get(StaffingPlan, plan_id)
    if row is None:
        raise NotFound("plan_id", f"plan {plan_id} not found")
    return row


# Forecast vs actual -------------------------------------------------------------------------------
def accuracy(session: Session, p: ForecastParams, since: date, until: date, now: datetime) -> dict:
    """Each day forecast from the history before `since` (as a plan made then would have been), by both
    methods, against what was offered; WAPE per day and over the period (elapsed intervals only)."""
    period_check(since, until)
    check_queue(session, p.queue)
    tz = zone()
    if _midnight(since, tz) >= now:
        raise FieldError("since", "the period has not started yet: nothing to compare")
    n = (until - since).days + 1
    base = ForecastParams(queue=p.queue, method="seasonal_average", history_weeks=p.history_weeks)
    better = ForecastParams(queue=p.queue, method="holt_winters", history_weeks=p.history_weeks)
    f_hw = forecast_days(session, better, since, n)
    f_sa = forecast_days(session, base, since, n)
    actual = history_table(session, p.queue, since, n, tz)
    days: list[dict] = []
    pooled: dict[str, list[float]] = {"actual": [], "holt_winters": [], "seasonal_average": []}
    for d in f_hw["targets"]:
        rows = []
        for s in range(fc.SLOTS):
            start = fc.slot_start(d, s, tz)
            if start + fc.INTERVAL > now:
                break
            rows.append(
                {
                    "start": start.isoformat(),
                    "slot": s,
                    "actual": actual[d][s],
                    "holt_winters": round(f_hw["values"][d][s], 3),
                    "seasonal_average": round(f_sa["values"][d][s], 3),
                }
            )
        for key in pooled:
            pooled[key] += [r[key] for r in rows]
        days.append(
            {
                "date": d.isoformat(),
                "actual": sum(r["actual"] for r in rows),
                "holt_winters": round(sum(r["holt_winters"] for r in rows), 1),
                "seasonal_average": round(sum(r["seasonal_average"] for r in rows), 1),
                "wape_holt_winters": _r(fc.wape([r["actual"] for r in rows], [r["holt_winters"] for r in rows])),
                "wape_seasonal_average": _r(
                    fc.wape([r["actual"] for r in rows], [r["seasonal_average"] for r in rows])
                ),
                "intervals": rows,
            }
        )
    return {
        "queue": p.queue,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "timezone": str(tz),
        "wape": {
            "holt_winters": _r(fc.wape(pooled["actual"], pooled["holt_winters"])),
            "seasonal_average": _r(fc.wape(pooled["actual"], pooled["seasonal_average"])),
        },
        "days": days,
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


# Adherence ----------------------------------------------------------------------------------------
def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def adherence(session: Session, queue: str, day: date, now: datetime) -> dict:
    """Per local interval of `day`: the plan's agents (saved plan of that week, if any) against the agents
    logged in and ready (logged in and not paused), as the average number present over the interval."""
    check_queue(session, queue)
    check_day("day", day)
    tz = zone()
    start, end = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    if start >= now:
        raise FieldError("day", "the day has not started yet")
    sessions = session.exec(
        select(AgentSession).where(
            AgentSession.queue == queue,
            AgentSession.login_at < end,
            (col(AgentSession.logout_at).is_(None)) | (col(AgentSession.logout_at) > start),
        )
    ).all()
    agents = {s.agent for s in sessions}
    pauses = (
        session.exec(
            select(AgentPause).where(
                col(AgentPause.agent).in_(agents),
                col(AgentPause.queue).in_([queue, "", "NONE"]),  # a pause of every queue counts too
                AgentPause.start < end,
                (col(AgentPause.end).is_(None)) | (col(AgentPause.end) > start),
            )
        ).all()
        if agents
        else []
    )
    plan = _plan_for(session, queue, day)
    planned = {i["start"]: i for i in plan.intervals} if plan else {}
    rows = []
    for s in range(fc.SLOTS):
        i0 = fc.slot_start(day, s, tz)
        i1 = min(i0 + fc.INTERVAL, now)
        p = planned.get(i0.isoformat(), {})
        row = {
            "start": i0.isoformat(),
            "slot": s,
            "planned": p.get("agents"),
            "scheduled": p.get("scheduled"),
            "logged_in": None,
            "ready": None,
        }
        if i1 > i0:
            span = (i1 - i0).total_seconds()
            logged = paused = 0.0
            for a in sessions:
                a1 = a.logout_at or now
                logged += _overlap(a.login_at, a1, i0, i1)
                for pz in pauses:
                    if pz.agent == a.agent:
                        # paused while logged in: the pause, the session and the interval all at once
                        lo, hi = max(pz.start, a.login_at), min(pz.end or now, a1)
                        if hi > lo:
                            paused += _overlap(lo, hi, i0, i1)
            row["logged_in"] = round(logged / span, 2)
            row["ready"] = round(max(0.0, logged - paused) / span, 2)
        rows.append(row)
    elapsed = [r for r in rows if r["ready"] is not None and r["planned"]]
    short = [r for r in elapsed if r["ready"] < r["planned"]]
    return {
        "queue": queue,
        "date": day.isoformat(),
        "timezone": str(tz),
        "plan_id": plan.id if plan else None,
        "intervals_planned": len(elapsed),
        "intervals_short": len(short),
        "adherence": round(1 - len(short) / len(elapsed), 4) if elapsed else None,
        "intervals": rows,
    }


def _plan_for(session: Session, queue: str, day: date) -> StaffingPlan | None:
    return session.exec(
        select(StaffingPlan)
        .where(
            StaffingPlan.queue == queue, StaffingPlan.week_start <= day, StaffingPlan.week_start > day - timedelta(7)
        )
        .order_by(col(StaffingPlan.week_start).desc())
    ).first()


# The calculator -----------------------------------------------------------------------------------
def calculator(calls: float, interval_s: float, t: Targets) -> dict:
    aht = t.aht_s or 180.0
    check_load(calls, interval_s, aht)
    c = erlang.required(calls, interval_s, aht, t.target_sl, t.threshold_s, t.shrinkage, t.max_occupancy)
    out: dict = {
        "calls": calls,
        "interval_s": interval_s,
        "aht_s": aht,
        "traffic_erlangs": round(erlang.traffic(calls, interval_s, aht), 4),
        "erlang_c": c.__dict__,
    }
    if t.patience_s:
        out["erlang_a"] = erlang_a.required(
            calls, interval_s, aht, t.patience_s, t.target_sl, t.threshold_s, t.shrinkage
        ).__dict__
    return out
