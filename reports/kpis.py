"""The KPI formulas over the additive sums (reports/KPIS.md defines each one). Ratios are 0..1 or None
when their denominator is zero; times are seconds."""

from __future__ import annotations

KPI_NAMES = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timeouts",
    "exits_key",
    "overflows",
    "callbacks_requested",
    "callbacks_made",
    "transfers",
    "sl_answered",
    "sl_offered",
    "sl_inclusive",
    "asa_s",
    "mean_wait_s",
    "max_wait_s",
    "aht_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "abandon_rate",
    "occupancy",
    "fcr",
    "ivr_self_service",
    "csat",
    "csat_top2",
    "csat_n",
    "nps",
    "nps_n",
    "logged_in_s",
    "ready_s",
    "paused_s",
    "paused_by_reason",
)
# Counts shown as they are (besides the KPI names), for drill-down and the BI.
EXTRA = ("handled", "exits_empty", "restart_lost")


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _mean(total: float, n: float) -> float | None:
    return round(total / n, 2) if n else None


def compute(s: dict, agent: dict | None = None) -> dict:
    """`s`: the sums of report_kpi_15m (names of its columns); `agent`: the sums of report_agent_15m."""
    # A missing or NULL sum is 0. One lookup per name (a report of a month's intervals calls this 2,880 times).
    get = s.get

    def g(name: str):
        return get(name) or 0

    answered, abandoned, short = g("answered"), g("abandoned"), g("short_abandoned")
    offered = g("offered")
    counted = offered - short  # short abandons never weigh on service level or abandonment
    handle = g("talk_s") + g("hold_s") + g("wrapup_s")
    out = {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "short_abandoned": short,
        "timeouts": g("timeouts"),
        "exits_key": g("exits_key"),
        "overflows": g("overflows"),
        "callbacks_requested": g("callbacks_requested"),
        "callbacks_made": g("callbacks_made"),
        "transfers": g("transfers"),
        "sl_answered": _ratio(g("sl_answered"), answered),
        "sl_offered": _ratio(g("sl_answered"), counted),
        "sl_inclusive": _ratio(g("sl_answered") + g("sl_abandoned"), counted),
        "asa_s": _mean(g("wait_answered_s"), answered),
        "mean_wait_s": _mean(g("wait_s"), g("wait_n")),
        "max_wait_s": float(g("max_wait_s")) if g("wait_n") else None,
        "aht_s": _mean(handle, g("handled")),
        "talk_s": round(float(g("talk_s")), 2),
        "hold_s": round(float(g("hold_s")), 2),
        "wrapup_s": round(float(g("wrapup_s")), 2),
        "abandon_rate": _ratio(abandoned, counted),
        "fcr": _ratio(g("fcr_resolved"), g("fcr_n")),
        "ivr_self_service": _ratio(g("ivr_self_service"), g("ivr_calls")),
        "csat": _mean(g("csat_sum"), g("csat_n")),
        "csat_top2": _ratio(g("csat_top2"), g("csat_n")),
        "csat_n": g("csat_n"),
        "nps": round(100.0 * (g("nps_promoters") - g("nps_detractors")) / g("nps_n"), 1) if g("nps_n") else None,
        "nps_n": g("nps_n"),
        **{name: g(name) for name in EXTRA},
    }
    a = agent or {}
    logged, paused = float(a.get("logged_in_s") or 0), float(a.get("paused_s") or 0)
    out["logged_in_s"] = round(logged, 2)
    out["paused_s"] = round(paused, 2)
    out["ready_s"] = round(logged - paused, 2)
    out["paused_by_reason"] = {k: round(v, 2) for k, v in sorted((a.get("paused_by_reason") or {}).items())}
    busy = float(a.get("talk_s") or 0) + float(a.get("wrapup_s") or 0)
    out["occupancy"] = _ratio(busy, logged - paused) if agent is not None else None
    return out
