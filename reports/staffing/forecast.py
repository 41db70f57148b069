"""Offered calls per 15-minute interval, forecast from the queue history.

Two methods, both pure Python:
- `seasonal_average` (the baseline): the mean of the same weekday × interval over the history.
- `holt_winters` (the default): Holt-Winters on the daily totals — level, damped trend and a weekly
  multiplicative season, its smoothing constants chosen on the history by the one-day-ahead error — times
  each weekday's intraday profile (the share of the day's calls in each interval, recent weeks weighing
  more). The daily series is long enough to estimate a trend that one interval's series is too noisy to
  show, and the profile pools every week's shape.

Time: the history and the result are keyed by the interval's UTC start; weekdays and intervals are the
center's local ones (`tz`), so a Monday 09:00 peak stays at 09:00 local across a DST change.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

INTERVAL = timedelta(minutes=15)
SLOTS = 96
METHODS = ("holt_winters", "seasonal_average")

Series = Mapping[datetime, float]  # UTC interval start → offered calls


def slot_start(day: date, slot: int, tz: ZoneInfo) -> datetime:
    """UTC start of local interval `slot` (0..95) of local `day`."""
    local = datetime.combine(day, time(slot // 4, (slot % 4) * 15), tzinfo=tz)
    return local.astimezone(UTC)


def day_slots(day: date, tz: ZoneInfo) -> list[datetime]:
    return [slot_start(day, s, tz) for s in range(SLOTS)]


def _local(at: datetime, tz: ZoneInfo) -> tuple[date, int]:
    local = at.astimezone(tz)
    return local.date(), local.hour * 4 + local.minute // 15


def daily_table(history: Series, days: Iterable[date], tz: ZoneInfo) -> dict[date, list[float]]:
    """Local day → 96 counts (zeros where nobody called) for the given days."""
    table = {d: [0.0] * SLOTS for d in days}
    for at, n in history.items():
        d, s = _local(at, tz)
        if d in table:
            table[d][s] += n
    return table


def seasonal_average(table: Mapping[date, list[float]], targets: Iterable[date]) -> dict[date, list[float]]:
    by_weekday: dict[int, list[list[float]]] = defaultdict(list)
    for d, row in table.items():
        by_weekday[d.weekday()].append(row)
    out = {}
    for d in targets:
        rows = by_weekday.get(d.weekday(), [])
        out[d] = [sum(r[s] for r in rows) / len(rows) for s in range(SLOTS)] if rows else [0.0] * SLOTS
    return out


# Holt-Winters ---------------------------------------------------------------------------------------
SEASON = 7
PHI = 0.98  # damping: a trend learnt over weeks should not run away over the forecast week
_GRID = [(a, b, g) for a in (0.05, 0.1, 0.2, 0.35, 0.5) for b in (0.0, 0.02, 0.05, 0.1) for g in (0.05, 0.15, 0.3)]


@dataclass
class _HW:
    level: float
    trend: float
    season: list[float]  # index = position in the weekly cycle of the series' day
    sse: float


def _fit(y: list[float], alpha: float, beta: float, gamma: float) -> _HW:
    m = SEASON
    first, second = y[:m], y[m : 2 * m]
    level = sum(first) / m
    trend = (sum(second) - sum(first)) / (m * m)
    season = [(v / level) if level > 0 else 1.0 for v in first]
    sse = 0.0
    for t in range(m, len(y)):
        i = t % m
        s = season[i]
        predicted = (level + PHI * trend) * s
        sse += (y[t] - predicted) ** 2
        prev_level = level
        if s > 1e-9:
            level = alpha * (y[t] / s) + (1 - alpha) * (prev_level + PHI * trend)
        else:  # a closed day (no calls expected) says nothing about the level
            level = prev_level + PHI * trend
        level = max(level, 0.0)
        trend = beta * (level - prev_level) + (1 - beta) * PHI * trend
        if level > 1e-9:
            season[i] = gamma * (y[t] / level) + (1 - gamma) * s
    return _HW(level, trend, season, sse)


def _hw_daily(y: list[float], horizons: list[int]) -> list[float]:
    best = min((_fit(y, a, b, g) for a, b, g in _GRID), key=lambda f: f.sse)
    n = len(y)
    out = []
    for h in horizons:
        damped = sum(PHI**k for k in range(1, h + 1))
        out.append(max(0.0, (best.level + damped * best.trend) * best.season[(n - 1 + h) % SEASON]))
    return out


PROFILE_DECAY = 0.97  # weight of a week's intraday shape per week of age (shapes drift slowly, e.g. summer hours)


def _profiles(table: Mapping[date, list[float]], last: date) -> dict[int, list[float]]:
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0] * SLOTS)
    for d, row in table.items():
        w = PROFILE_DECAY ** ((last - d).days // 7)
        acc = sums[d.weekday()]
        for s in range(SLOTS):
            acc[s] += w * row[s]
    out = {}
    for wd, acc in sums.items():
        total = sum(acc)
        out[wd] = [v / total for v in acc] if total > 0 else [0.0] * SLOTS
    return out


def holt_winters(table: Mapping[date, list[float]], targets: Iterable[date]) -> dict[date, list[float]]:
    days = sorted(table)
    targets = list(targets)
    if len(days) < 2 * SEASON:  # too little history to fit a season and a trend
        return seasonal_average(table, targets)
    y = [sum(table[d]) for d in days]
    last = days[-1]
    totals = _hw_daily(y, [(d - last).days for d in targets])
    profiles = _profiles(table, last)
    return {d: [t * p for p in profiles.get(d.weekday(), [0.0] * SLOTS)] for d, t in zip(targets, totals, strict=True)}


def forecast(method: str, table: Mapping[date, list[float]], targets: Iterable[date]) -> dict[date, list[float]]:
    if method == "seasonal_average":
        return seasonal_average(table, targets)
    return holt_winters(table, targets)


# Accuracy -------------------------------------------------------------------------------------------
def wape(actual: Iterable[float], predicted: Iterable[float]) -> float | None:
    """Weighted absolute percentage error: Σ|actual - forecast| / Σ actual (None without calls)."""
    err = total = 0.0
    for a, p in zip(actual, predicted, strict=True):
        err += abs(a - p)
        total += a
    return err / total if total > 0 else None


def backtest(table: Mapping[date, list[float]], weeks: int = 4) -> dict:
    """Rolling origin: each of the last `weeks` weeks forecast from the days before it, by both methods."""
    days = sorted(table)
    result: dict = {"weeks": []}
    pooled: dict[str, list[list[float]]] = {m: [[], []] for m in METHODS}
    for k in range(weeks, 0, -1):
        test = days[len(days) - 7 * k : len(days) - 7 * k + 7]
        train = {d: table[d] for d in days[: len(days) - 7 * k]}
        if len(test) < 7 or not train:
            continue
        row: dict = {"week_start": test[0].isoformat()}
        actual = [v for d in test for v in table[d]]
        for m in METHODS:
            predicted = forecast(m, train, test)
            flat = [v for d in test for v in predicted[d]]
            row[m] = wape(actual, flat)
            pooled[m][0] += actual
            pooled[m][1] += flat
        result["weeks"].append(row)
    for m in METHODS:
        result[f"{m}_wape"] = wape(*pooled[m]) if pooled[m][0] else None
    return result


# A generated history (tests, bench) -----------------------------------------------------------------
WEEKDAY_FACTOR = (1.25, 1.1, 1.05, 1.0, 0.95, 0.45, 0.2)  # Monday … Sunday


def _intraday(slot: int) -> float:
    # Two humps (10:30 and 16:00 local), nothing before 07:00 or after 21:00.
    h = slot / 4
    if h < 7 or h >= 21:
        return 0.0
    return math.exp(-(((h - 10.5) / 1.6) ** 2)) + 0.75 * math.exp(-(((h - 16) / 2.0) ** 2)) + 0.05


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:  # normal approximation, plenty for counts this large
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generated_history(
    start: date,
    days: int,
    seed: int,
    tz: ZoneInfo,
    calls_per_day: float = 600.0,
    weekly_growth: float = 0.015,
    day_noise: float = 0.06,
) -> dict[datetime, float]:
    """Offered calls per UTC interval: weekday × intraday pattern, a level growing `weekly_growth` a week,
    a random day effect (lognormal, `day_noise`) and Poisson counts — seeded, so the same every run."""
    rng = random.Random(seed)
    shape = [_intraday(s) for s in range(SLOTS)]
    total_shape = sum(shape)
    out: dict[datetime, float] = {}
    for i in range(days):
        d = start + timedelta(days=i)
        level = calls_per_day * (1 + weekly_growth) ** (i / 7) * WEEKDAY_FACTOR[d.weekday()]
        level *= math.exp(rng.gauss(0, day_noise))
        for s in range(SLOTS):
            n = _poisson(rng, level * shape[s] / total_shape)
            if n:
                out[slot_start(d, s, tz)] = n
    return out
