"""Preview dialing: the agent sees the contact first and the call is placed once they accept."""

from __future__ import annotations

from dialer.pacing.base import PacingPolicy
from dialer.simulator import Observation


class PreviewPolicy(PacingPolicy):
    """One call per ready agent, placed after a preview delay during which the agent is reserved.

    The simulator reserves one ready agent per call for `preview_seconds` (reading the screen and
    accepting), then dials; the answer goes to that agent, so abandonment is impossible.
    """

    name = "preview"

    def __init__(self, preview_seconds: float = 5.0) -> None:
        self.preview_seconds = preview_seconds

    def decide(self, obs: Observation) -> int:
        return obs.agents_ready
