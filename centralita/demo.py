"""Demo data and the demo call: the stack's "hello world"."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from sqlmodel import Session, select

from api.calls.models import CallRecord
from api.users import service as users
from api.users.models import Role
from centralita.db import saved_id
from centralita.settings import Settings
from centralita.telephony.models import Trunk
from centralita.telephony.sipp import SippCall, place_call
from ivr import service as ivr_service
from ivr.models import Did, Flow
from queues.models import AgentEndpoint, Queue, QueueMember

DEMO_DID = "5551000"


def demo_flow(settings: Settings) -> dict:
    """The demo flow: the seeds' self-service cases against the demo integration the API serves."""
    from ivr.demo_integration import integration_key

    api = f"http://127.0.0.1:{settings.api_port}/api/ivr/demo"
    auth = {"Authorization": f"Bearer {integration_key(settings)}"}
    after = {"type": "node", "node": "after"}
    return {
        "start": "main",
        "identify": True,
        "nodes": {
            "main": {
                "label": "Menú principal",  # how the pages name it in a call's path
                "type": "menu",
                "prompt": "demo-welcome",
                "timeout_s": 5,
                "max_tries": 2,
                "options": {
                    "1": {"type": "node", "node": "debt"},
                    "2": {"type": "node", "node": "case"},
                    "9": {"type": "hangup"},
                },
            },
            "debt": {
                "label": "consulta de deuda",
                "type": "lookup",
                "prompt": "demo-ask-taxpayer",
                "min_digits": 6,
                "max_digits": 6,
                "check": "luhn",
                "url": api + "/taxpayers/{digits}",
                "headers": auth,
                "timeout_s": settings.external_timeout,
                "not_found_prompt": "demo-not-found",
                "say": [{"field": "debt", "say": "amount", "prompt": "demo-your-debt"}],
                "next": after,
            },
            "case": {
                "label": "consulta de expediente",
                "type": "lookup",
                "prompt": "demo-ask-case",
                "min_digits": 4,
                "max_digits": 4,
                "url": api + "/cases/{digits}",
                "headers": auth,
                "timeout_s": settings.external_timeout,
                "not_found_prompt": "demo-not-found",
                "say": [{"field": "status", "say": "text", "prompt": "demo-case-status"}],
                "next": after,
            },
            "after": {
                "label": "menú final",
                "type": "menu",
                "prompt": "demo-after",
                "timeout_s": 5,
                "max_tries": 2,
                "options": {"1": {"type": "node", "node": "main"}},
                "timeout": {"type": "hangup"},
            },
        },
    }


DEMO_AGENTS = [("agent1", "1001", "Ana Agente"), ("agent2", "1002", "Bruno Agente")]


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)
    credentials: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, web pw, sip user, sip pw


def seed(session: Session, settings: Settings) -> SeedResult:
    """Idempotent: creates what is missing, never changes or reveals what exists."""
    out = SeedResult()
    if not session.exec(select(Trunk).where(Trunk.name == "demo")).first():
        # Inbound only, identified by address: sipp on this machine plays the carrier.
        session.add(Trunk(name="demo", match="127.0.0.1"))
        out.created.append("trunk demo (calls from 127.0.0.1)")
    queue = session.exec(select(Queue).where(Queue.name == settings.default_queue)).first()
    if queue is None:
        queue = Queue(name=settings.default_queue, label="Atención general")
        session.add(queue)
        out.created.append(f"queue {queue.name}")
    session.flush()
    for username, extension, full_name in DEMO_AGENTS:
        user = users.get_by_username(session, username)
        web_password = ""
        if user is None:
            web_password = users.generate_password()
            user = users.create_user(
                session, username, web_password, role=Role.agent, full_name=full_name, client="demo"
            )
        endpoint = session.exec(select(AgentEndpoint).where(AgentEndpoint.username == username)).first()
        if endpoint is None:
            sip_password = secrets.token_urlsafe(12)
            endpoint = AgentEndpoint(user_id=user.id, username=username, sip_password=sip_password, extension=extension)
            session.add(endpoint)
            session.flush()
            session.add(QueueMember(queue_id=saved_id(queue), endpoint_id=saved_id(endpoint)))
            out.credentials.append((username, web_password or "(unchanged)", username, sip_password))
            out.created.append(f"agent {username} (extension {extension})")
    flow = session.exec(select(Flow).where(Flow.name == "demo")).first()
    if flow is None or flow.published_version is None:  # also upgrades a pre-versioning demo flow
        session.flush()
        ivr_service.save(session, "demo", demo_flow(settings), comment="demo seed")
        ivr_service.publish(session, "demo")
        flow = ivr_service.get_flow(session, "demo")
        out.created.append("flow demo (1 debt lookup, 2 case lookup, 0 agent, 9 hang up)")
    if not session.exec(select(Did).where(Did.number == DEMO_DID)).first():
        session.add(Did(number=DEMO_DID, flow_id=saved_id(flow)))
        out.created.append(f"DID {DEMO_DID} → flow demo")
    session.commit()
    return out


