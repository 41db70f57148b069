"""The live state machine, fed the AMI events Asterisk 22 sends (recorded from a real call)."""

from queues.live import LiveState


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def member(event: str, agent: str, status: int = 1, paused: str = "0", reason: str = "", **extra) -> dict:
    return {
        "Event": event,
        "Queue": "atencion",
        "MemberName": agent,
        "Interface": f"PJSIP/{agent}",
        "Status": str(status),
        "Paused": paused,
        "PausedReason": reason,
        "InCall": "0",
        "LastCall": "0",
        "Wrapuptime": "0",
        "Penalty": "0",
        **extra,
    }


def kinds(out):
    return [(k, d.get("state") or d.get("reason") or "") for k, d in out]


def test_a_queued_call_walks_the_agent_through_every_state():
    clock = Clock()
    s = LiveState(now=clock, known_agents={"agent1"}, queue_wrapup={"atencion": 2})
    assert kinds(s.apply(member("QueueMemberAdded", "agent1"))) == [("agent.state", "available")]
    out = s.apply(
        {
            "Event": "QueueCallerJoin",
            "Queue": "atencion",
            "Uniqueid": "1.0",
            "Channel": "PJSIP/demo-1",
            "CallerIDNum": "5551234",
            "CallerIDName": "Ana",
            "Position": "1",
        }
    )
    assert out[0][0] == "queue.caller.joined" and out[0][1]["position"] == 1
    assert kinds(s.apply(member("QueueMemberStatus", "agent1", status=6))) == [("agent.state", "ringing")]
    clock.t += 3
    out = s.apply({"Event": "QueueCallerLeave", "Queue": "atencion", "Uniqueid": "1.0", "Position": "1"})
    assert out[0][1]["wait"] == 3.0 and out[0][1]["reason"] == "left"
    s.apply({"Event": "Newchannel", "Channel": "PJSIP/demo-1", "Uniqueid": "1.0", "CallerIDNum": "5551234"})
    s.apply({"Event": "Newchannel", "Channel": "PJSIP/agent1-2", "Uniqueid": "1.1", "CallerIDNum": "1001"})
    assert kinds(s.apply(member("QueueMemberStatus", "agent1", status=2))) == [("agent.state", "on_call")]
    assert s.apply({"Event": "BridgeEnter", "Channel": "PJSIP/demo-1", "BridgeUniqueid": "b1"}) == []
    [(kind, call)] = s.apply({"Event": "BridgeEnter", "Channel": "PJSIP/agent1-2", "BridgeUniqueid": "b1"})
    assert kind == "call.started" and call["agent"] == "agent1" and len(call["parties"]) == 2
    assert s.agent_channel("agent1") == "PJSIP/agent1-2"
    clock.t += 10
    s.apply({"Event": "AgentComplete", "Queue": "atencion", "MemberName": "agent1", "TalkTime": "10"})
    assert kinds(s.apply({"Event": "Hangup", "Channel": "PJSIP/demo-1"})) == [("call.ended", "")]
    assert s.agent_channel("agent1") == ""
    [(kind, wrap)] = s.apply(member("QueueMemberStatus", "agent1", status=1))
    assert (kind, wrap["state"], wrap["wrapup_s"]) == ("agent.state", "wrapup", 2)  # the page's countdown
    assert s.tick() == []
    clock.t += 1.5
    assert s.agent_view("agent1")["wrapup_s"] == 1
    clock.t += 0.6
    assert kinds(s.tick()) == [("agent.state", "available")]
    seqs = [d["seq"] for _k, d in s.tick() + s.apply(member("QueueMemberPause", "agent1", paused="1", reason="lunch"))]
    assert seqs == [s.seq]
    assert s.agents["agent1"] == {"state": "paused", "reason": "lunch", "device": "desk", "since": clock.t}
    assert kinds(s.apply({"Event": "QueueMemberRemoved", "Queue": "atencion", "MemberName": "agent1"})) == [
        ("agent.state", "logged_out")
    ]


