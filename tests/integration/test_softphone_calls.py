"""Calls as real phones make them, on the real Asterisk: baresip is each agent's softphone (driven through
its ctrl_tcp module: answer, hold, resume, transfer, DTMF), sipp is the caller. Every party sends its own
tone (caller 500 Hz, agent1 1100 Hz, agent2 1700 Hz), so each second of the recording says who is on
which leg (Goertzel). After each scenario: both legs carry whoever was speaking at every second, the
queue history closes the call with each agent's talk time (the answering agent's from queue_log, the
one the call was transferred to from the CDRs) as do the report's agent legs, and the recording names
every agent who spoke. One stack and one pair of phones for the whole module."""

from __future__ import annotations

import subprocess
import tempfile
import time
import wave
from pathlib import Path

import pytest
import queues_sip as sip
import queues_stack as qs
from softphone import Baresip, tones_per_second
from stack import port_base

from recorder import audio

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(23000)
# baresip also listens on its SIP port + 1 (TLS): the agents' ports are two apart.
AGENT1, AGENT2 = PORT_BASE + 101, PORT_BASE + 103
CTRL1, CTRL2 = PORT_BASE + 111, PORT_BASE + 113
RTP = PORT_BASE + 200  # sipp callers: +240.. (queues_sip spreads them); baresip: +420..+459
TONES = {"caller": 500.0, "agent1": 1100.0, "agent2": 1700.0}
HEARD, ABSENT = 2000, 600  # Goertzel amplitude of a party's tone (sent at ~9800) heard / not there
MARGIN = 1.5  # seconds around each change (answer, hold, transfer) where a second may hold either side


