"""One campaign's calls in flight and the `Observation` its pacing policy reads. Pure logic, no I/O.

The engine feeds it what Asterisk reports (placed, answered, AMD verdict, connected, safe-harbor,
hangup) and the queue's agent states; it keeps the Observation exactly as the simulator does, so
a policy sees the same kind of facts live as in the what-if: clock, agent states, calls ringing and
waiting, outcomes so far with ring times, talk and wrap-up durations.

Busy and failed calls count as `no_answers` for the policy (a line that gave no one to talk to);
a call hung up during AMD counts as a machine (answered, nobody for an agent). While AMD listens
(a second or two) an answered call counts as waiting for an agent: it may be a person, and a policy
that saw it as nothing would dial another line for the same agent.

The policy may name ringing calls to hang up; only those that have rung `min_ring` seconds
(the regulators' 15 s, from the trunk's first ringing signal when it sent one) may go: such a
call ends as `no_answer` and is not in the abandonment rate. One answered just as we hung up is
counted as abandoned (someone may have picked up and heard nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.simulator import ABANDONED, MACHINE, NO_ANSWER, Observation

# A call's life here: ringing → amd → (waiting → talking | abandoned) | machine | message;
# any state → ended. Broadcast calls go amd → message.
RINGING, AMD, WAITING, TALKING, ABANDONING, MACHINE_STATE, MESSAGE, CANCELLED = (
    "ringing",
    "amd",
    "waiting",
    "talking",
    "abandoning",
    "machine",
    "message",
    "cancelled",
)

# Agent states of queues/live.py → what the policy counts.
_READY, _TALKING, _WRAPUP = {"available"}, {"on_call", "ringing"}, {"wrapup"}

# Hangup causes (Q.850) and OriginateResponse reasons that tell why nobody answered.
BUSY_CAUSES, NO_ANSWER_CAUSES = {17}, {18, 19}
BUSY_REASONS, NO_ANSWER_REASONS = {5}, {3}


@dataclass
class LiveCall:
    attempt_id: int
    channel: str
    contact_id: int
    placed: float
    state: str = RINGING
    answered: float | None = None
    amd: str = ""
    agent: str = ""
    reason: int | None = None  # OriginateResponse Reason, when it came
    message_left: bool = False
    ringing_at: float | None = None  # when the trunk first said it rings (Newstate Ringing)
    name: str = ""  # Asterisk channel name, once an event told it (Hangup targets it)


@dataclass
class CampaignCalls:
    """Calls of one campaign and the Observation built from them (times: seconds on `clock`)."""

    calls: dict[str, LiveCall] = field(default_factory=dict)  # channel → call
    obs: Observation = field(default_factory=Observation)
    agent_states: dict[str, tuple[str, float]] = field(default_factory=dict)  # agent → (state, since)
    refused_cancels: int = 0  # hang-ups the policy asked for too early (or of calls not ringing)

    # -- calls ----------------------------------------------------------------------------------
    def placed(self, call: LiveCall) -> None:
        self.calls[call.channel] = call
        self.obs.calls_placed += 1
        self.obs.calls_ringing += 1
        self.obs.ring_started[call.channel] = call.placed

    def _stop_ringing(self, call: LiveCall) -> None:
        if call.state == RINGING:
            self.obs.calls_ringing -= 1
            self.obs.ring_started.pop(call.channel, None)

    def seen(self, channel: str, name: str, state: str, now: float) -> None:
        """Any event of the call: remember its channel name and when it started ringing."""
        call = self.calls.get(channel)
        if call is None:
            return
        if name and not call.name:
            call.name = name
        if state == "5" and call.ringing_at is None and call.state == RINGING:  # AST_STATE_RINGING
            call.ringing_at = now

    def may_cancel(self, channel: str, now: float, min_ring: float) -> LiveCall | None:
        """The call if it may be hung up now: still ringing, for at least min_ring seconds (from the
        trunk's ringing signal, else from placing it); otherwise None, counted as refused."""
        call = self.calls.get(channel)
        if call is None or call.state != RINGING or now - (call.ringing_at or call.placed) < min_ring:
            self.refused_cancels += 1
            return None
        return call

    def cancelled(self, channel: str, now: float) -> LiveCall | None:
        """We hung the call up: a ringing one ends as no_answer (not an abandonment); one answered
        meanwhile counts as abandoned."""
        call = self.calls.get(channel)
        if call is None:
            return None
        obs = self.obs
        if call.state == RINGING:
            self._stop_ringing(call)
            call.state = CANCELLED
            obs.cancelled += 1
            obs.outcomes.append((now, "cancelled", now - call.placed))
        elif call.state in (AMD, WAITING):
            obs.calls_waiting -= 1
            if call.state == AMD:
                obs.human_answers += 1
            call.state = ABANDONING
            obs.abandoned += 1
            obs.human_fates.append((now, True))
            obs.outcomes.append((now, ABANDONED, (call.answered or now) - call.placed))
        return call

    def answered(self, channel: str, now: float) -> LiveCall | None:
        call = self.calls.get(channel)
        if call is None or call.state != RINGING:
            return None
        self._stop_ringing(call)
        call.state, call.answered = AMD, now
        self.obs.calls_waiting += 1
        self.obs.outcomes.append((now, "answered", now - call.placed))
        return call

    def amd(self, channel: str, status: str, now: float, human_path: bool) -> LiveCall | None:
        """AMD's verdict; `human_path`: the call now looks for an agent (a person, or a machine the
        campaign passes to agents), otherwise it is a machine (hung up or given the message)."""
        call = self.calls.get(channel)
        if call is None or call.state != AMD:
            return None
        call.amd = status
        if status in ("HUMAN", "NOTSURE", ""):
            self.obs.human_answers += 1
        else:
            self.obs.machine_answers += 1
        if human_path:
            call.state = WAITING
        else:
            call.state = MACHINE_STATE
            self.obs.calls_waiting -= 1
        return call

    def broadcast(self, channel: str) -> LiveCall | None:
        """A person (AMD's verdict) hears the broadcast message: a delivered call once it ends."""
        call = self.calls.get(channel)
        if call is not None and call.state in (AMD, WAITING, MACHINE_STATE):
            if call.state == WAITING:
                self.obs.calls_waiting -= 1
            call.state = MESSAGE
        return call

    def connected(self, channel: str, agent: str, now: float) -> LiveCall | None:
        call = self.calls.get(channel)
        if call is None or call.state not in (WAITING, MESSAGE):
            return None
        if call.state == WAITING:
            self.obs.calls_waiting -= 1
            self.obs.connected += 1
            if call.amd != "MACHINE":
                self.obs.human_fates.append((now, False))
        call.state, call.agent = TALKING, agent
        return call

    def abandoned(self, channel: str, now: float) -> LiveCall | None:
        """No agent within the connect time: the safe-harbor message plays and it counts."""
        call = self.calls.get(channel)
        if call is None or call.state != WAITING:
            return None
        self.obs.calls_waiting -= 1
        if call.amd == "MACHINE":  # a machine passed to agents found none: not a person abandoned
            call.state = MACHINE_STATE
            return call
        call.state = ABANDONING
        self.obs.abandoned += 1
        self.obs.human_fates.append((now, True))
        self.obs.outcomes.append((now, ABANDONED, (call.answered or now) - call.placed))
        return call

    def hangup(self, channel: str, now: float, cause: int = 0) -> tuple[LiveCall, str] | None:
        """The channel is gone: drop the call and return it with its outcome."""
        call = self.calls.pop(channel, None)
        if call is None:
            return None
        obs = self.obs
        if call.state == RINGING:
            self._stop_ringing(call)
            if call.reason in BUSY_REASONS or cause in BUSY_CAUSES:
                outcome = "busy"
            elif call.reason in NO_ANSWER_REASONS or cause in NO_ANSWER_CAUSES:
                outcome = "no_answer"
            else:
                outcome = "failed"
            obs.no_answers += 1
            obs.outcomes.append((now, NO_ANSWER, now - call.placed))
            return call, outcome
        if call.state == CANCELLED:
            return call, "no_answer"
        ring = (call.answered or now) - call.placed
        if call.state == AMD:  # hung up before AMD decided: answered, nobody for an agent
            obs.calls_waiting -= 1
            obs.machine_answers += 1
            obs.outcomes.append((now, MACHINE, ring))
            return call, "failed"
        if call.state == WAITING:  # the person hung up while we looked for an agent: we count it
            obs.calls_waiting -= 1
            if call.amd == "MACHINE":
                return call, "machine"
            obs.abandoned += 1
            obs.human_fates.append((now, True))
            obs.outcomes.append((now, ABANDONED, ring))
            return call, "abandoned"
        if call.state == MACHINE_STATE:
            obs.outcomes.append((now, MACHINE, ring))
            return call, "machine"
        if call.state == ABANDONING:
            return call, "abandoned"
        if call.state == MESSAGE:
            return call, "connected"
        return call, "connected" if call.amd != "MACHINE" else "machine"

    def originate_failed(self, channel: str, reason: int) -> None:
        call = self.calls.get(channel)
        if call is not None:
            call.reason = reason

    @property
    def lines_in_use(self) -> int:
        return len(self.calls)

    # -- agents ---------------------------------------------------------------------------------
    def agents(self, states: dict[str, tuple[str, float]], now: float) -> None:
        """The queue's agents as queues/live.py sees them: {agent: (state, since)} on our clock."""
        obs = self.obs
        for agent, (state, since) in states.items():
            before = self.agent_states.get(agent)
            if before and before[0] != state:
                if before[0] in _TALKING and state not in _TALKING:
                    obs.talk_durations.append(max(0.0, since - before[1]))
                if before[0] in _WRAPUP and state not in _WRAPUP:
                    obs.wrapup_durations.append(max(0.0, since - before[1]))
        self.agent_states = dict(states)
        obs.now = now
        obs.agents_ready = sum(1 for s, _ in states.values() if s in _READY)
        obs.agents_talking = sum(1 for s, _ in states.values() if s in _TALKING)
        obs.agents_wrapup = sum(1 for s, _ in states.values() if s in _WRAPUP)
        obs.agents_logged_in = obs.agents_ready + obs.agents_talking + obs.agents_wrapup
        obs.talk_started = {a: t for a, (s, t) in states.items() if s in _TALKING}
        obs.wrapup_started = {a: t for a, (s, t) in states.items() if s in _WRAPUP}
