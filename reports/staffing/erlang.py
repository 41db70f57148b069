"""Erlang C (M/M/N, callers never give up): probability of waiting, service level, ASA, occupancy and the
agents needed for a target service level, with shrinkage.

Why a small implementation and no library: pyworkforce 0.5.1 (Python >= 3.8, fine for our 3.11) has Erlang C
only, no Erlang A, and pulls numpy, pandas, joblib and ortools for it; erlangccmath 1.3.0 sends every
computation to a remote web service (requests.post to its vendor's server, asking for a user id on
stdin), which a self-hosted, offline stack cannot do. The formulas are a few lines; the tests hold them to
published figures (reports/staffing/tests/test_erlang.py).

Numerically stable for any size: Erlang B by its recursion B(0)=1, B(n) = A·B(n-1) / (n + A·B(n-1)),
every step a ratio in [0, 1] (no factorial, no power of A), then C = N·B / (N - A·(1 - B)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def traffic(calls: float, interval_s: float, aht_s: float) -> float:
    """Offered load A in erlangs: arrival rate × mean handle time."""
    return calls / interval_s * aht_s


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of N servers offered A erlangs (no queue)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that a caller waits (all N agents busy); 1 when N <= A (the queue grows without end)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def service_level(n: int, a: float, aht_s: float, threshold_s: float) -> float:
    """Share of callers answered within the threshold: 1 - C(N, A)·exp(-(N - A)·t / AHT)."""
    if a <= 0:
        return 1.0
    if n <= a:
        return 0.0
    return max(0.0, 1.0 - erlang_c(n, a) * math.exp(-(n - a) * threshold_s / aht_s))


def asa(n: int, a: float, aht_s: float) -> float:
    """Average speed of answer (mean wait of all callers), seconds: C·AHT / (N - A); inf when N <= A."""
    if a <= 0:
        return 0.0
    if n <= a:
        return math.inf
    return erlang_c(n, a) * aht_s / (n - a)


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that `agents` are on the phones: ceil(N / (1 - s)).

    Rounded to 9 decimals first: 21 / (1 - 0.3) is 30.000000000000004 in binary floating point, and the
    planner's answer is 30, not 31."""
    if agents <= 0:
        return 0
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


@dataclass(frozen=True)
class Requirement:
    agents: int  # on the phones, for the target
    scheduled: int  # with shrinkage
    service_level: float | None  # reached with `agents`
    wait_probability: float | None
    asa_s: float | None
    occupancy: float | None
    abandon_rate: float | None = None  # Erlang A only


MAX_AGENTS = 100_000
MAX_LOAD_ERLANGS = 10_000.0  # far above any one queue; bounds the work of one answer


def required(
    calls: float,
    interval_s: float,
    aht_s: float,
    target_sl: float,
    threshold_s: float,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> Requirement:
    """The fewest agents (more than the load) whose service level reaches the target, and no more
    occupied than `max_occupancy` when given."""
    a = traffic(calls, interval_s, aht_s)
    if a <= 0:
        return Requirement(0, 0, None, None, None, None)
    n = max(1, math.floor(a) + 1, math.ceil(round(a / max_occupancy, 9)) if max_occupancy else 1)
    while n < MAX_AGENTS:
        if service_level(n, a, aht_s, threshold_s) >= target_sl and (max_occupancy is None or a / n <= max_occupancy):
            break
        n += 1
    return Requirement(
        agents=n,
        scheduled=with_shrinkage(n, shrinkage),
        service_level=service_level(n, a, aht_s, threshold_s),
        wait_probability=erlang_c(n, a),
        asa_s=asa(n, a, aht_s),
        occupancy=a / n,
    )