@dataclass
class DemoCallResult:
    sipp: SippCall
    record: CallRecord | None
    legs: dict | None = None  # per leg of the call's recording: RMS level and whether it carries audio


LEG_AUDIO_RMS = 100.0  # a leg above this (of 32767) carries audio: speech, a tone, prompts or music


def recording_legs(session_factory, settings: Settings, linkedid: str, wait: float = 15.0) -> dict | None:
    """Each leg's level in the call's recording: the caller's (what sipp sent) and the other one (the
    prompts, hold music or agent the caller heard). Read from the WAV, or from the archive copy when the
    pipeline already stored it."""
    import math
    import tempfile
    from array import array
    from pathlib import Path

    from recorder import audio, storage
    from recorder.models import Recording

    deadline = time.monotonic() + wait
    while True:
        with session_factory() as session:
            row = session.exec(select(Recording).where(Recording.linkedid == linkedid)).first()
        if row is not None and row.stage not in ("recording", "failed", "purged"):
            try:
                if row.wav_path and Path(row.wav_path).is_file():
                    pcm = audio.decode_pcm(Path(row.wav_path), 8000, 2)
                elif row.archive_verified_at is not None:
                    with tempfile.NamedTemporaryFile(suffix=".opus") as tmp:
                        tmp.write(storage.fetch(row, settings))
                        tmp.flush()
                        pcm = audio.decode_pcm(Path(tmp.name), 8000, 2)
                else:
                    pcm = b""
            except (OSError, audio.AudioError):
                pcm = b""  # moved between the check and the read: look again
            if pcm:
                out = {}
                for leg, data in zip(audio.LEGS, audio.split_stereo(pcm)):
                    samples = array("h")
                    samples.frombytes(data)
                    rms = math.sqrt(sum(x * x for x in samples) / max(len(samples), 1))
                    out[leg] = {"rms": round(rms, 1), "audio": rms > LEG_AUDIO_RMS}
                return out
        if time.monotonic() > deadline:
            return None
        time.sleep(0.3)


def call(
    session_factory,
    settings: Settings,
    digits: str = "1",
    hold_seconds: float = 4.0,
    wait_record: float = 20.0,
    number: str = DEMO_DID,
) -> DemoCallResult:
    """Place a real SIP call (the caller sends a tone while it stays) and wait for its call record
    (found by the SIP Call-ID) and its recording's legs."""
    result = place_call(settings, number, digits=digits, hold_seconds=hold_seconds, tone=True)
    record = None
    if result.call_id:
        deadline = time.monotonic() + wait_record
        while time.monotonic() < deadline:
            with session_factory() as session:
                record = session.exec(select(CallRecord).where(CallRecord.sip_call_id == result.call_id)).first()
            if record is not None:
                break
            time.sleep(0.5)
    legs = recording_legs(session_factory, settings, record.linkedid) if record is not None else None
    return DemoCallResult(sipp=result, record=record, legs=legs)
