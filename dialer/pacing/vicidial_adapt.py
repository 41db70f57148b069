"""The adaptive baseline, in the manner of VICIdial's ADAPT_HARD_LIMIT and ADAPT_AVERAGE modes.

What is public about VICIdial, and all this implements:
- the dial level is lines per counted (logged-in, not paused) agent, calls in progress included:
  lines wanted = level × agents, minus calls ringing, answered-waiting and talking;
- every 15 s: level *= 1 + (mean ready agents − mean answered calls waiting) / mean logged-in
  agents, clamped to [1, 3] (means over the last 15 s, time-weighted);
- when the day's drop rate (abandoned / human answers) passes the target, HARD_LIMIT resets the
  level to 1 and AVERAGE halves it, at each 15 s update while the rate stays above target.
"""

from __future__ import annotations

import math

from dialer.pacing.base import PacingPolicy
from dialer.simulator import Observation

HARD_LIMIT, AVERAGE = "HARD_LIMIT", "AVERAGE"
MIN_LEVEL, MAX_LEVEL = 1.0, 3.0


def next_level(
    level: float,
    mean_ready: float,
    mean_waiting: float,
    mean_logged_in: float,
    drop_rate: float,
    drop_target: float,
    variant: str,
) -> float:
    """One 15-second update of the dial level (pure, for the hand-computed tests)."""
    if drop_rate > drop_target:
        level = MIN_LEVEL if variant == HARD_LIMIT else level / 2.0
    elif mean_logged_in > 0:
        level *= 1.0 + (mean_ready - mean_waiting) / mean_logged_in
    return min(MAX_LEVEL, max(MIN_LEVEL, level))


class VicidialAdaptPolicy(PacingPolicy):
    tick_seconds = 15.0
    interval = 15.0

    def __init__(self, variant: str = HARD_LIMIT, drop_target: float = 0.03, level: float = 1.0) -> None:
        if variant not in (HARD_LIMIT, AVERAGE):
            raise ValueError(f"unknown ADAPT variant {variant!r}")
        self.variant = variant
        self.drop_target = drop_target
        self.level = min(MAX_LEVEL, max(MIN_LEVEL, level))
        self.name = "adaptive" if variant == HARD_LIMIT else "adaptive_average"
        self._period_start = 0.0
        self._last_t = 0.0
        self._last_state = (0, 0, 0)  # ready, waiting, logged in since _last_t
        self._sums = [0.0, 0.0, 0.0]

    def decide(self, obs: Observation) -> int:
        now = obs.now
        # The state is constant between two calls (we are called after every event), so this
        # integral gives exact time-weighted means.
        dt = now - self._last_t
        if dt > 0:
            for i, value in enumerate(self._last_state):
                self._sums[i] += value * dt
        self._last_t = now
        self._last_state = (obs.agents_ready, obs.calls_waiting, obs.agents_logged_in)
        span = now - self._period_start
        if span >= self.interval:
            ready, waiting, logged = (s / span for s in self._sums)
            drop = obs.abandoned / obs.human_answers if obs.human_answers else 0.0
            self.level = next_level(self.level, ready, waiting, logged, drop, self.drop_target, self.variant)
            self._period_start = now
            self._sums = [0.0, 0.0, 0.0]
        lines = math.floor(self.level * obs.agents_logged_in + 0.5)
        return lines - obs.lines_in_use
