"""The engine's pure parts: a call's life and the Observation the policy reads, the trunk limits,
and the Originate action (escaping, variables, broadcast text)."""

from __future__ import annotations

import json

from dialer.engine.calls import AMD, TALKING, WAITING, CampaignCalls, LiveCall
from dialer.engine.claims import Claim, attempt_of, channel_id
from dialer.engine.limits import CallRate, trunk_room
from dialer.engine.originate import contact_json, escape, message_text, originate_action
from dialer.models import Campaign
from dialer.pacing import make_policy


def _unescape(value: str) -> str:
    """What Asterisk's argument parser (AST_STANDARD_APP_ARGS) does to one Variable value."""
    out, i, args, quoted = [], 0, [], False
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(out))
            out = []
        else:
            out.append(ch)
        i += 1
    return "|".join(args + ["".join(out)])


def test_a_call_moves_the_observation_like_the_simulator():
    calls = CampaignCalls()
    calls.agents({"ana": ("available", 0.0), "beto": ("on_call", 0.0), "caro": ("paused", 0.0)}, 1.0)
    obs = calls.obs
    assert (obs.agents_logged_in, obs.agents_ready, obs.agents_talking) == (2, 1, 1)
    for n, channel in enumerate(("h", "m", "b", "x")):
        calls.placed(LiveCall(n, channel, n, placed=1.0))
    assert obs.calls_ringing == 4 and obs.calls_placed == 4 and calls.lines_in_use == 4
    assert make_policy("progressive").decide(obs) == 1 - 4  # more in flight than ready agents: none
    calls.answered("h", 4.0)
    assert obs.calls_waiting == 1  # AMD still listening: it may be a person needing an agent
    calls.amd("h", "HUMAN", 5.5, human_path=True)
    assert obs.calls_waiting == 1 and obs.human_answers == 1 and obs.outcomes[-1] == (4.0, "answered", 3.0)
    calls.connected("h", "ana", 6.0)
    assert calls.calls["h"].state == TALKING and obs.connected == 1 and obs.human_fates == [(6.0, False)]
    calls.answered("m", 3.0)
    calls.amd("m", "MACHINE", 5.0, human_path=False)
    calls.originate_failed("b", 5)
    assert calls.hangup("b", 7.0)[1] == "busy"
    assert calls.hangup("x", 26.0, cause=19)[1] == "no_answer"
    assert calls.hangup("m", 6.0)[1] == "machine"
    assert calls.hangup("h", 60.0)[1] == "connected"
    assert (obs.machine_answers, obs.no_answers, obs.calls_ringing, obs.calls_waiting) == (1, 2, 0, 0)
    assert calls.hangup("h", 61.0) is None  # a second Hangup event changes nothing
    # Talk and wrap-up durations come from the agents' state changes.
    calls.agents({"ana": ("on_call", 6.0), "beto": ("wrapup", 30.0)}, 30.0)
    calls.agents({"ana": ("wrapup", 60.0), "beto": ("available", 40.0)}, 60.0)
    assert obs.talk_durations == [30.0, 54.0] and obs.wrapup_durations == [10.0]


def test_abandonment_counts_people_only():
    calls = CampaignCalls()
    for channel in ("p", "q", "m"):
        calls.placed(LiveCall(0, channel, 0, placed=0.0))
        calls.answered(channel, 2.0)
    calls.amd("p", "HUMAN", 3.0, human_path=True)
    calls.abandoned("p", 5.0)
    assert calls.hangup("p", 11.0)[1] == "abandoned"
    calls.amd("q", "NOTSURE", 3.0, human_path=True)
    assert calls.calls["q"].state == WAITING
    assert calls.hangup("q", 4.0)[1] == "abandoned"  # hung up while we looked for an agent: counted
    calls.amd("m", "MACHINE", 3.0, human_path=True)  # a machine the campaign passes to agents
    calls.abandoned("m", 5.0)
    assert calls.hangup("m", 6.0)[1] == "machine"
    assert calls.obs.abandoned == 2 and calls.obs.human_answers == 2 and calls.obs.machine_answers == 1
    assert [f for _, f in calls.obs.human_fates] == [True, True]


