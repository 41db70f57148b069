"""Progressive dialing: one call per ready agent, never more calls in flight than ready agents."""

from __future__ import annotations

from dialer.pacing.base import PacingPolicy, progressive_gap
from dialer.simulator import Observation


class ProgressivePolicy(PacingPolicy):
    name = "progressive"

    def decide(self, obs: Observation) -> int:
        return progressive_gap(obs)
