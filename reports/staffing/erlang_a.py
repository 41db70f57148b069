"""Erlang A (Palm's M/M/N+M): Erlang C plus callers who hang up after an exponential patience of mean
1/θ. Abandonment keeps the queue stable even with fewer agents than the load, and needs fewer agents
than Erlang C for the same service level.

Patience is measured from the queue history with the standard estimator: mean patience = total time
waited by all callers (answered, abandoned or timed out) / number of abandons. It is the maximum-
likelihood estimate of an exponential patience when answered callers' waits are censored observations
(they would have waited longer), and the one Erlang A tools document ("total waiting time, including
that of abandoned customers, divided by the number of abandonments").

Exact formulas, no approximation:
- the number in system is a birth-death chain: arrivals λ; departures μ·min(j, N) + θ·max(j - N, 0);
  π_j ∝ A^j / j! up to N (sum = π_N / ErlangB(N, A), the stable recursion), then
  π_{N+q} = π_N · Π_{i=1..q} λ / (Nμ + iθ) — every factor computed as a ratio, so 500+ agents are fine;
- an arrival finding q callers waiting (PASTA) moves up at rate Nμ + iθ with i callers ahead, so its
  offered wait V is a sum of exponentials Nμ, Nμ+θ, …, Nμ+qθ, and e^(-θV) ~ Beta(Nμ/θ, q+1). It is
  answered within t if V <= t and its own patience outlasts V: E[e^(-θV); V <= t] =
  α/(α+q+1) · P(Beta(α+1, q+1) >= e^(-θt)), α = Nμ/θ; the incomplete beta for q+1 follows from the one
  for q by adding one positive term, so the whole sum is one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.staffing.erlang import MAX_AGENTS, Requirement, erlang_b, traffic, with_shrinkage

_TAIL_EPS = 1e-13
_TAIL_MAX = 200_000  # callers in line; beyond it the queue is hopelessly overloaded (see below)


@dataclass(frozen=True)
class Measures:
    service_level: float  # answered within the threshold / offered
    wait_probability: float  # P(all agents busy on arrival)
    abandon_rate: float  # abandoned / offered
    asa_s: float  # mean wait of answered callers
    occupancy: float  # busy agents / N


def measures(n: int, calls: float, interval_s: float, aht_s: float, patience_s: float, threshold_s: float) -> Measures:
    lam = calls / interval_s
    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    a = lam / mu
    if lam <= 0:
        return Measures(1.0, 0.0, 0.0, 0.0, 0.0)
    if n <= 0:
        return Measures(0.0, 1.0, 1.0, 0.0, 0.0)
    # Unnormalised, π_N = 1: the states below N weigh 1/B - 1 together (B = Erlang B(N, A)).
    blocking = erlang_b(n, a)
    if blocking < 1e-300:  # so many agents for the load that a wait is below float resolution
        return Measures(1.0, 0.0, 0.0, 0.0, a / n)
    below = 1.0 / blocking - 1.0
    if (lam - n * mu) / theta > _TAIL_MAX / 4:
        return _fluid(n, lam, mu, patience_s)
    alpha = n * mu / theta
    y = math.exp(-theta * threshold_s)
    # Tail over q = callers already waiting when the tagged caller arrives (state N+q).
    weight = 1.0  # π_{N+q} / π_N
    total_tail = 0.0
    served_in_t = 0.0
    served = 0.0
    wait_served = 0.0  # Σ weight · E[V; served] for the ASA of answered callers
    harmonic = 0.0  # Σ_{k=0}^{q} 1/(α+1+k)
    # Regularised incomplete beta I_y(α+1, b) for b = q+1, built up from b = 1: I_y(a', 1) = y^a'.
    a1 = alpha + 1.0
    ib = y**a1
    term = a1 * y**a1 * (1.0 - y)  # y^a' (1-y)^b / (b·B(a', b)) for b = 1
    b = 1
    q = 0
    while q < _TAIL_MAX:
        p_served = alpha / (alpha + q + 1)
        total_tail += weight
        served += weight * p_served
        served_in_t += weight * p_served * (1.0 - ib)
        # E[V · e^(-θV)] with e^(-θV) = X ~ Beta(α, q+1): E[-ln(X)/θ · X] = α/(α+q+1) · E[-ln X'] / θ,
        # X' ~ Beta(α+1, q+1): E[-ln X'] = ψ(α+q+2) - ψ(α+1) = Σ_{k=0}^{q} 1/(α+1+k).
        harmonic += 1.0 / (alpha + 1.0 + q)
        wait_served += weight * p_served * harmonic / theta
        q += 1
        weight *= lam / (n * mu + q * theta)
        if weight > 1e250:  # a long line: rescale every weight sum at once (ratios are all that matter)
            weight, total_tail, served, served_in_t, wait_served = (
                v * 1e-250 for v in (weight, total_tail, served, served_in_t, wait_served)
            )
            below *= 1e-250
        ib += term
        term *= (1.0 - y) * (a1 + b) / (b + 1)
        b += 1
        if weight < _TAIL_EPS * total_tail and lam < n * mu + q * theta:
            break
    else:
        return _fluid(n, lam, mu, patience_s)
    norm = below + total_tail
    return Measures(
        service_level=min(1.0, max(0.0, (below + served_in_t) / norm)),  # clamp float rounding
        wait_probability=total_tail / norm,
        abandon_rate=(total_tail - served) / norm,
        asa_s=(wait_served / norm) / ((below + served) / norm),
        # Carried load (Little): answered callers × AHT, over N agents.
        occupancy=min(1.0, a * (1.0 - (total_tail - served) / norm) / n),
    )


def _fluid(n: int, lam: float, mu: float, patience_s: float) -> Measures:
    # Tens of thousands waiting on average (far more calls than agents, and patient callers): nobody is
    # answered in time; the fluid limit gives the rest (abandons 1 - Nμ/λ, agents always busy).
    return Measures(0.0, 1.0, max(0.0, 1.0 - n * mu / lam), patience_s, 1.0)


def required(
    calls: float,
    interval_s: float,
    aht_s: float,
    patience_s: float,
    target_sl: float,
    threshold_s: float,
    shrinkage: float = 0.0,
) -> Requirement:
    """The fewest agents whose Erlang A service level (answered within the threshold / offered) reaches
    the target. Service level rises with N, so: double, then bisect."""
    if traffic(calls, interval_s, aht_s) <= 0:
        return Requirement(0, 0, None, None, None, None, None)

    def ok(n: int) -> bool:
        return measures(n, calls, interval_s, aht_s, patience_s, threshold_s).service_level >= target_sl

    hi = 1
    while not ok(hi):
        if hi >= MAX_AGENTS:
            break
        hi *= 2
    lo = hi // 2  # not ok (or 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    m = measures(hi, calls, interval_s, aht_s, patience_s, threshold_s)
    return Requirement(
        agents=hi,
        scheduled=with_shrinkage(hi, shrinkage),
        service_level=m.service_level,
        wait_probability=m.wait_probability,
        asa_s=m.asa_s,
        occupancy=m.occupancy,
        abandon_rate=m.abandon_rate,
    )
