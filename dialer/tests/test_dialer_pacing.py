"""Pacing policies: the VICIdial ADAPT math, the baselines' rules, ours under the 3 % target."""
from __future__ import annotations

import pytest

from dialer.pacing import POLICIES, make_policy
from dialer.pacing.predictive import kaplan_meier
from dialer.pacing.vicidial_adapt import AVERAGE, HARD_LIMIT, VicidialAdaptPolicy, next_level
from dialer.simulator import Observation, Scenario, simulate


def test_registry_names_every_policy():
    assert {"preview", "progressive", "fixed_ratio", "adaptive", "adaptive_average", "predictive"} <= set(POLICIES)
    with pytest.raises(ValueError, match="unknown pacing policy"):
        make_policy("nope")


def test_adapt_level_update_hand_computed():
    # 1.5 × (1 + (4 − 1) / 20) = 1.5 × 1.15 = 1.725
    assert next_level(1.5, 4, 1, 20, 0.0, 0.03, HARD_LIMIT) == pytest.approx(1.725)
    # More waiting answers than ready agents lowers the level: 2 × (1 + (0 − 2) / 10) = 1.6
    assert next_level(2.0, 0, 2, 10, 0.01, 0.03, AVERAGE) == pytest.approx(1.6)


def test_adapt_level_is_clamped_to_1_and_3():
    assert next_level(2.8, 10, 0, 10, 0.0, 0.03, HARD_LIMIT) == 3.0
    assert next_level(1.1, 0, 5, 10, 0.0, 0.03, HARD_LIMIT) == 1.0


def test_adapt_over_target_hard_limit_resets_average_halves():
    assert next_level(2.6, 5, 0, 20, 0.05, 0.03, HARD_LIMIT) == 1.0
    assert next_level(2.6, 5, 0, 20, 0.05, 0.03, AVERAGE) == pytest.approx(1.3)
    assert next_level(1.6, 5, 0, 20, 0.05, 0.03, AVERAGE) == 1.0  # halving stops at the floor


def test_adapt_policy_uses_time_weighted_means_every_15_s():
    p = VicidialAdaptPolicy(HARD_LIMIT, level=1.0)
    obs = Observation(agents_logged_in=10, agents_ready=10)
    # 10 ready for 5 s, then 0 ready for 10 s: mean ready = 50/15; level = 1 + (10/3)/10.
    assert p.decide(obs) == 10  # level 1 × 10 agents, no lines in use
    obs.now, obs.agents_ready, obs.agents_talking = 5.0, 0, 10
    p.decide(obs)
    obs.now = 15.0
    lines = p.decide(obs)
    assert p.level == pytest.approx(1 + (50 / 15) / 10)
    assert lines == round(p.level * 10) - 10  # calls in progress count against the lines


def test_fixed_ratio_keeps_ratio_lines_per_ready_agent():
    p = make_policy("fixed_ratio", ratio=2.5)
    obs = Observation(agents_logged_in=10, agents_ready=4, calls_ringing=3, calls_waiting=1)
    assert p.decide(obs) == 10 - 4


def test_kaplan_meier_counts_ongoing_calls_as_censored():
    # Deaths at 1 s and 3 s; one still going at 2 s: S(1) = 2/3, S(3) = 2/3 × (1 − 1/1) = 0.
    surv = kaplan_meier([0, 1, 0, 1], [2])
    assert surv[0] == 1.0 and surv[1] == pytest.approx(2 / 3) and surv[3] == 0.0


def test_predictive_warms_up_progressive_before_it_has_data():
    p = make_policy("predictive")
    obs = Observation(agents_logged_in=5, agents_ready=3, calls_ringing=1)
    assert p.decide(obs) == 2


@pytest.mark.parametrize("scenario", [
    Scenario(agents=10, hours=1.5),
    Scenario(agents=8, hours=1.5, answer_prob=0.2, machine_share=0.3),
], ids=["10-agents", "8-agents-machines"])
def test_predictive_stays_under_3_percent_and_beats_progressive(scenario):
    for seed in range(3):
        ours = simulate(scenario, make_policy("predictive"), seed)
        prog = simulate(scenario, make_policy("progressive"), seed)
        assert ours.abandon_rate <= 0.03
        assert ours.occupancy_mean > prog.occupancy_mean + 0.03
