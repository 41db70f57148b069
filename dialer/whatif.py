"""What-if before a campaign: run its pacing on the simulator with its own settings.

The campaign supplies what it knows (mode, abandonment target, ring timeout and, once it has
dialled enough, its measured answer rate); the supervisor supplies the rest (agents, hours, talk
time...). Several seeds give a spread, not one lucky day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from dialer.bench import summarize
from dialer.errors import DialerError
from dialer.models import Attempt, Campaign
from dialer.pacing import make_policy
from dialer.simulator import Scenario, simulate

POLICY_OF_MODE = {"preview": "preview", "progressive": "progressive", "predictive": "predictive"}
MIN_HISTORY = 50  # attempts before the campaign's own answer rate replaces the assumed one
MAX_SEEDS, MAX_HOURS = 10, 12.0


@dataclass
class WhatIf:
    agents: int = 20
    hours: float = 8.0
    answer_prob: float | None = None  # None: the campaign's measured rate, else 0.30
    ring_min: float = 5.0
    ring_max: float = 25.0
    talk_mean: float = 180.0
    talk_sd: float = 90.0
    wrapup: float = 10.0
    machine_share: float = 0.0
    trunk_lines: int | None = None
    seeds: int = 3
    policy: str | None = None  # None: the campaign mode's policy


def measured_answer_rate(session: Session, campaign: Campaign) -> tuple[float | None, int]:
    """(human answers / finished attempts, attempts); None below MIN_HISTORY attempts."""
    rows = session.exec(
        select(Attempt.outcome, func.count())
        .where(Attempt.campaign_id == campaign.id, Attempt.outcome != "")
        .group_by(Attempt.outcome)
    ).all()
    counts = dict(rows)
    total = sum(counts.values())
    if total < MIN_HISTORY:
        return None, total
    return (counts.get("connected", 0) + counts.get("abandoned", 0)) / total, total


def run_whatif(session: Session, campaign: Campaign, params: WhatIf) -> dict:
    if campaign.mode == "broadcast" and params.policy is None:
        raise DialerError("mode", "a broadcast campaign has no agents to pace; give a policy to compare")
    policy = params.policy or POLICY_OF_MODE[campaign.mode]
    if not 1 <= params.seeds <= MAX_SEEDS:
        raise DialerError("seeds", f"must be from 1 to {MAX_SEEDS}")
    if not 0 < params.hours <= MAX_HOURS:
        raise DialerError("hours", f"must be above 0 and at most {MAX_HOURS}")
    answer_prob, history = params.answer_prob, 0
    source = "given"
    if answer_prob is None:
        measured, history = measured_answer_rate(session, campaign)
        answer_prob, source = (measured, "measured") if measured is not None else (0.30, "assumed")
    try:
        scenario = Scenario(
            agents=params.agents,
            hours=params.hours,
            answer_prob=answer_prob,
            ring_min=params.ring_min,
            ring_max=params.ring_max,
            no_answer_after=float(campaign.dial_timeout),
            talk_mean=params.talk_mean,
            talk_sd=params.talk_sd,
            wrapup=params.wrapup,
            machine_share=params.machine_share,
            trunk_lines=params.trunk_lines,
        )
    except ValueError as exc:
        raise DialerError("scenario", str(exc)) from None
    kwargs = {"target": campaign.abandon_target, "day_end": params.hours * 3600.0} if policy == "predictive" else {}
    try:
        make_policy(policy, **kwargs)
    except (ValueError, TypeError) as exc:
        raise DialerError("policy", str(exc)) from None
    runs = []
    for seed in range(params.seeds):
        r = simulate(scenario, make_policy(policy, **kwargs), seed)
        runs.append((r.occupancy_mean, r.occupancy_min, r.abandon_rate, r.calls_per_agent_hour, r.talk_share_mean))
    return {
        "campaign": campaign.name,
        "policy": policy,
        "abandon_target": campaign.abandon_target,
        "answer_prob_source": source,
        "history_attempts": history,
        "scenario": asdict(scenario),
        "seeds": params.seeds,
        "figures": summarize(runs),
        "within_target_every_seed": max(r[2] for r in runs) <= campaign.abandon_target,
    }