def test_a_call_hung_up_during_amd_is_answered_but_no_person():
    calls = CampaignCalls()
    calls.placed(LiveCall(1, "a", 1, placed=0.0))
    calls.answered("a", 1.0)
    assert calls.calls["a"].state == AMD
    assert calls.hangup("a", 2.0)[1] == "failed" and calls.obs.machine_answers == 1


def test_call_rate_and_trunk_room():
    rate = CallRate(2.0, now=0.0)
    assert rate.take(5, 0.0) == 2 and rate.take(1, 0.0) == 0
    assert rate.take(5, 0.5) == 1 and rate.available(10.0) == 2  # bursts never exceed one second's worth
    slow = CallRate(0.5, now=0.0)
    assert slow.take(3, 0.0) == 1 and slow.take(1, 1.0) == 0 and slow.take(1, 2.0) == 1
    assert trunk_room(30, 28) == 2 and trunk_room(30, 31) == 0


def test_originate_action_escapes_the_contact_and_names_the_attempt():
    campaign = Campaign(
        id=3, name="cobros 2026", mode="predictive", queue_name="cobranza", caller_id="+50422000000", dial_timeout=25
    )
    claim = Claim(
        41, channel_id(41), 7, "+50499000011", 'Ana "la, jefa" Pérez', {"monto": "1,500.50", "nota": "a\\b"}, ""
    )
    action = originate_action(campaign, claim, dial_template="PJSIP/{number}@trunk", amd="hangup")
    assert attempt_of(action["ChannelId"]) == 41 and action["ActionID"] == action["ChannelId"]
    assert action["Channel"] == "PJSIP/+50499000011@trunk" and action["Timeout"] == "25000"
    assert action["CallerID"] == '"cobros 2026" <+50422000000>' and action["Async"] == "true"
    lookup = next(v for v in action["Variable"] if v.startswith("__CENTRALITA_LOOKUP="))
    value = lookup.split("=", 1)[1]
    assert _unescape(value) == contact_json(claim, campaign)  # one argument, quotes and commas intact
    assert "\n" not in escape("a\nb")


def test_broadcast_text_takes_the_contacts_fields():
    claim = Claim(1, "dialer-1-abcdef", 1, "+50499000011", "Ana", {"monto": "1500"}, "")
    assert (
        message_text("Estimada {name}, su saldo es {monto} lempiras. {falta}", claim)
        == "Estimada Ana, su saldo es 1500 lempiras. "
    )
    assert message_text("Llave suelta {monto", claim) == "Llave suelta {monto"  # said as written


def test_a_broadcast_heard_by_a_person_is_delivered():
    calls = CampaignCalls()
    calls.placed(LiveCall(1, "b", 1, placed=0.0))
    calls.answered("b", 1.0)
    calls.amd("b", "HUMAN", 2.5, human_path=False)  # broadcasts do not look for an agent
    calls.broadcast("b")
    calls.connected("b", "ana", 9.0)  # pressed the key for an agent
    assert calls.hangup("b", 20.0)[1] == "connected" and calls.obs.calls_waiting == 0
    calls.placed(LiveCall(2, "c", 2, placed=0.0))
    calls.answered("c", 1.0)
    calls.amd("c", "HUMAN", 2.5, human_path=False)
    calls.broadcast("c")
    assert calls.hangup("c", 8.0)[1] == "connected"


def test_every_mode_gets_a_policy_through_the_pacing_interface():
    from dialer.engine.engine import _new_policy
    from dialer.simulator import Observation

    for mode in ("preview", "progressive", "predictive"):
        policy = _new_policy(Campaign(name="x", mode=mode, abandon_target=0.02), 2)
        obs = Observation(agents_logged_in=3, agents_ready=3)
        assert policy.decide(obs) >= 1, mode  # ready agents and nothing in flight: dial
    assert _new_policy(Campaign(name="x", mode="broadcast"), 2) is None  # paced by the trunk alone


