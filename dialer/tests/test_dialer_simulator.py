"""Simulator invariants: conservation of calls, one call per agent, the 2 s rule, determinism."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from dialer.pacing import make_policy
from dialer.simulator import ABANDONED, CONNECTED, MACHINE, NO_ANSWER, Scenario, simulate

# A short, busy day: enough answers and abandonments to exercise every path in well under a second.
SHORT = Scenario(agents=6, hours=0.5, machine_share=0.2, talk_mean=90, talk_sd=45)


class Greedy:
    """Over-dials on purpose so that abandonments happen."""

    name, tick_seconds, preview_seconds = "greedy", 5.0, 0.0

    def decide(self, obs):
        return 4 * obs.agents_logged_in - obs.lines_in_use


def test_every_placed_call_ends_in_exactly_one_outcome():
    r = simulate(SHORT, Greedy(), seed=3, record=True)
    assert len(r.calls) == r.calls_placed > 0
    outcomes = Counter(c["outcome"] for c in r.calls)
    assert set(outcomes) <= {NO_ANSWER, MACHINE, CONNECTED, ABANDONED}
    assert None not in outcomes
    assert sum(r.outcomes.values()) == r.calls_placed
    assert outcomes == Counter({k: v for k, v in r.outcomes.items() if v})
    assert r.outcomes[ABANDONED] > 0  # the greedy policy must have provoked some


def test_agents_never_handle_two_calls_at_once():
    r = simulate(SHORT, Greedy(), seed=4, record=True)
    per_agent = defaultdict(list)
    for agent, _call, start, end in r.agent_log:
        per_agent[agent].append((start, end))
    assert per_agent
    for intervals in per_agent.values():
        intervals.sort()
        for (_, end), (start, _) in zip(intervals, intervals[1:]):
            assert start >= end - 1e-9
    assert all(0.0 <= occ <= 1.0 for occ in r.occupancy)


def test_abandonment_only_for_human_answers_left_without_agent_2_seconds():
    sc = SHORT
    r = simulate(sc, Greedy(), seed=5, record=True)
    humans = [c for c in r.calls if c["answered"] and c["ring"] <= sc.no_answer_after and not c["machine"]]
    assert r.human_answers == len(humans)
    for c in r.calls:
        answered_at = c["placed"] + c["ring"]
        if c["outcome"] == ABANDONED:
            assert c in humans and c["connected_at"] is None
            assert c["ended"] == pytest.approx(answered_at + sc.connect_within)
        elif c["outcome"] == CONNECTED:
            assert c in humans
            assert answered_at - 1e-9 <= c["connected_at"] <= answered_at + sc.connect_within + 1e-9
        elif c["outcome"] == MACHINE:
            assert c["machine"] and c["answered"]
    assert r.abandon_rate == r.outcomes[ABANDONED] / r.human_answers


def test_same_seed_same_day_other_seed_other_day():
    a = simulate(SHORT, make_policy("predictive"), seed=11)
    b = simulate(SHORT, make_policy("predictive"), seed=11)
    c = simulate(SHORT, make_policy("predictive"), seed=12)
    assert (a.outcomes, a.occupancy) == (b.outcomes, b.occupancy)
    assert (a.outcomes, a.occupancy) != (c.outcomes, c.occupancy)


def test_progressive_and_preview_never_abandon():
    # Calls in flight never exceed ready agents, so every answer finds an agent.
    for name in ("progressive", "preview"):
        for seed in range(3):
            r = simulate(SHORT, make_policy(name), seed=seed)
            assert r.outcomes[ABANDONED] == 0 and r.outcomes[CONNECTED] > 0


def test_trunk_lines_are_never_exceeded():
    sc = Scenario(agents=6, hours=0.25, trunk_lines=8)
    seen = []

    class Watcher(Greedy):
        def decide(self, obs):
            seen.append(obs.lines_in_use)
            return super().decide(obs)

    simulate(sc, Watcher(), seed=1)
    assert max(seen) <= 8


def test_bad_scenario_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="ring_min"):
        Scenario(ring_min=30, ring_max=5)


class HangUpEverything(Greedy):
    """Over-dials and asks to hang up every ringing call at every decision, too early included."""

    def cancel(self, obs):
        return list(obs.ring_started)


def test_hang_ups_only_after_the_minimum_ring_end_as_no_answer_outside_the_rate():
    sc = SHORT
    r = simulate(sc, HangUpEverything(), seed=6, record=True)
    cancelled = [c for c in r.calls if c["cancelled"]]
    assert r.cancelled == len(cancelled) > 0
    assert r.refused_cancels > 0  # the early requests were refused and counted, not obeyed
    for c in cancelled:
        assert c["outcome"] == NO_ANSWER and c["connected_at"] is None
        assert c["ended"] - c["placed"] >= sc.min_ring - 1e-9
        # Hung up before it would have been answered: nobody answered, so not in the rate.
        assert not (c["answered"] and c["ring"] <= c["ended"] - c["placed"])
    answered_humans = [c for c in r.calls if c["outcome"] in (CONNECTED, ABANDONED)]
    assert r.human_answers == len(answered_humans)
    assert sum(r.outcomes.values()) == r.calls_placed


def test_refused_hang_ups_change_nothing():
    # With a minimum ring longer than any call rings, every request is refused: the day is the
    # same as without hang-ups, contact for contact.
    sc = Scenario(agents=6, hours=0.5, machine_share=0.2, talk_mean=90, talk_sd=45, min_ring=1000.0)
    refused = simulate(sc, HangUpEverything(), seed=7)
    plain = simulate(sc, Greedy(), seed=7)
    assert refused.cancelled == 0 and refused.refused_cancels > 0
    assert (refused.outcomes, refused.occupancy) == (plain.outcomes, plain.occupancy)
