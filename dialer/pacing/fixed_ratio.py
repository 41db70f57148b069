"""Fixed-ratio (power) dialing: a constant number of lines per ready agent."""

from __future__ import annotations

import math

from dialer.pacing.base import PacingPolicy
from dialer.simulator import Observation


class FixedRatioPolicy(PacingPolicy):
    """Keep `ratio` × ready agents calls in flight (ringing or answered and waiting).

    Ratio 1.0 is progressive. The ratio is per *ready* agent, the usual meaning of a power-dial
    ratio; the VICIdial-style dial level (lines per logged-in agent, calls in progress included) is
    the adaptive baseline's business, see vicidial_adapt.py.
    """

    name = "fixed_ratio"

    def __init__(self, ratio: float = 2.0) -> None:
        if ratio < 1.0:
            raise ValueError("ratio must be >= 1.0 (below that agents idle by construction)")
        self.ratio = ratio

    def decide(self, obs: Observation) -> int:
        lines = math.floor(self.ratio * obs.agents_ready + 0.5)
        return lines - obs.calls_ringing - obs.calls_waiting
