"""Discrete-event simulation of an outbound campaign: agents, contacts, trunk and a pacing policy.

No Asterisk here. Supervisors use it as a what-if before a campaign and `centralita bench dialer`
uses it to compare pacing policies. The policy only ever sees the `Observation` (what a real
dialer sees: clock, agent states, calls in flight, outcomes and measured durations), never the
`Scenario`'s true parameters.

Model, one attempt at a time:
- a dial attempt is answered with `answer_prob` after a ring time uniform in [ring_min, ring_max];
  unanswered (or ringing past `no_answer_after`) attempts end as `no_answer` at `no_answer_after`;
- a share `machine_share` of answers are answering machines: AMD hangs up after `machine_detect`;
- a human answer is connected at once to the longest-idle ready agent; if none is ready it waits,
  and if no agent frees within `connect_within` (the 2-second rule) it hears the safe-harbor message
  and counts as an abandonment (abandoned / human answers is the regulators' rate);
- talk time is normal(talk_mean, talk_sd) truncated below at `talk_min`; then `wrapup` seconds;
- a policy may hang up calls still ringing (`cancel`), as real dialers do, but only once they
  have rung `min_ring` seconds (Ofcom and the FCC: 15 s); a cancelled call ends as `no_answer`
  (nobody answered, so it is not in the abandonment rate). Earlier or unknown cancels are refused
  and counted (`refused_cancels`), so a policy bug shows in the figures instead of hiding.

Each contact's fate (answered, ring time, machine, talk time) is drawn from a per-run stream in
dialling order, so every policy meets the same contacts for a given seed (common random numbers:
policy comparisons are not blurred by luck).
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Protocol

# Call outcomes: every placed call ends in exactly one of these.
NO_ANSWER, MACHINE, CONNECTED, ABANDONED = "no_answer", "machine", "connected", "abandoned"

# Agent states as the dialer sees them.
READY, PREVIEW, TALKING, WRAPUP = "ready", "preview", "talking", "wrapup"

# Event kinds (ints: compared only on time ties, after the sequence number, so never actually).
_TICK, _DIAL, _ANSWER, _NO_ANSWER, _MACHINE_END, _GIVE_UP, _TALK_END, _WRAP_END, _LINE_FREE = range(9)


@dataclass(frozen=True)
class Scenario:
    """The true campaign parameters. Only the simulator reads these; policies never do."""

    agents: int = 20
    hours: float = 8.0
    answer_prob: float = 0.30
    ring_min: float = 5.0
    ring_max: float = 25.0
    no_answer_after: float = 25.0
    talk_mean: float = 180.0
    talk_sd: float = 90.0
    talk_min: float = 10.0  # below this a "conversation" is not one; truncation point
    wrapup: float = 10.0
    machine_share: float = 0.0
    trunk_lines: int | None = None  # simultaneous channels on the trunk; None = unlimited
    connect_within: float = 2.0  # the 2-second connect rule (FCC/Ofcom)
    machine_detect: float = 3.0  # AMD decision time on a machine answer (line held)
    safe_harbor: float = 6.0  # recorded message played on abandonment (line held)
    min_ring: float = 15.0  # a ringing call may be hung up by the dialer only after this long

    def __post_init__(self) -> None:
        problems = []
        if self.agents < 1:
            problems.append("agents must be >= 1")
        if self.hours <= 0:
            problems.append("hours must be > 0")
        if not 0 <= self.answer_prob <= 1:
            problems.append("answer_prob must be in [0, 1]")
        if not 0 <= self.machine_share <= 1:
            problems.append("machine_share must be in [0, 1]")
        if self.ring_min < 0 or self.ring_max < self.ring_min:
            problems.append("need 0 <= ring_min <= ring_max")
        if self.no_answer_after <= 0:
            problems.append("no_answer_after must be > 0")
        if self.talk_mean <= 0 or self.talk_sd < 0 or self.talk_min <= 0:
            problems.append("need talk_mean > 0, talk_sd >= 0, talk_min > 0")
        if self.wrapup < 0:
            problems.append("wrapup must be >= 0")
        if self.min_ring < 0:
            problems.append("min_ring must be >= 0")
        if self.trunk_lines is not None and self.trunk_lines < 1:
            problems.append("trunk_lines must be >= 1")
        if problems:
            raise ValueError("; ".join(problems))


class Policy(Protocol):
    """A pacing policy. One fresh instance per run (policies keep state across calls)."""

    name: str
    tick_seconds: float  # decide() is also called on this periodic tick, besides every event
    preview_seconds: float  # > 0: each call first reserves a ready agent this long (preview mode)

    def decide(self, obs: Observation) -> int:
        """Number of new calls to place now (negative or zero: none)."""
        ...

    # Optional: `cancel(obs) -> list of call ids` (keys of obs.ring_started) to hang up while
    # still ringing; called right after decide() with the same observation. Policies without it
    # never cancel.


@dataclass
class Observation:
    """What a real dialer sees. The simulator updates it in place; policies must only read it.

    Lists only grow, so a policy can keep a cursor and read new entries incrementally.
    """

    now: float = 0.0
    agents_logged_in: int = 0
    agents_ready: int = 0
    agents_preview: int = 0
    agents_talking: int = 0
    agents_wrapup: int = 0
    calls_ringing: int = 0  # placed, no outcome yet
    calls_waiting: int = 0  # answered by a human, not yet connected to an agent
    calls_placed: int = 0
    human_answers: int = 0
    machine_answers: int = 0
    no_answers: int = 0
    connected: int = 0
    abandoned: int = 0
    cancelled: int = 0  # ringing calls the dialer hung up (ended as no_answer, never answered)
    ring_started: dict = field(default_factory=dict)  # call id -> time placed (ringing calls)
    talk_started: dict = field(default_factory=dict)  # agent id -> talk start (talking agents)
    wrapup_started: dict = field(default_factory=dict)  # agent id -> wrap-up start
    # (time, kind, seconds): ("answered", ring time) at each answer, human or machine, then the
    # final outcome; for no_answer the seconds are the give-up wait, otherwise the ring time;
    # ("cancelled", seconds rung) when the dialer hung up a ringing call (censored ring time).
    outcomes: list = field(default_factory=list)
    talk_durations: list = field(default_factory=list)  # completed conversations, seconds
    wrapup_durations: list = field(default_factory=list)
    # (time, abandoned?) per human answer once its fate is known, for rolling abandonment rates.
    human_fates: list = field(default_factory=list)

    @property
    def lines_in_use(self) -> int:
        return self.calls_ringing + self.calls_waiting + self.agents_talking


@dataclass
class RunResult:
    """Figures of one simulated day."""

    seed: int
    policy: str
    occupancy: list  # per agent: (talk + wrap-up) / logged-in time
    talk_share: list  # per agent: talk / logged-in time
    calls_placed: int
    outcomes: dict  # outcome -> count
    human_answers: int
    connected_in_shift: int
    agent_hours: float
    cancelled: int = 0  # ringing calls hung up by the policy (also counted in outcomes no_answer)
    refused_cancels: int = 0  # cancels refused: before min_ring, or of a call not ringing
    calls: list | None = None  # with record=True: one dict per call, for invariant checks
    agent_log: list | None = None  # with record=True: (agent, call id, start, end) busy intervals

    @property
    def occupancy_mean(self) -> float:
        return sum(self.occupancy) / len(self.occupancy)

    @property
    def occupancy_min(self) -> float:
        return min(self.occupancy)

    @property
    def talk_share_mean(self) -> float:
        return sum(self.talk_share) / len(self.talk_share)

    @property
    def abandon_rate(self) -> float:
        """Abandoned / human-answered calls (the FCC/Ofcom definition); 0 when nobody answered."""
        return self.outcomes[ABANDONED] / self.human_answers if self.human_answers else 0.0

    @property
    def calls_per_agent_hour(self) -> float:
        return self.connected_in_shift / self.agent_hours

    @property
    def cancelled_per_agent_hour(self) -> float:
        return self.cancelled / self.agent_hours


class _Call:
    __slots__ = (
        "id",
        "placed",
        "answered",
        "ring",
        "machine",
        "talk",
        "agent",
        "outcome",
        "ended",
        "waiting",
        "connected_at",
        "cancelled",
    )
    # Set by `place` when the call is made (the contact's drawn fate), before any event reads them.
    placed: float
    answered: bool
    ring: float
    machine: bool
    talk: float

    def __init__(self, call_id: int) -> None:
        self.id = call_id
        self.agent: int | None = None  # reserved (preview) or connected agent
        self.outcome: str | None = None
        self.ended: float | None = None
        self.waiting = False
        self.connected_at: float | None = None
        self.cancelled = False


def _truncated_talk(rng: random.Random, sc: Scenario) -> float:
    # Rejection keeps the shape of the normal above the minimum; a clip would pile mass on it.
    for _ in range(50):
        x = rng.gauss(sc.talk_mean, sc.talk_sd)
        if x >= sc.talk_min:
            return x
    return max(sc.talk_min, sc.talk_mean)


def simulate(scenario: Scenario, policy: Policy, seed: int, record: bool = False) -> RunResult:
    """Run one day of `scenario` paced by `policy`; deterministic for a given seed."""
    sc = scenario
    contacts = random.Random(seed)  # contact fates, drawn in dialling order
    shift_end = sc.hours * 3600.0
    obs = Observation(agents_logged_in=sc.agents, agents_ready=sc.agents)
    events: list = []
    seq = 0
    ready: deque = deque(range(sc.agents))  # longest-idle agent first
    waiting: deque = deque()  # answered human calls without agent, oldest first
    busy = [0.0] * sc.agents  # talk + wrap-up inside the shift
    talked = [0.0] * sc.agents
    counts = {NO_ANSWER: 0, MACHINE: 0, CONNECTED: 0, ABANDONED: 0}
    extra_lines = 0  # lines held by AMD hang-ups and safe-harbor messages
    connected_in_shift = 0
    calls: list[_Call] = []  # filled only with record=True
    agent_log: list[tuple[int, int, float, float]] = []  # filled only with record=True
    preview = getattr(policy, "preview_seconds", 0.0) or 0.0
    tick = float(getattr(policy, "tick_seconds", 5.0) or 5.0)
    cancel = getattr(policy, "cancel", None)
    ringing: dict = {}  # call id -> ringing _Call, for cancels
    cancelled = refused = 0
    push = heapq.heappush
    pop = heapq.heappop

    def finish(call: _Call, outcome: str, now: float) -> None:
        call.outcome = outcome
        call.ended = now
        counts[outcome] += 1

    def connect(call: _Call, agent: int, now: float) -> None:
        nonlocal seq, connected_in_shift
        call.agent = agent
        call.connected_at = now
        finish(call, CONNECTED, now)
        obs.connected += 1
        obs.human_fates.append((now, False))
        obs.agents_talking += 1
        obs.talk_started[agent] = now
        end_talk = now + call.talk
        end_wrap = end_talk + sc.wrapup
        if now < shift_end:
            connected_in_shift += 1
            busy[agent] += min(end_wrap, shift_end) - now
            talked[agent] += min(end_talk, shift_end) - now
        if record:
            agent_log.append((agent, call.id, now, end_wrap))
        seq += 1
        push(events, (end_talk, seq, _TALK_END, call))

    def agent_free(agent: int, now: float) -> None:
        # A freed agent takes the oldest waiting answer (still inside its 2 s) before going idle.
        if waiting:
            call = waiting.popleft()
            call.waiting = False
            obs.calls_waiting -= 1
            connect(call, agent, now)
        else:
            ready.append(agent)
            obs.agents_ready += 1

    def dial(call: _Call, now: float) -> None:
        nonlocal seq
        seq += 1
        if call.answered and call.ring <= sc.no_answer_after:
            push(events, (now + call.ring, seq, _ANSWER, call))
        else:
            push(events, (now + sc.no_answer_after, seq, _NO_ANSWER, call))

    def place(n: int, now: float) -> None:
        nonlocal seq
        if sc.trunk_lines is not None:
            n = min(n, sc.trunk_lines - obs.lines_in_use - extra_lines - obs.agents_preview)
        if preview:
            n = min(n, len(ready))
        for _ in range(n):
            call = _Call(obs.calls_placed)
            obs.calls_placed += 1
            # Always draw all four fates so contact k is the same contact under every policy.
            call.answered = contacts.random() < sc.answer_prob
            call.ring = contacts.uniform(sc.ring_min, sc.ring_max)
            call.machine = contacts.random() < sc.machine_share
            call.talk = _truncated_talk(contacts, sc)
            call.placed = now
            if record:
                calls.append(call)
            if preview:
                agent = ready.popleft()
                obs.agents_ready -= 1
                obs.agents_preview += 1
                call.agent = agent
                seq += 1
                push(events, (now + preview, seq, _DIAL, call))
            else:
                obs.calls_ringing += 1
                obs.ring_started[call.id] = now
                ringing[call.id] = call
                dial(call, now)

    def release_reserved(call: _Call, now: float) -> None:
        if call.agent is not None:
            obs.agents_preview -= 1
            agent_free(call.agent, now)

    def end_ringing(call: _Call, now: float) -> None:
        obs.calls_ringing -= 1
        del obs.ring_started[call.id]
        del ringing[call.id]

    def hang_up(call_ids, now: float) -> None:
        nonlocal cancelled, refused
        for call_id in call_ids:
            call = ringing.get(call_id)
            # The 15 s rule: earlier is refused (1e-9: float noise on exact ticks).
            if call is None or now - call.placed < sc.min_ring - 1e-9:
                refused += 1
                continue
            end_ringing(call, now)
            call.cancelled = True  # its pending answer / no-answer event is now stale
            cancelled += 1
            obs.cancelled += 1
            obs.outcomes.append((now, "cancelled", now - call.placed))
            finish(call, NO_ANSWER, now)
            release_reserved(call, now)

    seq += 1
    push(events, (0.0, seq, _TICK, None))
    while events:
        now, _, kind, call = pop(events)
        obs.now = now
        if kind == _TICK:
            if now + tick < shift_end:
                seq += 1
                push(events, (now + tick, seq, _TICK, None))
        elif kind in (_ANSWER, _NO_ANSWER) and call.cancelled:
            continue  # hung up by the dialer earlier: stale event, no state change
        elif kind == _ANSWER:
            end_ringing(call, now)
            obs.outcomes.append((now, "answered", now - call.placed))
            if call.machine:
                obs.machine_answers += 1
                extra_lines += 1
                seq += 1
                push(events, (now + sc.machine_detect, seq, _MACHINE_END, call))
            else:
                obs.human_answers += 1
                if call.agent is not None:  # preview: its agent was reserved for it
                    obs.agents_preview -= 1
                    connect(call, call.agent, now)
                elif ready:
                    obs.agents_ready -= 1
                    connect(call, ready.popleft(), now)
                else:
                    call.waiting = True
                    waiting.append(call)
                    obs.calls_waiting += 1
                    seq += 1
                    push(events, (now + sc.connect_within, seq, _GIVE_UP, call))
        elif kind == _NO_ANSWER:
            end_ringing(call, now)
            obs.no_answers += 1
            obs.outcomes.append((now, NO_ANSWER, now - call.placed))
            finish(call, NO_ANSWER, now)
            release_reserved(call, now)
        elif kind == _MACHINE_END:
            extra_lines -= 1
            obs.outcomes.append((now, MACHINE, call.ring))
            finish(call, MACHINE, now)
            release_reserved(call, now)
        elif kind == _GIVE_UP:
            if not call.waiting:
                continue  # an agent took it in time; stale timer (no state change, no decision)
            waiting.remove(call)
            call.waiting = False
            obs.calls_waiting -= 1
            obs.abandoned += 1
            obs.human_fates.append((now, True))
            obs.outcomes.append((now, ABANDONED, call.ring))
            finish(call, ABANDONED, now)
            extra_lines += 1
            seq += 1
            push(events, (now + sc.safe_harbor, seq, _LINE_FREE, None))
        elif kind == _TALK_END:
            agent = call.agent
            obs.agents_talking -= 1
            del obs.talk_started[agent]
            obs.talk_durations.append(call.talk)
            obs.agents_wrapup += 1
            obs.wrapup_started[agent] = now
            seq += 1
            push(events, (now + sc.wrapup, seq, _WRAP_END, agent))
        elif kind == _WRAP_END:
            agent = call  # payload is the agent id here
            obs.agents_wrapup -= 1
            obs.wrapup_durations.append(now - obs.wrapup_started.pop(agent))
            agent_free(agent, now)
        elif kind == _DIAL:
            # The reserved agent stays in preview while its call rings.
            obs.calls_ringing += 1
            obs.ring_started[call.id] = now
            ringing[call.id] = call
            call.placed = now
            dial(call, now)
        elif kind == _LINE_FREE:
            extra_lines -= 1
            continue
        if now < shift_end:
            n = policy.decide(obs)
            if cancel is not None:
                doomed = cancel(obs)
                if doomed:
                    hang_up(list(doomed), now)
            if n > 0:
                place(int(n), now)

    logged_in = shift_end
    return RunResult(
        seed=seed,
        policy=getattr(policy, "name", type(policy).__name__),
        occupancy=[b / logged_in for b in busy],
        talk_share=[t / logged_in for t in talked],
        calls_placed=obs.calls_placed,
        outcomes=counts,
        human_answers=obs.human_answers,
        connected_in_shift=connected_in_shift,
        agent_hours=sc.agents * sc.hours,
        cancelled=cancelled,
        refused_cancels=refused,
        calls=[_call_record(c) for c in calls] if record else None,
        agent_log=agent_log if record else None,
    )


def _call_record(call: _Call) -> dict:
    return {
        "id": call.id,
        "placed": call.placed,
        "answered": call.answered,
        "ring": call.ring,
        "machine": call.machine,
        "outcome": call.outcome,
        "ended": call.ended,
        "agent": call.agent,
        "connected_at": call.connected_at,
        "cancelled": call.cancelled,
    }


def scenario_dict(scenario: Scenario) -> dict:
    return asdict(scenario)
