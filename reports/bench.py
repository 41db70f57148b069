"""`centralita bench reports`: N generated calls (90 days, 20 queues, 100 agents, seeded) written into
the KPI engine's tables, then the standard queries through the real `reports.service.kpi()`, the
incremental path's cost per finished call, and the same queries from the raw records as a ratio.

How the data is written (faithful to the engine, but fast enough for a million calls):
- the facts (report_queue_visits, report_agent_legs, report_calls) are generated directly — folding a
  million calls' queue_log lines through the engine would take hours and measure the ingester, not
  the queries;
- report_kpi_15m is summed by the engine's own accumulators (`aggregates._add_visit/_add_leg/_add_call`)
  with the same keys and roll-up rows as `aggregates.recompute_kpi`, local columns by
  `aggregates.local_columns`;
- report_agent_15m follows recompute_agents' shape (agent × queue, agent × '*', '*' × queue, '*' × '*')
  from generated shifts and pauses, computed here (the engine's version reads every leg before the
  period, see the notes);
- report_kpi_day and report_center_15m are then filled by the engine's own recompute_days and
  recompute_center over the generated period;
- queue_calls (the raw outcome rows the "raw" queries group) gets one row per visit;
- the incremental cost is measured on the real path: finished calls written as queue_log lines and
  CDR rows, read by the real ingesters, then `reports.incremental.process()` and a commit, per call.
"""

from __future__ import annotations

import bisect
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; fixed so every run generates the same calls
QUARTER = timedelta(minutes=15)
# Relative arrivals per hour of day and per weekday (Monday first): a daytime center open 24/7.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 19, 18, 15, 14, 16, 17, 16, 13, 10, 7, 5, 3, 2, 1]
WEEKDAY_WEIGHTS = [1.2, 1.1, 1.05, 1.0, 0.95, 0.5, 0.3]
SHIFTS = [0, 6, 8, 12, 16]  # shift starts (hours); every shift lasts 8 hours
DIDS = ["5930010001", "5930010002", "5930010003", "5930010004", "5930010005"]
Progress = Callable[[str], None]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _stats(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(_quantile(ms, 0.50), 2),
        "p95_ms": round(_quantile(ms, 0.95), 2),
        "max_ms": round(max(ms), 2),
    }


