"""Pacing policies for the outbound dialer, by name.

`make_policy(name, **params)` builds a fresh instance (policies keep per-day state).
"""

from __future__ import annotations

from collections.abc import Callable

from dialer.pacing.base import PacingPolicy, progressive_gap
from dialer.pacing.fixed_ratio import FixedRatioPolicy
from dialer.pacing.predictive import PredictivePolicy
from dialer.pacing.preview import PreviewPolicy
from dialer.pacing.progressive import ProgressivePolicy
from dialer.pacing.vicidial_adapt import AVERAGE, HARD_LIMIT, VicidialAdaptPolicy

POLICIES: dict[str, Callable[..., PacingPolicy]] = {
    "preview": PreviewPolicy,
    "progressive": ProgressivePolicy,
    "fixed_ratio": FixedRatioPolicy,
    "adaptive": lambda **kw: VicidialAdaptPolicy(variant=HARD_LIMIT, **kw),
    "adaptive_average": lambda **kw: VicidialAdaptPolicy(variant=AVERAGE, **kw),
    "predictive": PredictivePolicy,
}


def make_policy(name: str, **params) -> PacingPolicy:
    try:
        factory = POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown pacing policy {name!r}; known: {', '.join(POLICIES)}") from None
    return factory(**params)


__all__ = ["POLICIES", "PacingPolicy", "make_policy", "progressive_gap"]