def test_a_contact_with_many_fields_still_fits_one_ami_line():
    campaign = Campaign(id=1, name="cobros", queue_name="q", caller_id="123", dial_timeout=25)
    fields = {f"campo_{i}": "x" * 40 for i in range(60)}
    claim = Claim(1, channel_id(1), 1, "+50499000011", "Ana", fields, "")
    action = originate_action(campaign, claim, dial_template="PJSIP/{number}@trunk")
    assert all(len(f"Variable: {v}".encode()) < 1024 for v in action["Variable"])
    lookup = json.loads(_unescape(next(v for v in action["Variable"] if "LOOKUP" in v).split("=", 1)[1]))
    assert lookup["more"] is True and lookup["name"] == "Ana" and lookup["campo_0"] == "x" * 40


def test_hang_ups_only_after_the_minimum_ring_end_as_no_answer():
    calls = CampaignCalls()
    obs = calls.obs
    for n, channel in enumerate(("a", "b", "c")):
        calls.placed(LiveCall(n, channel, n, placed=0.0))
    calls.seen("a", "PJSIP/trunk-0001", "5", 3.0)  # the trunk says it rings from 3 s on
    assert calls.calls["a"].name == "PJSIP/trunk-0001"
    assert calls.may_cancel("a", 16.0, 15.0) is None  # rung 13 s since the ringing signal
    assert calls.may_cancel("b", 14.0, 15.0) is None  # no ringing signal: counted from placing
    assert calls.refused_cancels == 2
    assert calls.may_cancel("a", 18.0, 15.0) is calls.calls["a"]
    calls.cancelled("a", 18.0)
    assert obs.calls_ringing == 2 and "a" not in obs.ring_started and obs.cancelled == 1
    assert obs.outcomes[-1] == (18.0, "cancelled", 18.0)
    assert calls.hangup("a", 18.1, cause=19)[1] == "no_answer"
    assert (obs.no_answers, obs.human_answers, obs.abandoned) == (0, 0, 0)  # not in the rate
    # Answered just before our hang-up reached it: someone may have picked up, so it counts.
    calls.answered("c", 16.0)
    assert calls.may_cancel("c", 17.0, 15.0) is None  # not ringing any more: refused
    calls.cancelled("c", 17.0)
    assert (obs.human_answers, obs.abandoned, obs.calls_waiting) == (1, 1, 0)
    assert calls.hangup("c", 17.1)[1] == "abandoned"


def test_engine_hangs_up_over_ami_only_what_the_setting_allows():
    import asyncio
    import time
    from types import SimpleNamespace

    from dialer.engine.engine import CampaignRun, DialerEngine

    sent = []

    from centralita.telephony.ami import AmiClient

    class Manager:  # stands in for panoramisk's: records the AMI actions the engine sends through AmiClient
        link_up = authenticated = True

        async def send_action(self, action, as_list=False):
            sent.append(action)
            return {"Response": "Success"}

    engine = DialerEngine.__new__(DialerEngine)
    engine.ami = AmiClient(SimpleNamespace(external_timeout=2))
    engine.ami.manager, engine.ami.logged_in = Manager(), True
    engine.settings = SimpleNamespace(dialer_min_ring_seconds=15.0)
    run = CampaignRun(Campaign(id=1, name="x", mode="predictive"), None, epoch=time.time() - 100.0)
    run.calls.placed(LiveCall(1, "dialer-1-x", 1, placed=80.0))  # rung about 20 s
    run.calls.placed(LiveCall(2, "dialer-2-x", 2, placed=95.0))  # about 5 s: too early
    run.calls.seen("dialer-1-x", "PJSIP/trunk-00000001", "5", 81.0)
    asyncio.run(engine._hang_up(run, ["dialer-1-x", "dialer-2-x", "dialer-9-gone"]))
    assert sent == [{"Action": "Hangup", "Channel": "PJSIP/trunk-00000001", "Cause": "19"}]
    assert run.calls.refused_cancels == 2 and run.calls.obs.cancelled == 1
    assert run.calls.hangup("dialer-1-x", 101.0, cause=19)[1] == "no_answer"
    assert "dialer-2-x" in run.calls.obs.ring_started