def test_abandon_and_positions_move_up():
    s = LiveState(now=Clock())
    for n in (1, 2, 3):
        s.apply({"Event": "QueueCallerJoin", "Queue": "q", "Uniqueid": f"{n}", "Position": str(n)})
    s.apply({"Event": "QueueCallerAbandon", "Queue": "q", "Uniqueid": "1"})
    [(kind, data)] = s.apply({"Event": "QueueCallerLeave", "Queue": "q", "Uniqueid": "1"})
    assert kind == "queue.caller.left" and data["reason"] == "abandoned"
    assert [c["position"] for c in s.snapshot()["queues"]["q"]["callers"]] == [1, 2]


def test_rebuild_from_asterisk_answers_keeps_unchanged_since():
    clock = Clock()
    s = LiveState(now=clock, known_agents={"agent1", "agent2"})
    s.apply(member("QueueMemberAdded", "agent1"))
    since = s.agents["agent1"]["since"]
    clock.t += 50
    status = [
        member("QueueMember", "agent1") | {"Name": "agent1"},
        member("QueueMember", "agent2", status=2, InCall="1"),
        {
            "Event": "QueueEntry",
            "Queue": "atencion",
            "Uniqueid": "9.9",
            "Channel": "PJSIP/demo-9",
            "Position": "1",
            "Wait": "12",
            "CallerIDNum": "555",
        },
    ]
    channels = [
        {"Event": "CoreShowChannel", "Channel": "PJSIP/demo-8", "BridgeId": "b", "Duration": "00:01:05"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/agent2-3", "BridgeId": "b", "Duration": "00:01:04"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/demo-9", "BridgeId": "", "Duration": "00:00:12"},
    ]
    out = s.rebuild(status, channels)
    assert out[0][0] == "state.rebuilt" and out[0][1] | {"seq": 0} == {"agents": 2, "callers": 1, "calls": 1, "seq": 0}
    snap = s.snapshot()
    assert snap["agents"]["agent1"]["since"] == since  # unchanged state keeps its "since when"
    assert snap["agents"]["agent2"]["state"] == "on_call"
    assert snap["queues"]["atencion"]["callers"][0]["wait"] == 12.0
    assert snap["calls"][0]["agent"] == "agent2" and snap["channels"] == [
        "PJSIP/agent2-3",
        "PJSIP/demo-8",
        "PJSIP/demo-9",
    ]


def test_a_browser_phone_member_names_the_agent_and_its_device():
    clock = Clock()
    s = LiveState(now=clock, known_agents={"agentb"})
    added = s.apply(member("QueueMemberAdded", "agentb", Interface="PJSIP/agentb-web"))
    assert [(k, d["agent"], d["state"], d["device"]) for k, d in added] == [
        ("agent.state", "agentb", "available", "web")
    ]
    assert s.agent_view("agentb") | {"seq": 0} == {
        "agent": "agentb",
        "state": "available",
        "reason": "",
        "device": "web",
        "queues": ["atencion"],
        "since": 1000.0,
        "wrapup_s": 0,
    } | {"seq": 0}
    # its call is the agent's call (the spy target, the event stream's filter)
    s.apply({"Event": "Newchannel", "Channel": "PJSIP/demo-1", "Uniqueid": "1.0", "CallerIDNum": "555"})
    s.apply({"Event": "Newchannel", "Channel": "PJSIP/agentb-web-00000002", "Uniqueid": "1.1", "CallerIDNum": "1401"})
    s.apply({"Event": "BridgeEnter", "Channel": "PJSIP/demo-1", "BridgeUniqueid": "b1"})
    [(_k, call)] = s.apply({"Event": "BridgeEnter", "Channel": "PJSIP/agentb-web-00000002", "BridgeUniqueid": "b1"})
    assert call["agent"] == "agentb" and s.agent_channel("agentb") == "PJSIP/agentb-web-00000002"
    # an agent nobody knows anything about is logged out, and QueueStatus' Location names the phone too
    assert s.agent_view("nobody")["state"] == "logged_out" and s.agent_view("nobody")["since"] is None
    s.rebuild(
        [{"Event": "QueueMember", "Queue": "atencion", "Name": "agentb", "Location": "PJSIP/agentb", "Status": "1"}], []
    )
    assert s.agent_view("agentb")["device"] == "desk"
