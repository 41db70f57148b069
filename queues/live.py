"""Live state of queues, agents and calls, folded from AMI events (pure logic, no I/O).

`apply(event)` takes one AMI event (a dict) and returns the events to publish, in order.
`rebuild(...)` replaces everything from Asterisk's own answers to QueueStatus and
CoreShowChannels, so a restart of our services or a reconnect loses nothing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from centralita.telephony.endpoints import agent_of, device_of, is_agent_channel

# Asterisk device states (QueueMember "Status").
RINGING = {6, 7}
BUSY = {2, 3, 8}
UNREACHABLE = {4, 5}


@dataclass
class Member:
    queue: str
    agent: str
    status: int = 1
    paused: bool = False
    reason: str = ""
    in_call: bool = False
    last_call: float = 0.0
    wrapup: int = 0
    penalty: int = 0
    interface: str = ""  # PJSIP/<agent> (desk) or PJSIP/<agent>-web (browser): the phone the queue rings


@dataclass
class LiveState:
    now: Callable[[], float] = time.time
    members: dict[tuple[str, str], Member] = field(default_factory=dict)
    callers: dict[str, dict] = field(default_factory=dict)  # caller uniqueid → entry
    channels: dict[str, dict] = field(default_factory=dict)  # channel name → info
    agents: dict[str, dict] = field(default_factory=dict)  # agent → {state, reason, device, since}
    known_agents: set[str] = field(default_factory=set)
    queue_wrapup: dict[str, int] = field(default_factory=dict)  # queues.conf wrapuptime (not in member events)
    seq: int = 0
    rebuilt_at: float = 0.0
    # Set by every handled event, cleared by whoever stores the snapshot: many events change the state
    # without publishing anything (a channel that ends outside any bridge), and the stored copy
    # (Redis, `centralita queues live`) must follow them as /api/queues/live does.
    changed: bool = False

    # -- agent state ----------------------------------------------------------------------------
    def _derive(self, agent: str) -> tuple[str, str]:
        mine = [m for m in self.members.values() if m.agent == agent]
        if not mine:
            return "logged_out", ""
        paused = next((m for m in mine if m.paused), None)
        if paused:
            return "paused", paused.reason
        status = mine[0].status
        if status in RINGING:
            return "ringing", ""
        if status in BUSY or any(m.in_call for m in mine):
            return "on_call", ""
        if status in UNREACHABLE:
            return "unreachable", ""
        if self._wrapup_left(mine) > 0:
            return "wrapup", ""
        return "available", ""

    def _wrapup_left(self, mine: list[Member]) -> float:
        """Seconds of wrap-up the agent still has (0 when none): the latest end among their queues."""
        ends = [m.last_call + max(m.wrapup, self.queue_wrapup.get(m.queue, 0)) for m in mine if m.last_call]
        return max([end - self.now() for end in ends] + [0.0])

    def device(self, agent: str) -> str:
        """Which of the agent's phones the queues ring: 'desk', 'web', 'other' or '' (logged out)."""
        return next((device_of(m.interface, agent) for m in self.members.values() if m.agent == agent), "")

    def _refresh_agent(self, agent: str, out: list) -> None:
        state, reason = self._derive(agent)
        device = self.device(agent)
        current = self.agents.get(agent)
        if current and (current["state"], current["reason"], current.get("device", "")) == (state, reason, device):
            return
        if state == "logged_out" and current is None:
            return
        # a new phone alone is not a new state: "since when" stays
        since = self.now()
        if current is not None and (current["state"], current["reason"]) == (state, reason):
            since = current["since"]
        self.agents[agent] = {"state": state, "reason": reason, "device": device, "since": since}
        out.append(("agent.state", self.agent_view(agent)))

    def agent_view(self, agent: str) -> dict:
        """The agent's state as `agent.state` carries it (logged_out when nothing is known)."""
        current = self.agents.get(agent) or {"state": "logged_out", "reason": "", "device": "", "since": None}
        return {
            "agent": agent,
            "state": current["state"],
            "reason": current["reason"],
            "device": current.get("device", ""),
            "queues": sorted(q for (q, a) in self.members if a == agent),
            "since": current["since"],
            # while in wrap-up, the whole seconds it still lasts as of this view (the page counts down from
            # it with its own timer, so the two clocks need not agree); 0 otherwise
            "wrapup_s": (
                math.ceil(self._wrapup_left([m for m in self.members.values() if m.agent == agent]))
                if current["state"] == "wrapup"
                else 0
            ),
        }

    def tick(self) -> list:
        """Time alone ends a wrap-up: re-derive every agent."""
        out: list = []
        for agent in sorted({a for (_q, a) in self.members} | set(self.agents)):
            self._refresh_agent(agent, out)
        return self._stamp(out)

    # -- events ---------------------------------------------------------------------------------
    def _member_from(self, ev: dict) -> Member | None:
        agent = ev.get("MemberName") or ev.get("Name") or ""
        if not ev.get("Queue") or not agent:
            return None
        self.known_agents.add(agent)
        m = self.members.get((ev["Queue"], agent)) or Member(queue=ev["Queue"], agent=agent)
        m.status = int(ev.get("Status") or m.status)
        m.paused = ev.get("Paused", "1" if m.paused else "0") == "1"
        m.reason = ev.get("PausedReason", m.reason) if m.paused else ""
        m.in_call = ev.get("InCall", "1" if m.in_call else "0") == "1"
        m.last_call = max(m.last_call, float(ev.get("LastCall") or 0))  # AgentComplete may have set it first
        m.wrapup = int(ev.get("Wrapuptime") or m.wrapup or 0)
        m.penalty = int(ev.get("Penalty") or m.penalty or 0)
        # member events say Interface, QueueStatus says Location
        m.interface = ev.get("Interface") or ev.get("Location") or ev.get("StateInterface") or m.interface
        self.members[(m.queue, agent)] = m
        return m

    def apply(self, ev: dict) -> list:
        name = ev.get("Event", "")
        handler = getattr(self, f"_on_{name}", None)
        if handler is None:
            return []
        self.changed = True
        return self._stamp(handler(ev))

    def _stamp(self, out: list) -> list:
        stamped = []
        for kind, data in out:
            self.seq += 1
            stamped.append((kind, {**data, "seq": self.seq}))
        return stamped

    def _member_event(self, ev: dict) -> list:
        out: list = []
        m = self._member_from(ev)
        if m:
            self._refresh_agent(m.agent, out)
        return out

    _on_QueueMemberAdded = _on_QueueMemberStatus = _on_QueueMemberPause = _on_QueueMemberPenalty = _member_event

    def _on_QueueMemberRemoved(self, ev: dict) -> list:
        out: list = []
        agent = ev.get("MemberName", "")
        self.members.pop((ev.get("Queue", ""), agent), None)
        self._refresh_agent(agent, out)
        return out

    def _on_QueueCallerJoin(self, ev: dict) -> list:
        entry = {
            "queue": ev["Queue"],
            "uniqueid": ev["Uniqueid"],
            "channel": ev.get("Channel", ""),
            "caller": ev.get("CallerIDNum", ""),
            "caller_name": ev.get("CallerIDName", ""),
            "position": int(ev.get("Position") or 0),
            "joined_at": self.now(),
        }
        self.callers[ev["Uniqueid"]] = entry
        return [("queue.caller.joined", dict(entry))]

    def _on_QueueCallerAbandon(self, ev: dict) -> list:
        entry = self.callers.get(ev.get("Uniqueid", ""))
        if entry is not None:
            entry["abandoned"] = True
        return []

    def _on_QueueCallerLeave(self, ev: dict) -> list:
        entry = self.callers.pop(ev.get("Uniqueid", ""), None)
        if entry is None:
            return []
        for other in self.callers.values():
            if other["queue"] == entry["queue"] and other["position"] > entry["position"]:
                other["position"] -= 1
        reason = "abandoned" if entry.get("abandoned") else "left"
        return [
            (
                "queue.caller.left",
                {
                    "queue": entry["queue"],
                    "uniqueid": entry["uniqueid"],
                    "caller": entry["caller"],
                    "reason": reason,
                    "wait": round(self.now() - entry["joined_at"], 3),
                },
            )
        ]

    def _on_AgentConnect(self, ev: dict) -> list:
        return [
            (
                "call.answered",
                {
                    "queue": ev.get("Queue", ""),
                    "agent": ev.get("MemberName", ""),
                    "uniqueid": ev.get("Uniqueid", ""),
                    "caller": ev.get("CallerIDNum", ""),
                    "hold_time": int(ev.get("HoldTime") or 0),
                },
            )
        ]

    def _on_AgentComplete(self, ev: dict) -> list:
        member = self.members.get((ev.get("Queue", ""), ev.get("MemberName", "")))
        if member is not None:
            member.last_call, member.in_call = self.now(), False  # wrap-up starts now
        return [
            (
                "call.completed",
                {
                    "queue": ev.get("Queue", ""),
                    "agent": ev.get("MemberName", ""),
                    "uniqueid": ev.get("Uniqueid", ""),
                    "talk_time": int(ev.get("TalkTime") or 0),
                    "reason": ev.get("Reason", ""),
                },
            )
        ]

    # channels and bridges: the active calls, with both parties
    def _on_Newchannel(self, ev: dict) -> list:
        self.channels[ev["Channel"]] = {
            "channel": ev["Channel"],
            "uniqueid": ev.get("Uniqueid", ""),
            "linkedid": ev.get("Linkedid", ""),
            "caller": ev.get("CallerIDNum", ""),
            "bridge": "",
            "since": self.now(),
        }
        return []

    def _on_Hangup(self, ev: dict) -> list:
        info = self.channels.pop(ev.get("Channel", ""), None)
        return (
            self._bridge_changed(info["bridge"], before=self._bridge_size(info["bridge"]) + 1)
            if info and info["bridge"]
            else []
        )

    def _on_BridgeEnter(self, ev: dict) -> list:
        info = self.channels.get(ev.get("Channel", ""))
        if info is None:
            return []
        before = self._bridge_size(ev["BridgeUniqueid"])
        info["bridge"] = ev["BridgeUniqueid"]
        return self._bridge_changed(info["bridge"], before=before)

    def _on_BridgeLeave(self, ev: dict) -> list:
        info = self.channels.get(ev.get("Channel", ""))
        if info is None or not info["bridge"]:
            return []
        bridge, info["bridge"] = info["bridge"], ""
        return self._bridge_changed(bridge, before=self._bridge_size(bridge) + 1)

    def _on_NewCallerid(self, ev: dict) -> list:
        info = self.channels.get(ev.get("Channel", ""))
        if info is not None:
            info["caller"] = ev.get("CallerIDNum", info["caller"])
        return []

    def _bridge_size(self, bridge: str) -> int:
        return sum(1 for c in self.channels.values() if c["bridge"] == bridge)

    def _bridge_changed(self, bridge: str, before: int) -> list:
        after = self._bridge_size(bridge)
        if before < 2 <= after:
            return [("call.started", self._call(bridge))]
        if after < 2 <= before:
            return [("call.ended", {"bridge": bridge})]
        return []

    def _call(self, bridge: str) -> dict:
        parties = sorted((c for c in self.channels.values() if c["bridge"] == bridge), key=lambda c: c["since"])
        agent = next((a for c in parties if (a := agent_of(c["channel"], self.known_agents))), "")
        return {
            "bridge": bridge,
            "agent": agent,
            "parties": [{"channel": c["channel"], "caller": c["caller"]} for c in parties],
        }

    def calls(self) -> list[dict]:
        bridges = sorted({c["bridge"] for c in self.channels.values() if c["bridge"]})
        return [self._call(b) for b in bridges if self._bridge_size(b) >= 2]

    def agent_channel(self, agent: str) -> str:
        """The agent's channel in an active call, or '' when the agent is not talking to anyone."""
        for call in self.calls():
            for party in call["parties"]:
                if is_agent_channel(party["channel"], agent):
                    return party["channel"]
        return ""

    # -- rebuild ----------------------------------------------------------------------------------
    def rebuild(self, queue_status: list[dict], channels: list[dict]) -> list:
        """Replace the state from QueueStatus (QueueMember, QueueEntry) and CoreShowChannels events."""
        now = self.now()
        self.members, self.callers, self.channels = {}, {}, {}
        for ev in queue_status:
            if ev.get("Event") == "QueueMember":
                self._member_from(ev)
            elif ev.get("Event") == "QueueEntry":
                self.callers[ev["Uniqueid"]] = {
                    "queue": ev["Queue"],
                    "uniqueid": ev["Uniqueid"],
                    "channel": ev.get("Channel", ""),
                    "caller": ev.get("CallerIDNum", ""),
                    "caller_name": ev.get("CallerIDName", ""),
                    "position": int(ev.get("Position") or 0),
                    "joined_at": now - float(ev.get("Wait") or 0),
                }
        for ev in channels:
            if ev.get("Event") == "CoreShowChannel":
                self.channels[ev["Channel"]] = {
                    "channel": ev["Channel"],
                    "uniqueid": ev.get("Uniqueid", ""),
                    "linkedid": ev.get("Linkedid", ""),
                    "caller": ev.get("CallerIDNum", ""),
                    "bridge": ev.get("BridgeId", ""),
                    "since": now - _seconds(ev.get("Duration", "")),
                }
        self.rebuilt_at = now
        self.changed = True
        previous, self.agents = self.agents, {}
        out: list = []
        for agent in sorted({a for (_q, a) in self.members} | set(previous)):
            self._refresh_agent(agent, out)
            if agent in previous and agent in self.agents and previous[agent]["state"] == self.agents[agent]["state"]:
                self.agents[agent]["since"] = previous[agent]["since"]  # unchanged: keep "since when"
        return self._stamp(
            [("state.rebuilt", {"agents": len(self.agents), "callers": len(self.callers), "calls": len(self.calls())})]
            + out
        )

    def snapshot(self) -> dict:
        queues: dict[str, dict] = {}
        for m in self.members.values():
            q = queues.setdefault(m.queue, {"members": [], "callers": []})
            q["members"].append(
                {
                    "agent": m.agent,
                    "status": m.status,
                    "paused": m.paused,
                    "reason": m.reason,
                    "penalty": m.penalty,
                    "in_call": m.in_call,
                }
            )
        for c in sorted(self.callers.values(), key=lambda c: (c["queue"], c["position"])):
            q = queues.setdefault(c["queue"], {"members": [], "callers": []})
            q["callers"].append(
                {k: c[k] for k in ("uniqueid", "channel", "caller", "position")}
                | {"wait": round(self.now() - c["joined_at"], 1)}
            )
        return {
            "seq": self.seq,
            "rebuilt_at": self.rebuilt_at,
            "queues": queues,
            "agents": {a: dict(v) for a, v in sorted(self.agents.items())},
            "calls": self.calls(),
            "channels": sorted(self.channels),
        }


def _seconds(duration: str) -> float:
    """CoreShowChannel's Duration 'HH:MM:SS' → seconds."""
    try:
        h, m, s = (int(x) for x in duration.split(":"))
        return h * 3600 + m * 60 + s
    except ValueError:
        return 0.0
