"""Trunk limits every campaign shares: simultaneous channels and call attempts per second. Pure."""

from __future__ import annotations


class CallRate:
    """A token bucket: at most `per_second` attempts a second on average, bursts of one second's worth."""

    def __init__(self, per_second: float, now: float = 0.0):
        self.rate = per_second
        self.capacity = max(1.0, per_second)
        self.tokens = self.capacity
        self.at = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def available(self, now: float) -> int:
        self._refill(now)
        return int(self.tokens)

    def take(self, n: int, now: float) -> int:
        """Grant up to `n` attempts now; returns how many may be placed."""
        self._refill(now)
        granted = max(0, min(n, int(self.tokens)))
        self.tokens -= granted
        return granted


def trunk_room(channels: int, in_use: int) -> int:
    """Calls that may still be placed with `in_use` of the trunk's `channels` taken."""
    return max(0, channels - in_use)
