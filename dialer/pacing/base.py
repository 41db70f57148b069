"""What every pacing policy shares: the interface defaults and the progressive floor."""

from __future__ import annotations

from dialer.simulator import Observation


class PacingPolicy:
    """Base for pacing policies: `decide(obs)` returns how many new calls to place now.

    It is called after every dialer event and on a periodic tick of `tick_seconds`; one fresh
    instance serves one campaign day (policies keep running state).
    """

    name = "base"
    tick_seconds = 5.0
    preview_seconds = 0.0

    def decide(self, obs: Observation) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def cancel(self, obs: Observation) -> list:
        """Ids (keys of obs.ring_started) of ringing calls to hang up now; called right after
        decide() with the same observation. Only calls that rang the minimum ring (15 s) may be
        hung up; most policies never cancel."""
        return []


def progressive_gap(obs: Observation) -> int:
    """Calls to place so that calls in flight never exceed ready agents.

    Every answer then finds an agent waiting for it, so this never abandons: the safe floor that
    other policies fall back to.
    """
    return obs.agents_ready - obs.calls_ringing - obs.calls_waiting
