"""The soak's call rate and mix (pure).

The busiest seed is the Municipio de Panamá (/work/shared/seeds/panama-municipality-contact-center.txt):
"desde su aplicación en Abril 2020 hasta el mes de Febrero 2021, recibimos 249,509 llamadas" (10 months).
Its peak hour is taken as 15 % of a day's calls; the soak runs at ten times that hour."""

from __future__ import annotations

SEED_CALLS, SEED_MONTHS = 249_509, 10
PEAK_HOUR_SHARE, MULTIPLIER = 0.15, 10
DAYS_PER_MONTH = 365.25 / 12
# Share of the calls per kind: the IVR (DTMF lookup, then a queue), straight to a queue (a number
# without a flow), and the progressive campaign's outbound calls.
MIX = {"ivr": 0.5, "queue": 0.3, "dialer": 0.2}


def derive(multiplier: float = MULTIPLIER, peak_share: float = PEAK_HOUR_SHARE) -> dict:
    days = SEED_MONTHS * DAYS_PER_MONTH
    per_day = SEED_CALLS / days
    peak_hour = per_day * peak_share
    per_second = peak_hour * multiplier / 3600
    return {
        "calls_per_s": round(per_second, 4),
        "how": (
            f"Panamá seed: {SEED_CALLS:,} calls in {SEED_MONTHS} months ({days:.1f} days) = {per_day:.1f} calls/day; "
            f"peak hour = {peak_share:.0%} of a day = {peak_hour:.1f} calls/h; x{multiplier:g} = "
            f"{peak_hour * multiplier:.0f} calls/h = {per_second:.3f} calls/s"
        ),
    }


def plan(total: int) -> dict[str, int]:
    """Calls per kind (largest remainder), at least one of each when there are three or more."""
    if total < 0:
        raise ValueError("calls: must be 0 or more")
    raw = {k: total * share for k, share in MIX.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[: total - sum(counts.values())]:
        counts[k] += 1
    if total >= len(MIX):
        for k in MIX:
            if counts[k] == 0:
                donor = max(counts, key=lambda kind: counts[kind])
                counts[donor] -= 1
                counts[k] = 1
    return counts