def tone_wav(path: Path, freq: float, seconds: int = 120) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(path)]
        + ["synth", str(seconds), "sine", str(freq), "vol", "0.3"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = qs.start(
        tmp_path_factory.mktemp("softphone"),
        PORT_BASE,
        queues=[["atencion", "--wrapup", "1", "--max-wait", "60", "--announce-frequency", "0"]],
        agents=[("agent1", "1001", AGENT1, "agent", ["atencion"]), ("agent2", "1002", AGENT2, "agent", [])],
    )
    try:
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def phones(stack):
    work = Path(tempfile.mkdtemp(prefix="centralita-softphone-"))
    sip_port = int(stack.env["CENTRALITA_SIP_PORT"])
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(work / "caller.al")]
        + ["synth", "120", "sine", str(TONES["caller"]), "vol", "0.3"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    a1 = Baresip(
        work,
        "agent1",
        stack.sip_passwords["agent1"],
        AGENT1,
        sip_port,
        CTRL1,
        (PORT_BASE + 420, PORT_BASE + 439),
        tone_wav(work / "agent1.wav", TONES["agent1"]),
    )
    try:
        a2 = Baresip(
            work,
            "agent2",
            stack.sip_passwords["agent2"],
            AGENT2,
            sip_port,
            CTRL2,
            (PORT_BASE + 440, PORT_BASE + 459),
            tone_wav(work / "agent2.wav", TONES["agent2"]),
        )
    except BaseException:
        a1.stop()
        raise
    assert qs.post(stack, "/api/agents/agent1/login", qs.token(stack, "agent1")).status_code == 200
    found = {"work": work, "agent1": a1, "agent2": a2, "sip_port": sip_port}
    yield found
    for phone in {a1, a2, found["agent1"], found["agent2"]}:
        phone.stop()


def rms_per_second(pcm: bytes) -> list[float]:
    import math
    from array import array

    s = array("h")
    s.frombytes(pcm)
    return [math.sqrt(sum(x * x for x in s[i : i + 8000]) / 8000) for i in range(0, len(s) - 7999, 8000)]


class Call:
    """One queue call: the sipp caller, agent1 answering, and the wall-clock times of what happened."""

    def __init__(self, stack, phones, caller: str, hold_ms: int, expect_bye: bool = False):
        self.stack, self.phones, self.caller = stack, phones, caller
        self.marks: dict[str, float] = {}
        a1 = phones["agent1"]
        seen = len(a1.events)
        self.sipp = sip.start_caller(
            phones["work"],
            phones["sip_port"],
            "7770001",
            caller,
            hold_ms,
            RTP,
            audio=str(phones["work"] / "caller.al"),
            expect_bye=expect_bye,
        )
        a1.wait_event("CALL_INCOMING", 30, since=seen)
        assert a1.command("accept")["ok"]
        self.mark("answered")

    def mark(self, name: str) -> None:
        self.marks[name] = time.time()

    def finish(self) -> dict:
        assert self.sipp.wait(90) == 0, self.sipp.log.read_text() if self.sipp.log.exists() else "no sipp log"
        self.mark("ended")
        boss = self.stack.token(*qs.ADMIN)
        row = self.stack.wait_for(
            lambda: (
                (items := self.stack.get("/api/recordings", boss, caller=self.caller).json()["items"])
                and items[0]["stage"] != "recording"
                and items[0]
            ),
            30,
        )
        assert row and row["stage"] in ("ended", "done"), row
        self.recording = self.stack.get(f"/api/recordings/{row['id']}", boss).json()
        return self.recording

    def seconds(self) -> tuple[list[dict], list[dict], float]:
        """Per second of the recording: the tones on the caller leg, on the agent leg; and the wall-clock
        time of the recording's first sample (its end is the caller's hangup, which we saw)."""
        from sqlmodel import Session, create_engine

        from recorder.models import Recording

        engine = create_engine(self.stack.env["DATABASE_URL"])
        with Session(engine) as session:
            row = session.get(Recording, self.recording["id"])
            assert row is not None
            wav_path = row.wav_path
        engine.dispose()
        with wave.open(wav_path) as w:
            left, right = audio.split_stereo(w.readframes(w.getnframes()))
            duration = w.getnframes() / w.getframerate()
        self.agent_rms = rms_per_second(right)
        return tones_per_second(left, TONES), tones_per_second(right, TONES), self.marks["ended"] - duration

    def history(self) -> dict:
        boss = self.stack.token(*qs.ADMIN)

        def closed():
            calls = [c for c in self.stack.get("/api/queues/history/calls", boss).json() if c["caller"] == self.caller]
            return calls and calls[0]["ended_at"] and calls[0]

        found = self.stack.wait_for(closed, 20)
        assert found, [
            c for c in self.stack.get("/api/queues/history/calls", boss).json() if c["caller"] == self.caller
        ]
        return found

    def parts(self, count: int) -> list[dict]:
        """The history's agent parts once `count` are there (a transferred-to agent's comes with the CDR,
        written when the call ends)."""
        boss = self.stack.token(*qs.ADMIN)

        def ready():
            calls = [c for c in self.stack.get("/api/queues/history/calls", boss).json() if c["caller"] == self.caller]
            return calls and len(calls[0]["agents"]) >= count and calls[0]

        found = self.stack.wait_for(ready, 20)
        assert found, [
            c for c in self.stack.get("/api/queues/history/calls", boss).json() if c["caller"] == self.caller
        ]
        self.callid = found["callid"]
        return found["agents"]

    def report_legs(self, count: int) -> list[tuple[str, float, str]]:
        """(agent, talk, ended_by) of report_agent_legs for the call, once the KPI engine stored `count`."""
        from sqlmodel import Session, create_engine, select

        from reports.models import ReportAgentLeg

        engine = create_engine(self.stack.env["DATABASE_URL"])

        def stored():
            with Session(engine) as session:
                rows = session.exec(
                    select(ReportAgentLeg).where(ReportAgentLeg.callid == self.callid).order_by(ReportAgentLeg.seq)
                ).all()
                return len(rows) >= count and [(r.agent, r.talk_s, r.ended_by) for r in rows]

        try:
            found = self.stack.wait_for(stored, 20)
        finally:
            engine.dispose()
        assert found, f"report_agent_legs of {self.callid} never reached {count}"
        return found


def check_legs(call: Call, agent_spans: list[tuple[str, str, str]], silent_agent: tuple[tuple[str, str], ...] = ()):
    """The caller leg has the caller at every second from the answer to the end; the agent leg has each
    agent of `agent_spans` (agent, from mark, to mark) at every second of their span, and none of the
    agents' tones within `silent_agent` spans (the caller on hold hears hold music, not the agent)."""
    left, right, t0 = call.seconds()
    m = call.marks
    report = []

    def inside(i: int, start: str, end: str) -> bool:
        at = t0 + i + 0.5
        return m[start] + MARGIN <= at <= m[end] - MARGIN

    for i, (lt, rt) in enumerate(zip(left, right)):
        if inside(i, "answered", "ended") and lt["caller"] < HEARD:
            report.append(f"second {i}: caller leg lacks the caller ({lt})")
        for agent, start, end in agent_spans:
            if inside(i, start, end) and rt[agent] < HEARD:
                report.append(f"second {i}: agent leg lacks {agent} ({rt})")
        for start, end in silent_agent:
            if inside(i, start, end) and max(rt["agent1"], rt["agent2"]) > ABSENT:
                report.append(f"second {i}: the held caller's leg carries an agent ({rt})")
            if inside(i, start, end) and call.agent_rms[i] < 100:
                report.append(f"second {i}: no hold music on the held caller's leg (RMS {call.agent_rms[i]:.0f})")
        if inside(i, "answered", "ended") and max(lt["agent1"], lt["agent2"]) > ABSENT:
            report.append(f"second {i}: an agent leaked into the caller leg ({lt})")
    print(f"\n{call.caller}: marks { ({k: round(v - t0, 1) for k, v in m.items()}) }")
    for i, (lt, rt) in enumerate(zip(left, right)):
        print(f"  {i:3d}s caller leg {lt}  agent leg {rt} RMS {call.agent_rms[i]:.0f}")
    assert not report, "\n".join(report)


def check_each_agents_talk(call: Call, handed_on: str, transfer: str) -> None:
    """The queue history and the report's agent legs give agent1 their talk until the mark `handed_on`
    and agent2 theirs from their answer to the caller's hangup, each within 2 s of the marks."""
    m = call.marks
    own = {"agent1": m[handed_on] - m["answered"], "agent2": m["ended"] - m["agent2"]}
    parts = call.parts(2)
    assert [(p["agent"], p["via"]) for p in parts] == [("agent1", "queue"), ("agent2", "transfer")], parts
    for part in parts:
        assert part["talk_seconds"] == pytest.approx(own[part["agent"]], abs=2), (own, parts)
    legs = call.report_legs(2)
    assert [(agent, ended_by) for agent, _, ended_by in legs] == [("agent1", transfer), ("agent2", "hangup")], legs
    for agent, talk, _ in legs:
        assert talk == pytest.approx(own[agent], abs=2), (own, legs)
    print(f"{call.caller}: expected {own}, history {parts}, report legs {legs}")


def test_answer_hold_resume_and_the_agent_hangs_up(stack, phones):
    a1 = phones["agent1"]
    call = Call(stack, phones, "5551001", 60000, expect_bye=True)
    time.sleep(4)
    assert a1.command("hold")["ok"]
    call.mark("held")
    time.sleep(3)
    assert a1.command("resume")["ok"]
    call.mark("resumed")
    time.sleep(4)
    assert a1.command("hangup")["ok"]
    call.mark("hung_up")
    rec = call.finish()
    check_legs(
        call, [("agent1", "answered", "held"), ("agent1", "resumed", "hung_up")], silent_agent=(("held", "resumed"),)
    )
    assert rec["agent"] == "agent1" and rec["agents"] == ["agent1"]
    hist = call.history()
    assert hist["agent"] == "agent1" and hist["talk_seconds"] == pytest.approx(
        call.marks["hung_up"] - call.marks["answered"], abs=2
    )


def test_blind_transfer_to_the_second_agent(stack, phones):
    a1, a2 = phones["agent1"], phones["agent2"]
    call = Call(stack, phones, "5551002", 16000)
    time.sleep(4)
    seen = len(a2.events)
    assert a1.command("transfer", f"sip:1002@127.0.0.1:{phones['sip_port']}")["ok"]
    call.mark("transferred")
    a2.wait_event("CALL_INCOMING", 20, since=seen)
    assert a2.command("accept")["ok"]
    call.mark("agent2")
    rec = call.finish()
    check_legs(call, [("agent1", "answered", "transferred"), ("agent2", "agent2", "ended")])
    assert rec["agent"] == "agent1" and rec["agents"] == ["agent1", "agent2"]
    hist = call.history()
    # agent1's part ends at the transfer, with their own talk time (queue_log BLINDTRANSFER)
    assert hist["agent"] == "agent1"
    assert hist["talk_seconds"] == pytest.approx(call.marks["transferred"] - call.marks["answered"], abs=2)
    # agent2's part, from the CDR of the caller's Dial to 1002: from their answer to the caller's hangup
    check_each_agents_talk(call, "transferred", "blindtransfer")


def test_attended_transfer_to_the_second_agent(stack, phones):
    """agent1 presses *2 and dials 1002 (Asterisk's attended transfer, features.conf), talks to agent2
    while the caller holds, then hangs up: the caller is agent2's."""
    a1, a2 = phones["agent1"], phones["agent2"]
    call = Call(stack, phones, "5551003", 22000)
    time.sleep(4)
    seen = len(a2.events)
    assert a1.command("sndcode", "*2")["ok"]
    call.mark("consulting")
    time.sleep(1.5)  # Asterisk takes the feature after its digit timeout, holds the caller, prompts agent1
    call.mark("held")
    assert a1.command("sndcode", "1002")["ok"]
    a2.wait_event("CALL_INCOMING", 20, since=seen)
    assert a2.command("accept")["ok"]
    call.mark("agent2")
    time.sleep(3)
    assert a1.command("hangup")["ok"]
    call.mark("completed")
    rec = call.finish()
    # agent1 until *2, hold music while agent1 consults agent2, agent2 from the completed transfer on.
    check_legs(
        call,
        [("agent1", "answered", "consulting"), ("agent2", "completed", "ended")],
        silent_agent=(("held", "completed"),),
    )
    assert rec["agent"] == "agent1" and rec["agents"] == ["agent1", "agent2"]
    hist = call.history()
    assert hist["agent"] == "agent1" and hist["talk_seconds"] is not None
    assert 3 <= hist["talk_seconds"] <= call.marks["completed"] - call.marks["answered"] + 2
    # agent1 until the transfer completed (queue_log's calltime, the consultation included); agent2 from
    # answering the consultation to the caller's hangup (the CDRs of their channel)
    check_each_agents_talk(call, "completed", "attendedtransfer")


def test_wideband_codecs_are_loaded_and_offered_to_softphones(stack):
    """G.722 and opus reach the softphones (a phone offering only those gets its call), G.711 the trunk."""
    from centralita.telephony.pbx import Asterisk

    pbx = Asterisk(stack.settings())
    modules = pbx.cli("module show like codec_")
    assert "codec_g722.so" in modules and "codec_opus_open_source.so" in modules, modules
    endpoint = pbx.cli("pjsip show endpoint agent1")
    trunk = pbx.cli("pjsip show endpoint demo")
    agent_codecs = next(line for line in endpoint.splitlines() if line.strip().startswith("allow"))
    trunk_codecs = next(line for line in trunk.splitlines() if line.strip().startswith("allow"))
    assert "g722" in agent_codecs and "opus" in agent_codecs and "alaw" in agent_codecs, agent_codecs
    assert "g722" not in trunk_codecs and "alaw" in trunk_codecs, trunk_codecs


def test_a_softphone_offering_only_g722_gets_its_call(stack, phones):
    """No 488 for a wideband-only phone: Asterisk answers its G.722 and transcodes to the caller's G.711.
    (agent2's phone is replaced by one that offers G.722 alone; last in the module.)"""
    a1 = phones["agent1"]
    phones["agent2"].stop()
    wideband = Baresip(
        phones["work"] / "g722",
        "agent2",
        stack.sip_passwords["agent2"],
        AGENT2,
        phones["sip_port"],
        CTRL2,
        (PORT_BASE + 440, PORT_BASE + 459),
        phones["work"] / "agent2.wav",
        codecs="G722",
    )
    phones["agent2"] = wideband  # stopped by the fixture
    call = Call(stack, phones, "5551004", 12000)
    time.sleep(2)
    assert a1.command("transfer", f"sip:1002@127.0.0.1:{phones['sip_port']}")["ok"]
    wideband.wait_event("CALL_INCOMING", 20)
    assert wideband.command("accept")["ok"]
    established = wideband.wait_event("CALL_ESTABLISHED", 20)
    assert established and not any(e.get("type") == "CALL_CLOSED" for e in wideband.events)
    from centralita.telephony.pbx import Asterisk

    channels = Asterisk(stack.settings()).cli("core show channels concise")
    agent2 = next(line for line in channels.splitlines() if line.startswith("PJSIP/agent2-"))
    stats = Asterisk(stack.settings()).cli(f"core show channel {agent2.split('!')[0]}")
    assert "g722" in stats.lower(), stats
    call.finish()