def floor15(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _split(start: datetime, end: datetime) -> Iterator[tuple[datetime, float]]:
    """Seconds of [start, end) in each quarter hour."""
    at = start
    while at < end:
        nxt = min(floor15(at) + QUARTER, end)
        yield floor15(at), (nxt - at).total_seconds()
        at = nxt


def _per_day(calls: int, days: int) -> list[int]:
    weights = [WEEKDAY_WEIGHTS[(START + timedelta(days=d)).weekday()] for d in range(days)]
    total = sum(weights)
    counts = [int(calls * w / total) for w in weights]
    for d in range(calls - sum(counts)):
        counts[d % days] += 1
    return counts


# -- generation ---------------------------------------------------------------------------------------
class Generator:
    """Deterministic calls for one seed; `day(d)` returns the rows of the calls that start that day."""

    def __init__(self, calls: int, days: int, queues: int, agents: int, seed: int, zone: ZoneInfo):
        self.rng = random.Random(seed)
        self.days, self.zone = days, zone
        self.per_day = _per_day(calls, days)
        self.queues = [f"q{i:02d}" for i in range(queues)]
        self.agents = [f"agent{i:03d}" for i in range(agents)]
        self.wrapup = {q: 5 + 5 * (i % 3) for i, q in enumerate(self.queues)}
        # Agent i: home queue i % Q, a second queue, one of the five shifts (each queue has every shift).
        self.skills = {a: sorted({i % queues, (i * 7 + 3) % queues}) for i, a in enumerate(self.agents)}
        self.shift = {a: SHIFTS[(i // queues) % len(SHIFTS)] for i, a in enumerate(self.agents)}
        self.on_duty: dict[tuple[int, int], list[str]] = defaultdict(list)  # (queue index, hour) → agents
        for a in self.agents:
            for qi in self.skills[a]:
                for h in range(self.shift[a], self.shift[a] + 8):
                    self.on_duty[(qi, h % 24)].append(a)
        qw = [1.0 / (i + 1) ** 0.7 for i in range(queues)]  # a few busy queues, a long tail
        self.queue_cum = [sum(qw[: i + 1]) for i in range(queues)]
        self.hour_cum = [sum(HOUR_WEIGHTS[: i + 1]) for i in range(24)]
        self.seq = 0
        self.local: dict[datetime, dict] = {}

    def local_columns(self, start: datetime) -> dict:
        from reports.aggregates import local_columns

        cols = self.local.get(start)
        if cols is None:
            cols = self.local[start] = local_columns(start, self.zone)
        return cols

    def _pick(self, cum: Sequence[float]) -> int:
        return bisect.bisect_left(cum, self.rng.random() * cum[-1])

    def day(self, d: int) -> dict[str, list[dict]]:
        rng = self.rng
        base = START + timedelta(days=d)
        version = "main/v1" if d < self.days // 2 else "main/v2"
        out: dict[str, list[dict]] = {"visits": [], "legs": [], "calls": [], "raw": []}
        for _ in range(self.per_day[d]):
            self.seq += 1
            callid = f"b{self.seq:08d}"
            hour = self._pick(self.hour_cum)
            start = base + timedelta(seconds=hour * 3600 + rng.random() * 3600)
            caller = f"09{rng.randrange(300_000):08d}"
            did = DIDS[min(int(rng.expovariate(1.0) * 1.5), len(DIDS) - 1)]
            campaign = "campana-1" if rng.random() < 0.03 else ""
            call = {
                "linkedid": callid,
                "start": start,
                "interval_start": floor15(start),
                "caller": caller,
                "did": did,
                "flow": "main",
                "flow_version": version,
                "ivr_outcome": "agent",
                "queue": "",
                "agent": "",
                "campaign": campaign,
                "duration_s": 0.0,
                **dict.fromkeys(("csat_sum", "csat_n", "csat_top2", "nps_promoters", "nps_detractors", "nps_n"), 0),
            }
            ivr_s = 10 + rng.random() * 30
            r = rng.random()
            if r < 0.09:  # served by the IVR alone, or hung up in the menu
                call["ivr_outcome"] = "self_service" if r < 0.07 else "abandoned"
                call["duration_s"] = round(ivr_s + rng.random() * 60, 3)
                out["calls"].append(call)
                continue
            qi = self._pick(self.queue_cum)
            queue = self.queues[qi]
            entered = start + timedelta(seconds=ivr_s)
            visit = self._visit(callid, queue, qi, caller, entered, did, version, campaign, out["legs"])
            call["queue"], call["agent"] = queue, visit["agent"]
            call["duration_s"] = round((visit["ended_at"] - start).total_seconds(), 3)
            if visit["outcome"] == "answered" and rng.random() < 0.3:
                csat, nps = rng.choices([1, 2, 3, 4, 5], [5, 5, 15, 35, 40])[0], rng.randrange(11)
                call.update(csat_sum=csat, csat_n=1, csat_top2=int(csat >= 4), nps_n=1)
                call.update(nps_promoters=int(nps >= 9), nps_detractors=int(nps <= 6))
            out["visits"].append(visit)
            out["calls"].append(call)
            out["raw"].append(
                {
                    "callid": callid,
                    "queue": queue,
                    "caller": caller,
                    "entered_at": entered,
                    "position": 1,
                    "outcome": visit["outcome"],
                    "agent": visit["agent"],
                    "wait_seconds": visit["wait_s"],
                    "talk_seconds": visit["talk_s"] if visit["outcome"] == "answered" else None,
                    "ended_at": visit["ended_at"],
                }
            )
        return out

    def _visit(self, callid, queue, qi, caller, entered, did, version, campaign, legs: list) -> dict:
        rng = self.rng
        r = rng.random()
        outcome, left_by, agent = "answered", "", ""
        talk = hold = wrap = 0.0
        transfers = nlegs = 0
        if r < 0.84 and self.on_duty[(qi, entered.hour)]:
            wait = min(rng.expovariate(1 / 22), 290.0)
            agents = self.on_duty[(qi, entered.hour)]
            agent = rng.choice(agents)
            at = entered + timedelta(seconds=wait)
            parts = [(agent, rng.lognormvariate(5.1, 0.6))]
            if rng.random() < 0.04:  # a transfer: the second agent's leg follows the first's
                other = rng.choice(agents)
                parts = [(agent, parts[0][1] * 0.4, "blindtransfer"), (other, parts[0][1] * 0.6)]  # type: ignore[list-item]
                transfers = 1
            for seq, part in enumerate(parts):
                leg_talk = round(part[1], 3)
                leg_hold = round(rng.uniform(5, 60), 3) if rng.random() < 0.15 else 0.0
                ended = at + timedelta(seconds=leg_talk + leg_hold)
                legs.append(
                    {
                        "callid": callid,
                        "queue": queue,
                        "seq": seq,
                        "agent": part[0],
                        "connected_at": at,
                        "interval_start": floor15(at),
                        "ended_at": ended,
                        "ended_by": part[2] if len(part) > 2 else rng.choice(("caller", "agent")),
                        "talk_s": leg_talk,
                        "hold_s": leg_hold,
                        "wrapup_s": float(self.wrapup[queue]),
                    }
                )
                talk, hold, wrap = talk + leg_talk, hold + leg_hold, wrap + self.wrapup[queue]
                at = ended
            nlegs, ended_at = len(parts), at
        else:
            if r < 0.95:
                outcome, left_by, wait = "abandoned", "abandon", min(rng.expovariate(1 / 45), 290.0)
            elif r < 0.97:
                outcome, left_by, wait = "timeout", "timeout", 300.0
            elif r < 0.985:
                outcome, left_by, wait = "overflow", "timeout", 300.0
            else:
                outcome, left_by, wait = "callback", "exitkey", rng.uniform(10, 120)
            ended_at = entered + timedelta(seconds=wait)
        wait = round(wait, 3)
        short = outcome == "abandoned" and wait < 5
        return {
            "callid": callid,
            "linkedid": callid,
            "queue": queue,
            "caller": caller,
            "entered_at": entered,
            "interval_start": floor15(entered),
            "ended_at": ended_at,
            "outcome": outcome,
            "short_abandon": short,
            "left_by": left_by,
            "wait_s": wait,
            "agent": agent,
            "talk_s": round(talk, 3),
            "hold_s": round(hold, 3),
            "wrapup_s": wrap,
            "legs": nlegs,
            "transfers": transfers,
            "sl_threshold_s": 20,
            "within_sl": outcome in ("answered", "abandoned") and not short and wait <= 20,
            "callback_requested": outcome == "callback",
            "callback_made": outcome == "callback" and rng.random() < 0.7,
            "repeat_within_fcr": (rng.random() < 0.15) if outcome == "answered" else None,
            "restart": False,
            "did": did,
            "flow_version": version,
            "campaign": campaign,
        }

    def agent_time(self, d: int, legs: list[dict], into: dict) -> None:
        """Shifts (logged in to both skill queues), a 15-minute break and a 30-minute lunch, talk and
        wrap-up of the legs split at the quarter hours; added to `into[(interval, agent, queue)]`."""
        rng = self.rng
        base = START + timedelta(days=d)

        def bucket(key):
            row = into.get(key)
            if row is None:
                row = into[key] = {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "reasons": {}}
            return row

        for agent in self.agents:
            login = base + timedelta(hours=self.shift[agent], minutes=rng.randrange(6))
            logout = login + timedelta(hours=8)
            pauses = [
                ("break", login + timedelta(hours=2, minutes=rng.randrange(60)), 15),
                ("lunch", login + timedelta(hours=4, minutes=rng.randrange(30)), 30),
            ]
            queues = [self.queues[qi] for qi in self.skills[agent]] + ["*"]
            for queue in queues:
                for start, secs in _split(login, logout):
                    bucket((start, agent, queue))["logged_in_s"] += secs
                for reason, at, minutes in pauses:
                    for start, secs in _split(at, at + timedelta(minutes=minutes)):
                        row = bucket((start, agent, queue))
                        row["paused_s"] += secs
                        row["reasons"][reason] = row["reasons"].get(reason, 0.0) + secs
        for leg in legs:
            busy_end = leg["connected_at"] + timedelta(seconds=leg["talk_s"] + leg["hold_s"])
            wrap_end = leg["ended_at"] + timedelta(seconds=leg["wrapup_s"])
            for queue in (leg["queue"], "*"):
                for start, secs in _split(leg["connected_at"], busy_end):
                    bucket((start, leg["agent"], queue))["talk_s"] += secs
                for start, secs in _split(leg["ended_at"], wrap_end):
                    bucket((start, leg["agent"], queue))["wrapup_s"] += secs


def _kpi_sums(rows: dict, day: dict[str, list[dict]]) -> None:
    """report_kpi_15m's sums with the engine's own accumulators and keys (aggregates.recompute_kpi)."""
    from reports.aggregates import ALL, _add_call, _add_leg, _add_visit, _new_sums

    def row(key):
        found = rows.get(key)
        if found is None:
            found = rows[key] = _new_sums()
        return found

    parents = {}
    for v in day["visits"]:
        ns: Any = SimpleNamespace(**v)
        parents[(v["callid"], v["queue"])] = v
        dims = (v["queue"], v["agent"], v["flow_version"], v["did"], v["campaign"])
        _add_visit(row((v["interval_start"], *dims)), ns)
        _add_visit(row((v["interval_start"], v["queue"], ALL, ALL, ALL, ALL)), ns)
    for leg in day["legs"]:
        p = parents[(leg["callid"], leg["queue"])]
        ns = SimpleNamespace(**leg)
        key = (leg["interval_start"], leg["queue"], leg["agent"], p["flow_version"], p["did"], p["campaign"])
        _add_leg(row(key), ns)
        _add_leg(row((leg["interval_start"], leg["queue"], ALL, ALL, ALL, ALL)), ns)
    for c in day["calls"]:
        ns = SimpleNamespace(**c)
        _add_call(row((c["interval_start"], c["queue"], c["agent"], c["flow_version"], c["did"], c["campaign"])), ns)
        _add_call(row((c["interval_start"], c["queue"], ALL, ALL, ALL, ALL)), ns)


def _agent_rows(acc: dict, gen: Generator) -> list[dict]:
    totals: dict[tuple, dict] = {}
    for (start, _agent, queue), values in acc.items():
        total = totals.setdefault(
            (start, "*", queue), {"logged_in_s": 0.0, "paused_s": 0.0, "talk_s": 0.0, "wrapup_s": 0.0, "reasons": {}}
        )
        for name in ("logged_in_s", "paused_s", "talk_s", "wrapup_s"):
            total[name] += values[name]
        for reason, secs in values["reasons"].items():
            total["reasons"][reason] = total["reasons"].get(reason, 0.0) + secs
    out = []
    for (start, agent, queue), v in [*acc.items(), *totals.items()]:
        out.append(
            {
                "interval_start": start,
                "agent": agent,
                "queue": queue,
                **gen.local_columns(start),
                **{n: round(v[n], 3) for n in ("logged_in_s", "paused_s", "talk_s", "wrapup_s")},
                "paused_by_reason": {k: round(s, 3) for k, s in sorted(v["reasons"].items())},
            }
        )
    return out


def _table(model) -> Any:
    return model.__table__  # SQLModel sets it on table models; mypy cannot see it


def _insert(conn, table, rows: list[dict], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[i : i + chunk])


def _bulk(conn, table, rows: list[dict]) -> None:
    """Every column given; PostgreSQL through COPY (a bulk load as pg_restore would do it), SQLite
    through executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        _insert(conn, table, rows)
        return
    import json

    cols = list(rows[0])
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(
            f"COPY {table.name} ({', '.join(f'{c!r}'.replace(chr(39), chr(34)) for c in cols)}) FROM STDIN"
        ) as cp:
            for row in rows:
                cp.write_row([json.dumps(v) if isinstance(v, dict) else v for v in (row[c] for c in cols)])


def generate(engine: Engine, calls: int, days: int, queues: int, agents: int, seed: int, progress: Progress) -> dict:
    from centralita.settings import get_settings
    from queues.models import AgentEndpoint, Queue, QueueCall
    from reports.models import ReportAgent15m, ReportAgentLeg, ReportCall, ReportKpi15m, ReportQueueVisit

    zone = ZoneInfo(get_settings().report_timezone)
    gen = Generator(calls, days, queues, agents, seed, zone)
    counts: dict[str, int] = defaultdict(int)
    kpi: dict[tuple, dict] = {}
    agent_acc: dict[tuple, dict] = {}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # bulk load only; the queries run as usual
        _insert(conn, _table(Queue), [{"name": q, "label": q, "wrapup_seconds": gen.wrapup[q]} for q in gen.queues])
        _insert(
            conn,
            _table(AgentEndpoint),
            [
                {"username": a, "sip_password": "bench", "extension": str(2000 + i), "contact": ""}
                for i, a in enumerate(gen.agents)
            ],
        )

    def flush_before(limit: datetime | None) -> tuple[list[dict], list[dict]]:
        kpi_out, agent_keys = [], [k for k in agent_acc if limit is None or k[0] < limit]
        for key in [k for k in kpi if limit is None or k[0] < limit]:
            sums = kpi.pop(key)
            start, queue, agent, fv, did, campaign = key
            kpi_out.append(
                {
                    "interval_start": start,
                    "queue": queue,
                    "agent": agent,
                    "flow_version": fv,
                    "did": did,
                    "campaign": campaign,
                    **gen.local_columns(start),
                    **sums,
                }
            )
        done = {k: agent_acc.pop(k) for k in agent_keys}
        return kpi_out, _agent_rows(done, gen)

    last = time.perf_counter()
    for d in range(days):
        day = gen.day(d)
        _kpi_sums(kpi, day)
        gen.agent_time(d, day["legs"], agent_acc)
        # Everything of a call sits at or after its start, so the quarter hours before tomorrow are final.
        final = None if d == days - 1 else START + timedelta(days=d + 1)
        kpi_rows, agent_rows = flush_before(final)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
            for table, rows in (
                (_table(ReportQueueVisit), day["visits"]),
                (_table(ReportAgentLeg), day["legs"]),
                (_table(ReportCall), day["calls"]),
                (_table(QueueCall), day["raw"]),
                (_table(ReportKpi15m), kpi_rows),
                (_table(ReportAgent15m), agent_rows),
            ):
                _bulk(conn, table, rows)
                counts[table.name] += len(rows)
        now = time.perf_counter()
        if now - last >= 5 or d == days - 1:
            last = now
            rate = gen.seq / (now - t0)
            progress(f"{engine.dialect.name}: day {d + 1}/{days}, {gen.seq} calls, {rate:,.0f} calls/s")
    rollup_s = day_rollup(engine, days, zone)
    progress(f"{engine.dialect.name}: daily roll-up by the engine's recompute_days in {rollup_s} s")
    center_s = center_rollup(engine, days, zone)
    progress(f"{engine.dialect.name}: whole-center roll-up by the engine's recompute_center in {center_s} s")
    analyze = engine.dialect.name == "postgresql"
    if analyze:  # what autovacuum does after a bulk load; SQLite is left as the product leaves it
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "rows": dict(counts),
        "analyzed": analyze,
        "day_rollup_s": rollup_s,
        "center_rollup_s": center_s,
        "queues": gen.queues,
        "agents": gen.agents,
        "generator": gen,
    }


def day_rollup(engine: Engine, days: int, zone: ZoneInfo) -> float | None:
    """report_kpi_day (the engine's daily roll-up of the 15-minute tables), by the engine's own
    function over the generated days; None when the engine has no daily roll-up."""
    from reports import aggregates

    if not hasattr(aggregates, "recompute_days"):
        return None
    t = time.perf_counter()
    with Session(engine) as session:
        # A call that starts just before the last midnight has its visit and legs on the next day.
        end = START + timedelta(days=days + 1) - timedelta(microseconds=1)
        aggregates.recompute_days(session, aggregates.days_of(START, end, zone), zone)
        session.commit()
    return round(time.perf_counter() - t, 1)


def center_rollup(engine: Engine, days: int, zone: ZoneInfo) -> float:
    """report_center_15m by the engine's own function over every generated interval."""
    from reports import aggregates

    t = time.perf_counter()
    with Session(engine) as session:
        aggregates.recompute_center(session, aggregates.quarters(START, START + timedelta(days=days + 1)), zone)
        session.commit()
    return round(time.perf_counter() - t, 1)


# -- the standard queries ------------------------------------------------------------------------------
def _windows(rng: random.Random, days: int, repeats: int) -> list[datetime]:
    span = max(days - 30, 1)
    return [START + timedelta(days=rng.randrange(span)) for _ in range(repeats)]


def standard_queries(days: int, agents: list[str], repeats: int, seed: int) -> dict[str, list[dict]]:
    """KpiQuery parameters per standard query, `repeats` draws each (seeded)."""
    rng = random.Random(seed + 1)
    month = timedelta(days=30)
    year_since = START + timedelta(days=days) - timedelta(days=365)
    return {
        "day_x_queue": [
            {"since": s, "until": s + month, "group_by": "day,queue"} for s in _windows(rng, days, repeats)
        ],
        "intervals_of_month": [
            {"since": s, "until": s + month, "group_by": "interval"} for s in _windows(rng, days, repeats)
        ],
        "agent_month": [
            {"since": s, "until": s + month, "group_by": "day", "agent": rng.choice(agents)}
            for s in _windows(rng, days, repeats)
        ],
        "year_by_month": [
            {"since": year_since, "until": START + timedelta(days=days), "group_by": "month"} for _ in range(repeats)
        ],
    }


RAW_KEYS = {
    "sqlite": {
        "day": "substr(entered_at, 1, 10)",
        "month": "substr(entered_at, 1, 7)",
        "interval": "substr(entered_at, 1, 14) || printf('%02d', (CAST(substr(entered_at, 15, 2) AS INTEGER) / 15) * 15)",
    },
    "postgresql": {
        "day": "to_char(entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        "month": "to_char(entered_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        "interval": "date_trunc('hour', entered_at) + floor(extract(minute from entered_at) / 15) * interval '15 minutes'",
    },
}
RAW_SUMS = """count(*) AS offered,
 sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered,
 sum(CASE WHEN outcome = 'abandoned' AND wait_seconds >= 5 THEN 1 ELSE 0 END) AS abandoned,
 sum(CASE WHEN outcome = 'abandoned' AND wait_seconds < 5 THEN 1 ELSE 0 END) AS short_abandoned,
 sum(CASE WHEN outcome = 'answered' AND wait_seconds <= 20 THEN 1 ELSE 0 END) AS sl_answered,
 avg(CASE WHEN outcome = 'answered' THEN wait_seconds END) AS asa_s,
 max(wait_seconds) AS max_wait_s,
 sum(talk_seconds) AS talk_s"""


def raw_sql(dialect: str, name: str, params: dict):
    """The same figures straight from queue_calls (a plain GROUP BY over the raw outcome rows)."""
    from queues.models import QueueCall

    keys = RAW_KEYS[dialect]
    group = {
        "day_x_queue": [keys["day"], "queue"],
        "intervals_of_month": [keys["interval"]],
        "agent_month": [keys["day"]],
        "year_by_month": [keys["month"]],
    }[name]
    where = "entered_at >= :since AND entered_at < :until" + (" AND agent = :agent" if "agent" in params else "")
    cols = ", ".join(f"{g} AS k{i}" for i, g in enumerate(group))
    by = ", ".join(str(i + 1) for i in range(len(group)))
    sql = f"SELECT {cols}, {RAW_SUMS} FROM queue_calls WHERE {where} GROUP BY {by}"
    dt = _table(QueueCall).c.entered_at.type
    stmt = text(sql).bindparams(bindparam("since", type_=dt), bindparam("until", type_=dt))
    values = {"since": params["since"], "until": params["until"]}
    if "agent" in params:
        values["agent"] = params["agent"]
    return stmt, values


def run_queries(engine: Engine, queries: dict[str, list[dict]]) -> dict:
    from reports import service
    from reports.schemas import KpiQuery

    out: dict = {}
    with Session(engine) as session:
        for name, draws in queries.items():
            kpi_ms, raw_ms, rows = [], [], 0
            service.kpi(session, KpiQuery(**draws[0]))  # warm-up (plans, caches), not counted
            for params in draws:
                t = time.perf_counter()
                result = service.kpi(session, KpiQuery(**params))
                kpi_ms.append((time.perf_counter() - t) * 1000)
                rows = max(rows, len(result))
            for params in draws:
                stmt, values = raw_sql(engine.dialect.name, name, params)
                t = time.perf_counter()
                session.connection().execute(stmt, values).fetchall()
                raw_ms.append((time.perf_counter() - t) * 1000)
            k, r = _stats(kpi_ms), _stats(raw_ms)
            out[name] = {
                "params": {k2: (v.isoformat() if isinstance(v, datetime) else v) for k2, v in draws[0].items()},
                "rows": rows,
                "kpi": k,
                "raw": r,
                "raw_over_kpi_p50": round(r["p50_ms"] / k["p50_ms"], 2) if k["p50_ms"] else None,
                "target_p95_ms": 300,
                "meets_target": k["p95_ms"] < 300,
            }
    return out


def check_totals(engine: Engine, days: int) -> dict:
    """The engine's answer and the raw rows agree on the basic counts (the data set is coherent)."""
    from reports import service
    from reports.schemas import KpiQuery

    q = KpiQuery(since=START, until=START + timedelta(days=days + 1), group_by="none")
    with Session(engine) as session:
        row = (service.kpi(session, q) or [{}])[0]
        raw = (
            session.connection()
            .execute(
                text(
                    "SELECT count(*), sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN outcome = 'abandoned' AND wait_seconds < 5 THEN 1 ELSE 0 END) FROM queue_calls"
                )
            )
            .one()
        )
    return {
        "offered": {"kpi": row.get("offered"), "raw": raw[0]},
        "answered": {"kpi": row.get("answered"), "raw": raw[1]},
        "short_abandoned": {"kpi": row.get("short_abandoned"), "raw": raw[2]},
        "sl_answered": row.get("sl_answered"),
        "aht_s": row.get("aht_s"),
        "occupancy": row.get("occupancy"),
        "csat": row.get("csat"),
        "nps": row.get("nps"),
        "ivr_self_service": row.get("ivr_self_service"),
    }


# -- incremental cost ----------------------------------------------------------------------------------
def _cdr_row(callid: str, start: int, answer: int, end: int, src: str, did: str, queue: str) -> list[str]:
    """One cdr_custom row (column order of api/calls/service.py CDR_COLUMNS)."""
    return [
        callid,
        "1",
        callid,
        str(start),
        str(answer),
        str(end),
        str(end - start),
        str(end - answer),
        src,
        f'"{src}" <{src}>',
        "s",
        "centralita-ivr",
        f"PJSIP/trunk-{callid}",
        "",
        "Queue",
        queue,
        "ANSWERED",
        did,
        f"flow:main/v2>menu:1>queue:{queue}",
        "",
        "",
    ]


def incremental_cost(engine: Engine, gen: Generator, sample: int, budget_s: float, workdir: Path) -> dict:
    """Finished calls on the last generated day, one at a time: their queue_log lines and CDR row are
    appended to the files, read by the real ingesters, then the engine's incremental path runs and
    commits. Times: ingest (both files) and process+commit, per call."""
    import csv

    from api.calls.service import ingest_file as ingest_cdr
    from centralita.settings import get_settings
    from queues.queuelog import ingest_file as ingest_queue_log
    from reports import incremental

    settings = get_settings()
    rng = random.Random(7)
    qlog, cdr = workdir / "queue_log", workdir / "Master.csv"
    base = int((START + timedelta(days=gen.days - 1, hours=11)).timestamp())
    ingest_ms, process_ms = [], []
    began = time.perf_counter()
    with Session(engine) as session:
        for i in range(sample + 1):  # the first call is a warm-up (cursor rows, caches)
            queue = gen.queues[rng.randrange(len(gen.queues))]
            qi = gen.queues.index(queue)
            agent = rng.choice(gen.on_duty[(qi, 11)] or gen.agents)
            callid, t0 = f"inc{i:05d}", base + i * 40
            wait, talk = rng.randrange(3, 40), rng.randrange(30, 400)
            caller = f"09{rng.randrange(300_000):08d}"
            lines = [
                f"{t0 + 20}|{callid}|{queue}|NONE|ENTERQUEUE||{caller}|1",
                f"{t0 + 20 + wait}|{callid}|{queue}|{agent}|CONNECT|{wait}|{callid}-agent|1",
                f"{t0 + 20 + wait + talk}|{callid}|{queue}|{agent}|COMPLETECALLER|{wait}|{talk}|1",
            ]
            with qlog.open("a") as fh:
                fh.write("".join(line + "\n" for line in lines))
            with cdr.open("a", newline="") as fh:
                end = t0 + 20 + wait + talk
                csv.writer(fh).writerow(_cdr_row(callid, t0, t0 + 1, end, caller, DIDS[0], queue))
            t = time.perf_counter()
            ingest_queue_log(session, qlog)
            ingest_cdr(session, cdr)
            t1 = time.perf_counter()
            incremental.process(session, settings)
            session.commit()
            t2 = time.perf_counter()
            if i:
                ingest_ms.append((t1 - t) * 1000)
                process_ms.append((t2 - t1) * 1000)
            if time.perf_counter() - began > budget_s and len(process_ms) >= 3:
                break
    return {
        "calls": len(process_ms),
        "ingest": _stats(ingest_ms),
        "process": _stats(process_ms),
        "mean_process_ms": round(statistics.fmean(process_ms), 2),
    }


# -- databases -----------------------------------------------------------------------------------------
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (Debian's server, the way the test suite starts one); yields a
    base URL without a database name."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL server binaries are missing: install 'postgresql' or pass --postgres-url")
    base = Path(tempfile.mkdtemp(prefix="centralita-bench-pg-"))
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
        shutil.chown(base, user)
        shutil.chown(sockdir, user)
        run_as = ["runuser", "-u", user, "--"]
    port = _free_port()
    subprocess.run(
        [*run_as, initdb, "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(datadir), "-w", "-t", "30", "-l", str(base / "pg.log"), "-o", opts, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(datadir), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def _database(backend: str, workdir: Path, postgres_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import secrets

    from sqlalchemy import create_engine

    @contextmanager
    def server() -> Iterator[str]:
        if postgres_url:
            yield postgres_url.rsplit("/", 1)[0] if postgres_url.count("/") > 2 else postgres_url
        else:
            with temporary_postgres() as url:
                yield url

    with server() as base:
        name = "bench_" + secrets.token_hex(4)
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield f"{base}/{name}"
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()


def run_backend(backend: str, args: dict, postgres_url: str | None, progress: Progress) -> dict:
    from centralita import db

    with (
        tempfile.TemporaryDirectory(prefix="centralita-bench-") as tmp,
        _database(backend, Path(tmp), postgres_url) as url,
    ):
        progress(f"{backend}: migrating a fresh database")
        db.upgrade(url)
        engine = db.make_engine(url)
        try:
            gen = generate(engine, args["calls"], args["days"], args["queues"], args["agents"], args["seed"], progress)
            label = url.split("@")[-1] if backend == "postgresql" else "sqlite (temporary file)"
            return measure(engine, label, gen, args, Path(tmp), progress)
        finally:
            engine.dispose()


def measure(engine: Engine, label: str, gen: dict, args: dict, workdir: Path, progress: Progress) -> dict:
    """The standard queries, the totals check and the incremental cost on a generated database."""
    backend = engine.dialect.name
    generator = gen.pop("generator")
    progress(f"{backend}: standard queries ({args['repeats']} draws each)")
    queries = standard_queries(args["days"], gen.pop("agents"), args["repeats"], args["seed"])
    result: dict[str, Any] = {
        "url": label,
        "generation": {k: v for k, v in gen.items() if k != "queues"},
        "queries": run_queries(engine, queries),
        "totals": check_totals(engine, args["days"]),
    }
    progress(f"{backend}: incremental path on {args['incremental']} finished calls")
    result["incremental"] = incremental_cost(
        engine, generator, args["incremental"], args["incremental_budget_s"], workdir
    )
    result["meets_target"] = all(q["meets_target"] for q in result["queries"].values())
    return result


def run_bench(
    calls: int,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    days: int = 90,
    queues: int = 20,
    agents: int = 100,
    seed: int = 1,
    repeats: int = 20,
    incremental: int = 50,
    incremental_budget_s: float = 120.0,
    postgres_url: str | None = None,
    progress: Progress | None = None,
) -> dict:
    import signal

    # A killed run still stops its temporary PostgreSQL and removes its files (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    args = {
        "calls": calls,
        "days": days,
        "queues": queues,
        "agents": agents,
        "seed": seed,
        "repeats": repeats,
        "incremental": incremental,
        "incremental_budget_s": incremental_budget_s,
    }
    doc: dict = {"bench": "reports", **args, "start": START.isoformat(), "backends": {}}
    for backend in backends:
        doc["backends"][backend] = run_backend(backend, args, postgres_url, say)
    doc["meets_target"] = all(b["meets_target"] for b in doc["backends"].values())
    return doc
