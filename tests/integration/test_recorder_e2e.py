"""Recording end to end on the real Asterisk: a sipp caller speaks known Korean (espeak-ng) into a
queue call a sipp agent answers (and speaks too); MixMonitor keeps the legs apart; the API turns the
closed file into a recording; the pipeline worker (`centralita recorder worker`) transcribes,
archives (Opus, encrypted) and indexes it. Within 60 s of the hangup the call is found by a spoken
word, its archive copy verifies and has both legs, and playback seeks (206) and is audited.
A second call is paused and resumed from the API (PCI DSS): that stretch is silent on both legs."""

from __future__ import annotations

import base64
import math
import os
import subprocess
import tempfile
import time
from array import array
from pathlib import Path

import httpx
import pytest
import queues_sip as sip
import queues_stack as qs
from stack import CLI, port_base

from recorder import testaudio
from recorder.tests.conftest import VOCABULARY
from recorder.transcribe import word_accuracy

pytestmark = pytest.mark.asterisk
PORT_BASE = port_base(29000)
AGENT1, AGENT2 = PORT_BASE + 101, PORT_BASE + 102
RTP = PORT_BASE + 200
CALLER_SAYS = "예약 번호 이름 네 사람"
AGENT_SAYS = "오늘 병원"
LEAD_S = 3  # the caller waits for the agent's greeting before speaking


def alaw(work: Path, name: str, text: str, lead_s: float = 0, tail_s: float = 20) -> tuple[str, float]:
    """Speech as raw A-law for sipp's rtp_stream, with silence before and after; (path, speech seconds)."""
    speech = testaudio.speak(text)
    pcm = array("h", bytes(2 * int(8000 * lead_s))) + speech + array("h", bytes(2 * int(8000 * tail_s)))
    wav, out = work / f"{name}.wav", work / f"{name}.al"
    testaudio.write_wav(wav, pcm.tobytes(), 1)
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(out)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return str(out), len(speech) / 8000


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    key = base64.b64encode(os.urandom(32)).decode()
    s = qs.start(
        tmp_path_factory.mktemp("recorder"),
        PORT_BASE,
        queues=[["atencion", "--wrapup", "1", "--max-wait", "60", "--announce-frequency", "0"]],
        agents=[("agent1", "1001", AGENT1, "agent", ["atencion"]), ("agent2", "1002", AGENT2, "agent", [])],
        extra_env={
            "CENTRALITA_RECORDER_PHRASES": ",".join(VOCABULARY),
            "CENTRALITA_RECORDER_ARCHIVE_KEYS": f"k1:{key}",
        },
    )
    try:
        s._spawn("worker", [*CLI, "recorder", "worker"])
        yield s
    finally:
        s.stop_all()


@pytest.fixture(scope="module")
def phones(stack):
    work = Path(tempfile.mkdtemp(prefix="centralita-rec-sipp-"))
    agent_audio, _ = alaw(work, "agent", AGENT_SAYS)
    agent = sip.start_agent(work, "agent1", AGENT1, RTP, ring_ms=300, audio=agent_audio)
    token = qs.token(stack, "agent1")
    assert qs.post(stack, "/api/agents/agent1/login", token).status_code == 200
    yield {"work": work, "agent": agent}
    agent.stop()


