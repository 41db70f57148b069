"""A discrete-event simulation of one queue, M/M/N+M: Poisson arrivals, exponential handle times,
N agents, first come first served, and callers who hang up after an exponential patience. It checks the
Erlang A formulas (tests) and answers what-if questions the formulas do not (a fixed seed makes it
repeatable).

Abandonment needs no event of its own: a waiting caller leaves at arrival + patience, and nothing else
depends on them, so when an agent frees up the callers at the head whose patience ran out are counted as
abandoned and skipped — exactly what would have happened had each left at its own time.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SimResult:
    offered: int
    answered: int
    abandoned: int
    answered_in_threshold: int
    service_level: float  # answered within the threshold / offered
    abandon_rate: float
    asa_s: float  # mean wait of answered callers
    occupancy: float


def simulate(
    agents: int,
    calls_per_hour: float,
    aht_s: float,
    patience_s: float | None,
    threshold_s: float,
    n_calls: int = 200_000,
    warmup_calls: int = 5_000,
    seed: int = 1,
) -> SimResult:
    """Simulate `warmup_calls + n_calls` arrivals; measure the last `n_calls` (patience None = infinite)."""
    rng = random.Random(seed)
    lam = calls_per_hour / 3600.0
    mu = 1.0 / aht_s
    theta = 0.0 if patience_s is None else 1.0 / patience_s
    free = agents
    busy_until: list[float] = []  # completion times of agents on a call
    waiting: deque[tuple[float, float, bool]] = deque()  # (arrival, gives up at, measured)
    offered = answered = abandoned = in_threshold = 0
    wait_answered = 0.0
    busy_time = 0.0
    t = 0.0
    total = warmup_calls + n_calls
    measure_from = None

    def start(arrival: float, now: float, measured: bool) -> None:
        nonlocal answered, in_threshold, wait_answered, busy_time
        service = rng.expovariate(mu)
        heapq.heappush(busy_until, now + service)
        if measured:
            answered += 1
            wait_answered += now - arrival
            in_threshold += now - arrival <= threshold_s
            busy_time += service

    for i in range(total):
        t += rng.expovariate(lam)
        # Agents who finish before this arrival take the callers at the head of the line.
        while busy_until and busy_until[0] <= t:
            now = heapq.heappop(busy_until)
            while waiting:
                arrival, gives_up, measured = waiting.popleft()
                if gives_up > now:
                    start(arrival, now, measured)
                    break
                abandoned += measured
            else:
                free += 1
        measured = i >= warmup_calls
        if measured and measure_from is None:
            measure_from = t
        offered += measured
        if free > 0:
            free -= 1
            start(t, t, measured)
        else:
            patience = rng.expovariate(theta) if theta > 0 else float("inf")
            waiting.append((t, t + patience, measured))
    # Callers still waiting at the end: those whose patience already ran out abandoned.
    abandoned += sum(1 for arrival, gives_up, m in waiting if m and gives_up <= t)
    span = t - (measure_from or 0.0)
    return SimResult(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        answered_in_threshold=in_threshold,
        service_level=in_threshold / offered,
        abandon_rate=abandoned / offered,
        asa_s=wait_answered / answered if answered else 0.0,
        occupancy=busy_time / (agents * span) if span > 0 else 0.0,
    )
