"""Callback on the real Asterisk: the caller presses the key and hangs up; when the agent frees up
the callback is placed ahead of a caller who came later, and only once."""

from __future__ import annotations

import time

import pytest
import queues_sip as sip
import queues_stack as qs
from stack import port_base

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(28500)
AGENT, PHONE = PORT_BASE + 101, PORT_BASE + 102
RTP = PORT_BASE + 200


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = qs.start(
        tmp_path_factory.mktemp("callback"),
        PORT_BASE,
        queues=[["tramites", "--wrapup", "1", "--max-wait", "120", "--announce-frequency", "0", "--callback-key", "5"]],
        agents=[("agentc", "1201", AGENT, "agent", ["tramites"])],
        # sipp on PHONE plays the caller's own phone when we call them back.
        extra_env={
            "CENTRALITA_DEFAULT_QUEUE": "tramites",
            "CENTRALITA_QUEUE_CALLBACK_DIAL": f"PJSIP/demo/sip:${{CB_NUMBER}}@127.0.0.1:{PHONE}",
        },
    )
    try:
        yield s
    finally:
        s.stop_all()


def test_callback_keeps_the_place_in_line_and_is_placed_once(stack):
    boss = stack.token(*qs.ADMIN)
    work = sip.workdir()
    tone = sip.tone_file(work)
    agent = sip.start_agent(work, "agentc", AGENT, RTP, ring_ms=300, audio=tone)
    phone = sip.start_agent(work, "cb", PHONE, RTP, ring_ms=300, audio=tone, hangup_ms=2000)
    sip_port = int(stack.env["CENTRALITA_SIP_PORT"])
    try:
        assert qs.post(stack, "/api/agents/agentc/login", boss).status_code == 200
        a = sip.start_caller(work, sip_port, "7770002", "5551001", 8000, RTP, audio=tone)
        assert stack.wait_for(lambda: agent.count("CONNECTED") == 1, 10)
        # No audio stream beside the DTMF capture: two RTP sources on one port confuse the receiver.
        b = sip.start_caller(
            work, sip_port, "7770002", "5551002", 20000, RTP, key="5", key_after_ms=1500, expect_bye=True
        )
        time.sleep(1.0)
        c = sip.start_caller(work, sip_port, "7770002", "5551003", 18000, RTP, audio=tone)
        assert b.wait(30) == 0, (work / "caller-5551002.out").read_text()[-2000:]
        assert a.wait(30) == 0
        # The agent's next call is the callback (the caller's phone rings), not caller C who came later.
        assert stack.wait_for(lambda: phone.count("ENDED") == 1, 20), agent.events()
        assert stack.wait_for(lambda: agent.count("CONNECTED") == 3, 20), agent.events()
        rung = [t for label, t, _ in agent.events() if label == "INVITED"]
        assert phone.first("INVITED") < rung[2], "caller C was served before the callback"
        time.sleep(3)
        assert phone.count("INVITED") == 1, "the callback was placed twice"
        rows = {r["caller"]: r for r in stack.get("/api/queues/history/calls", boss).json()}
        assert rows["5551002"]["outcome"] == "callback"
        callbacks = stack.get("/api/queues/history/callbacks", boss).json()
        assert [(cb["number"], cb["status"]) for cb in callbacks] == [("5551002", "dialled")]
        assert c.wait(60) == 0  # C was served after the callback, and hung up normally
    finally:
        agent.stop()
        phone.stop()


def test_overflow_after_max_wait_with_live_changes_and_no_restart(stack):
    """Skills and queue settings change through the API while Asterisk runs: AMI for the member,
    a dialplan/queues reload for the settings; Asterisk is never restarted."""
    from centralita.telephony.pbx import Asterisk

    boss = stack.token(*qs.ADMIN)
    pbx = Asterisk(stack.settings())
    assert stack.wait_for(lambda: not pbx.cli("core show channels concise").strip(), 45), "calls still up"
    pid = pbx.pid()
    r = qs.post(stack, "/api/queues", boss, {"name": "segundo", "wrapup_seconds": 1, "announce_frequency": 0})
    assert r.status_code == 201 and r.json()["reloaded"] is True
    assert qs.post(stack, "/api/agents/agentc/login", boss).status_code == 200
    import httpx

    headers = {"Authorization": f"Bearer {boss}"}
    assert (
        httpx.put(
            f"{stack.api_url}/api/agents/agentc/skills/segundo", json={"penalty": 0}, headers=headers, timeout=10
        ).status_code
        == 200
    )
    assert (
        httpx.delete(f"{stack.api_url}/api/agents/agentc/skills/tramites", headers=headers, timeout=10).status_code
        == 200
    )
    show = Asterisk(stack.settings()).cli("queue show")
    assert "agentc" in show.split("segundo has")[1] and "agentc" not in show.split("tramites has")[1].split(" has ")[0]
    r = httpx.patch(
        f"{stack.api_url}/api/queues/tramites",
        headers=headers,
        timeout=30,
        json={"max_wait_seconds": 10, "overflow": {"type": "queue", "queue": "segundo"}},
    )
    assert r.status_code == 200 and r.json()["reloaded"] is True
    work = sip.workdir()
    agent = sip.start_agent(work, "agentc", AGENT, RTP, ring_ms=300)
    try:
        call = sip.start_caller(work, int(stack.env["CENTRALITA_SIP_PORT"]), "7770002", "5551010", 18000, RTP)
        assert call.wait(40) == 0
        connected = agent.first("CONNECTED")
        assert connected and 9.5 < connected - call.first("ANSWERED") < 13, agent.events()
    finally:
        agent.stop()

    def outcomes():
        rows = [r for r in stack.get("/api/queues/history/calls", boss).json() if r["caller"] == "5551010"]
        return len(rows) == 2 and rows[0]["outcome"] in ("answered",) and {r["queue"]: r for r in rows}

    rows = stack.wait_for(outcomes, 15, 0.5)
    assert rows, stack.get("/api/queues/history/calls", boss).json()
    assert rows["tramites"]["outcome"] == "overflow" and 9 <= rows["tramites"]["wait_seconds"] <= 11
    assert rows["segundo"]["outcome"] == "answered" and rows["segundo"]["agent"] == "agentc"
    assert Asterisk(stack.settings()).pid() == pid  # reloads only, never a restart