def db_row(stack, recording_id: int):
    from sqlmodel import Session, create_engine

    from recorder.models import Recording

    engine = create_engine(stack.env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return session.get(Recording, recording_id)
    finally:
        engine.dispose()


def legs_envelope(stack, row) -> tuple[list[float], list[float]]:
    """RMS per 100 ms of each leg of the decrypted archive copy (what playback serves)."""
    from recorder import audio, storage

    with tempfile.NamedTemporaryFile(suffix=".opus") as tmp:
        tmp.write(storage.fetch(row, stack.settings()))  # checks the stored sha256, decrypts
        tmp.flush()
        left, right = audio.split_stereo(audio.decode_pcm(Path(tmp.name), 8000, 2))

    def env(pcm: bytes) -> list[float]:
        s = array("h")
        s.frombytes(pcm)
        return [math.sqrt(sum(x * x for x in s[i : i + 800]) / 800) for i in range(0, len(s) - 799, 800)]

    return env(left), env(right)


def wait_done(stack, boss: str, caller: str, timeout: float) -> dict | None:
    def found():
        items = stack.get("/api/recordings", boss, caller=caller).json()["items"]
        return items and items[0]["stage"] in ("done", "failed") and items[0]

    return stack.wait_for(found, timeout, 0.25)


def test_recorded_call_is_transcribed_archived_and_searchable_within_a_minute(stack, phones):
    boss, agent = stack.token(*qs.ADMIN), qs.token(stack, "agent1")
    audio_file, speech_s = alaw(phones["work"], "caller1", CALLER_SAYS, lead_s=LEAD_S)
    caller = sip.start_caller(
        phones["work"],
        int(stack.env["CENTRALITA_SIP_PORT"]),
        "7770001",
        "5550001",
        int((LEAD_S + speech_s + 1.5) * 1000),
        RTP,
        audio=audio_file,
    )
    assert caller.wait(60) == 0, caller.log.read_text() if caller.log.exists() else "no sipp log"
    hangup = caller.first("HANGUP")

    # Searchable: a spoken word finds the call.
    searchable_at, word = None, None
    deadline = hangup + 60
    while time.time() < deadline and searchable_at is None:
        items = stack.get("/api/recordings", boss, caller="5550001").json()["items"]
        if items:
            detail = stack.get(f"/api/recordings/{items[0]['id']}", boss).json()
            heard = (detail["transcript"].get("text") or {}).get("caller", "").split()
            word = next((w for w in CALLER_SAYS.split() if w in heard), None)
            if word and [r["id"] for r in stack.get("/api/recordings", boss, q=word).json()["items"]] == [detail["id"]]:
                searchable_at = time.time()
        time.sleep(0.25)
    row = wait_done(stack, boss, "5550001", max(1.0, deadline - time.time()))
    print(
        f"\nstage: {row and row['stage']}, hangup -> searchable: "
        f"{searchable_at and round(searchable_at - hangup, 2)} s, -> done: {round(time.time() - hangup, 2)} s"
    )
    assert row and row["stage"] == "done", (row, db_row(stack, row["id"]).last_error if row else "no recording")
    assert searchable_at is not None, f"no spoken word found by search; transcript: {detail['transcript'].get('text')}"

    # The metadata of the call.
    detail = stack.get(f"/api/recordings/{row['id']}", boss).json()
    assert (detail["direction"], detail["queue"], detail["agent"], detail["disposition"], detail["ivr_path"]) == (
        "inbound",
        "atencion",
        "agent1",
        "ANSWERED",
        "no-flow",
    )
    assert detail["duration"] == pytest.approx(LEAD_S + speech_s + 1.5, abs=1.0) and detail["archived"]
    text = detail["transcript"]["text"]
    accuracy = {
        leg: round(word_accuracy(ref, text.get(leg, "")), 3)
        for leg, ref in (("caller", CALLER_SAYS), ("agent", AGENT_SAYS))
    }
    print(f"word accuracy (vocabulary of {len(VOCABULARY)} words): {accuracy}; heard {text}")
    assert accuracy["caller"] >= 0.4
    # Each speaker's words are on their own leg: nothing the caller said is credited to the agent.
    assert not set(text.get("agent", "").split()) & (set(CALLER_SAYS.split()) - set(AGENT_SAYS.split()))

    # The archive copy: stored, verified, encrypted, both legs with speech; the WAV gone only after.
    rec = db_row(stack, row["id"])
    assert rec.archive_verified_at is not None and rec.key_id == "k1" and rec.wav_deleted_at is not None
    assert not Path(rec.wav_path).exists()
    left, right = legs_envelope(stack, rec)
    # Caller (left) silent during the lead, then speaking; the agent (right) greeting first.
    assert max(left[: int(LEAD_S * 10) - 5]) < 100 < max(left[int(LEAD_S * 10) :])
    assert max(right) > 500

    # Playback with seek, by the agent of the call, audited.
    part = stack.get(f"/api/recordings/{row['id']}/audio", agent)
    assert part.status_code == 200 and part.content[:4] == b"OggS"
    r = httpx.get(
        f"{stack.api_url}/api/recordings/{row['id']}/audio",
        timeout=5,
        headers={"Authorization": f"Bearer {agent}", "Range": "bytes=1000-1999"},
    )
    assert r.status_code == 206 and r.content == part.content[1000:2000]
    assert r.headers["content-range"] == f"bytes 1000-1999/{len(part.content)}"
    plays = stack.get("/api/audit", boss, action="recording.play").json()["items"]
    assert {p["detail"]["range"] for p in plays if p["username"] == "agent1"} >= {"1000-1999"}


def test_pause_and_resume_leave_a_silent_stretch(stack, phones):
    boss, agent1, agent2 = stack.token(*qs.ADMIN), qs.token(stack, "agent1"), qs.token(stack, "agent2")
    tone = sip.tone_file(phones["work"])  # the caller's leg never stops: a 440 Hz tone
    caller = sip.start_caller(
        phones["work"], int(stack.env["CENTRALITA_SIP_PORT"]), "7770001", "5550002", 9000, RTP, audio=tone
    )
    live = stack.wait_for(lambda: stack.get("/api/recordings", boss, caller="5550002").json()["items"], 10)
    assert live and live[0]["stage"] == "recording"
    uid = live[0]["uniqueid"]
    time.sleep(2.5)  # the agent has answered by now
    assert qs.post(stack, f"/api/recordings/live/{uid}/pause", agent2).status_code == 403  # not on this call
    r = qs.post(stack, f"/api/recordings/live/{uid}/pause", agent1)
    assert r.status_code == 200, r.text
    assert qs.post(stack, f"/api/recordings/live/{uid}/pause", agent1).status_code == 409  # already paused
    time.sleep(2.5)
    r = qs.post(stack, f"/api/recordings/live/{uid}/resume", agent1)
    assert r.status_code == 200
    pause = r.json()["pause"]
    assert caller.wait(30) == 0
    assert qs.post(stack, f"/api/recordings/live/{uid}/resume", agent1).status_code in (404, 409)
    row = wait_done(stack, boss, "5550002", 60)
    assert row and row["stage"] == "done" and row["pauses"] == [pause]
    left, right = legs_envelope(stack, db_row(stack, row["id"]))
    inside = range(int(pause["start"] * 10) + 3, int(pause["end"] * 10) - 3)
    before = range(int(pause["start"] * 10) - 10, int(pause["start"] * 10) - 2)
    after = range(int(pause["end"] * 10) + 3, int(pause["end"] * 10) + 10)
    print(
        f"\npause {pause}: caller RMS before {max(left[i] for i in before):.0f}, "
        f"inside {max(left[i] for i in inside):.0f}, after {max(left[i] for i in after):.0f}"
    )
    assert max(left[i] for i in inside) < 50 and max(right[i] for i in inside) < 50
    assert min(left[i] for i in before) > 500 and min(left[i] for i in after) > 500
    actions = [a["action"] for a in stack.get("/api/audit", boss, limit=200).json()["items"]]
    assert actions.count("recording.pause") == 1 and actions.count("recording.resume") == 1


def test_a_queue_set_not_to_record_stops_the_recording(stack, phones):
    """The setting reaches Asterisk by a dialplan reload and stops the recording as the call enters
    the queue (only an IVR part before it would be kept)."""
    boss = stack.token(*qs.ADMIN)
    r = httpx.put(
        f"{stack.api_url}/api/recordings/settings/queue/atencion",
        json={"record": False},
        headers={"Authorization": f"Bearer {boss}"},
        timeout=40,
    )
    assert r.status_code == 200 and r.json()["reloaded"] is True
    try:
        caller = sip.start_caller(
            phones["work"],
            int(stack.env["CENTRALITA_SIP_PORT"]),
            "7770001",
            "5550003",
            4000,
            RTP,
            audio=sip.tone_file(phones["work"]),
        )
        assert caller.wait(30) == 0
        # The flow scope (this number has no flow) started it, the queue stopped it before any audio:
        # no recording is left of this call, while the call itself is on record.
        assert stack.wait_for(lambda: stack.get("/api/calls", boss, caller="5550003").json()["items"], 15)
        time.sleep(12)  # longer than capture.ORPHAN_GRACE: the closed empty file has been dealt with
        assert stack.get("/api/recordings", boss, caller="5550003").json()["total"] == 0
    finally:
        httpx.delete(
            f"{stack.api_url}/api/recordings/settings/queue/atencion",
            headers={"Authorization": f"Bearer {boss}"},
            timeout=40,
        )


def test_a_call_recorded_while_the_api_is_down_is_picked_up_when_it_returns(stack, phones):
    """Asterisk records on its own; the closed file, the CDR and queue_log give the API everything."""
    speech, _ = alaw(phones["work"], "caller4", AGENT_SAYS, lead_s=0.5)
    stack.stop_service("api")
    caller = sip.start_caller(
        phones["work"], int(stack.env["CENTRALITA_SIP_PORT"]), "7770001", "5550004", 3000, RTP, audio=speech
    )
    assert caller.wait(30) == 0
    stack.start_service("api")
    assert stack.wait_health("ok")
    boss = stack.token(*qs.ADMIN)
    row = wait_done(stack, boss, "5550004", 60)
    assert row and row["stage"] == "done", row
    assert (row["agent"], row["queue"], row["disposition"], row["ivr_path"]) == (
        "agent1",
        "atencion",
        "ANSWERED",
        "no-flow",
    )
    assert row["duration"] == pytest.approx(3.0, abs=1.0)
