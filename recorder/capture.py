"""From MixMonitor's files and the dialplan's events to Recording rows the pipeline takes over.

[centralita-record] (extensions_recorder.conf) starts MixMonitor with the D option: one raw file,
signed 16-bit 8 kHz stereo, interleaved as left = what the recorded channel sends (the caller on
an inbound call), right = what it hears (the agent). Asterisk touches `<file>.done` once it closed
the file. Here:
  - `on_event` applies the dialplan's UserEvent(CentralitaRecording) phases to the row:
    start (row created), scope (queue/flow/campaign entered), end (agent, IVR path, disposition);
  - `finalize` wraps a closed raw file as a stereo WAV (header + the same samples), marks the row
    `ended` and hands it to the pipeline;
  - `reconcile` finds closed files whose events we missed (API down during the call) and builds
    their rows from the durable records (CDR, queue_log), so no recording is left behind.
All steps are idempotent: running one twice changes nothing.
"""

from __future__ import annotations

import logging
import os
import time
import wave
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from centralita.telephony import endpoints
from centralita.timeutil import utcnow
from recorder.models import Recording

log = logging.getLogger("centralita.recorder.capture")
RATE, CHANNELS, WIDTH = 8000, 2, 2  # what MixMonitor's D option writes to a .raw file
DONE = ".done"
MIN_BYTES = RATE * CHANNELS * WIDTH // 10  # under 0.1 s of audio is no recording
ORPHAN_GRACE = 10.0  # seconds a closed file may wait for its end event before we finish it ourselves
STALE_RAW = 120.0  # seconds without a write after which a raw file's writer is gone


def _scope_fields(scope: str, name: str) -> dict:
    return {"queue": {"queue": name}, "flow": {"flow": name}, "campaign": {"campaign": name}}.get(scope, {})


def on_event(session: Session, ev: dict, host_path) -> Recording | None:
    """Apply one UserEvent(CentralitaRecording). `host_path` maps Asterisk's paths to ours.
    Returns the row (not committed)."""
    # A UserEvent carries the channel snapshot; panoramisk lists a header sent twice: take the first.
    ev = {k: (v[0] if isinstance(v, list) and v else v) for k, v in ev.items()}
    uid = ev.get("Uniqueid", "")
    if not uid:
        return None
    phase = ev.get("Phase", "")
    direction = ev.get("Direction", "")
    if phase == "agent":
        return _add_agent_to_call(session, ev.get("Linkedid") or uid, ev.get("Agent", ""))
    row = session.exec(select(Recording).where(Recording.uniqueid == uid)).first()
    if phase == "start":
        if row is not None:
            return row  # a second start for the same channel (event replayed): nothing new
        row = Recording(
            uniqueid=uid,
            linkedid=ev.get("Linkedid") or uid,
            caller=ev.get("Caller", "")[:80],
            direction=direction if direction in ("inbound", "outbound", "internal") else "inbound",
            language=ev.get("RecLanguage") or "es",
            wav_path=str(wav_for(host_path(ev.get("File", "")))) if ev.get("File") else "",
            **_scope_fields(ev.get("Scope", ""), ev.get("Name", "")),
        )
        if ev.get("Flow") and not row.flow:
            row.flow = ev["Flow"][:64]
        _assign_retention(session, row)
        session.add(row)
        return row
    if row is None:
        return None
    if phase == "scope":
        for key, value in _scope_fields(ev.get("Scope", ""), ev.get("Name", "")).items():
            setattr(row, key, value[:64])
        if ev.get("RecLanguage"):
            row.language = ev["RecLanguage"][:8]
    elif phase == "end":
        row.ended_at = row.ended_at or utcnow()
        row.agent = (_agent_name(session, ev.get("Agent", "")) or row.agent)[:64]
        row.agents = _with_agent(row.agents, row.agent, first=True)
        row.queue = (ev.get("Queue") or row.queue)[:64]
        row.ivr_path = (ev.get("Path") or row.ivr_path)[:255]
        row.disposition = (ev.get("Disposition") or row.disposition)[:32]
    row.updated_at = utcnow()
    session.add(row)
    return row


def _with_agent(agents: list, agent: str, first: bool = False) -> list:
    """`agents` naming `agent` once (a new list: the JSON column sees the change)."""
    if not agent or agent in agents:
        return list(agents)
    return [agent, *agents] if first else [*agents, agent]


def _agent_name(session: Session, name: str) -> str:
    """The agent an endpoint name stands for: the browser phone `<agent>-web` is `<agent>`
    (centralita.telephony.endpoints); a name that is no agent's phone stays as it came."""
    from queues.models import AgentEndpoint

    if not name:
        return ""
    candidates = {name, name.removesuffix(endpoints.WEB_SUFFIX)}
    known = set(session.exec(select(AgentEndpoint.username).where(col(AgentEndpoint.username).in_(candidates))))
    return endpoints.agent_of_endpoint(name, known) or name


def _add_agent_to_call(session: Session, linkedid: str, endpoint: str) -> Recording | None:
    """An agent's phone answered a call that reached them by the queue, a transfer or dialling
    ([centralita-record-agent] runs on their channel, which shares the call's linkedid, and names its
    endpoint): the call's recording names that agent too."""
    row = session.exec(select(Recording).where(Recording.linkedid == linkedid).order_by(col(Recording.id))).first()
    agent = _agent_name(session, endpoint)
    if row is None or not agent:
        return row
    row.agents = _with_agent(row.agents, agent[:64])
    row.agent = row.agent or agent[:64]
    row.updated_at = utcnow()
    session.add(row)
    return row


def _assign_retention(session: Session, row: Recording) -> None:
    """The retention class and its end date, by the retention service's policies."""
    from recorder.retention import service as retention

    retention.assign(session, row)


def wav_for(raw: Path) -> Path:
    return raw.with_suffix(".wav")


def raw_to_wav(raw: Path, wav: Path) -> float:
    """Write `wav` (stereo, 8 kHz, 16-bit PCM) from MixMonitor's interleaved raw file; seconds of audio.
    Written beside under a temporary name and renamed, so a crash never leaves half a WAV."""
    size = raw.stat().st_size // (CHANNELS * WIDTH) * (CHANNELS * WIDTH)  # whole frames only
    tmp = wav.with_suffix(".wav.part")
    with raw.open("rb") as src, wave.open(str(tmp), "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(WIDTH)
        out.setframerate(RATE)
        left = size
        while left > 0:
            chunk = src.read(min(1 << 20, left))
            if not chunk:
                break
            out.writeframesraw(chunk)
            left -= len(chunk)
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, wav)
    return size / (CHANNELS * WIDTH * RATE)


def finalize(session: Session, row: Recording, raw: Path) -> bool:
    """The file is closed (`.done` exists): make the WAV, mark the row `ended`. True when the row
    moved to `ended` now (the caller commits, then enqueues). A recording stopped before any audio
    (its scope is not recorded, e.g. a queue entered right after answering) leaves nothing: its row
    is deleted with its files."""
    if row.stage != "recording":
        return False
    wav = wav_for(raw)
    if raw.exists() and raw.stat().st_size < MIN_BYTES:
        session.delete(row)
        wav.unlink(missing_ok=True)
        return False
    if raw.exists():
        row.duration = round(raw_to_wav(raw, wav), 3)
        from recorder import capture_agents

        capture_agents.merge(raw, wav, row.pauses)  # the agent leg's silent stretches, from each agent's own
    elif wav.exists():  # converted before a crash, row not yet updated
        with wave.open(str(wav), "rb") as w:
            row.duration = round(w.getnframes() / w.getframerate(), 3)
    else:
        row.stage, row.last_error = "failed", f"recording file missing: {raw}"
        session.add(row)
        return False
    row.wav_path = str(wav)
    row.ended_at = row.ended_at or utcnow()
    row.stage = "ended"
    row.updated_at = utcnow()
    session.add(row)
    return True


def cleanup(raw: Path) -> None:
    """After the row is committed as `ended`: the raw copy and the marker are no longer needed."""
    from recorder import capture_agents

    capture_agents.cleanup(raw)
    for path in (raw, Path(f"{raw}{DONE}")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def file_clock(host_dir: Path) -> float:
    """Now, as the file system stamps files: a file's age is measured against this, not the process's
    clock (the two differ on a network file system, or under a test's shifted clock)."""
    probe = host_dir / ".clock"
    probe.unlink(missing_ok=True)  # a new file: its stamp is the kernel's (touching an old one is utime)
    probe.write_bytes(b"")
    return probe.stat().st_mtime


def closed_files(host_dir: Path, now: float | None = None) -> list[Path]:
    """Raw recordings Asterisk has finished writing (their `.done` marker exists). A raw file nobody
    has written to for STALE_RAW seconds lost its writer (Asterisk crashed mid-call: no marker will
    come; MixMonitor writes every 20 ms while a call lasts, muted or not): it gets its marker here."""
    if not host_dir.is_dir():
        return []
    now = now or file_clock(host_dir)
    for raw in host_dir.glob("*/*.raw"):
        marker = Path(f"{raw}{DONE}")
        try:
            if not marker.exists() and now - raw.stat().st_mtime > STALE_RAW:
                log.warning("%s: no longer written and never closed (Asterisk stopped?); finishing it", raw)
                marker.touch()
        except FileNotFoundError:
            pass
    return sorted(Path(str(m)[: -len(DONE)]) for m in host_dir.glob(f"*/*.raw{DONE}"))


def prune_days(host_dir: Path, today: str) -> None:
    """Remove empty day directories (YYYYMMDD) older than yesterday, so the directory scanned every
    second holds only days with recordings still in the pipeline. Today's and yesterday's stay:
    MixMonitor may be about to write there (it recreates a missing one anyway)."""
    if not host_dir.is_dir():
        return
    for day in host_dir.iterdir():
        if day.is_dir() and day.name.isdigit() and day.name < today and not any(day.iterdir()):
            try:
                day.rmdir()
            except OSError:  # a file arrived meanwhile
                pass


def from_records(session: Session, uid: str, raw: Path) -> Recording:
    """A row for a recording whose events we never saw, from the CDR and queue_log of its call."""
    started = utcnow() - timedelta(seconds=raw.stat().st_size / (CHANNELS * WIDTH * RATE))
    row = Recording(uniqueid=uid, linkedid=uid, started_at=started)
    fill_from_records(session, row)
    _assign_retention(session, row)
    session.add(row)
    session.flush()
    return row


def fill_from_records(session: Session, row: Recording) -> None:
    """What the missed end event would have said, from the durable records of the call: the CDR
    (start, end, caller, IVR path, disposition) and queue_log (queue, the agent who answered)."""
    from api.calls.models import CdrEntry
    from queues.models import QueueCall

    cdr = session.exec(
        select(CdrEntry).where(CdrEntry.uniqueid == row.uniqueid).order_by(col(CdrEntry.sequence))
    ).first()
    qcall = session.exec(select(QueueCall).where(QueueCall.callid == row.uniqueid)).first()
    if cdr is not None:
        if row.linkedid == row.uniqueid:
            row.linkedid = cdr.linkedid
        row.started_at = row.started_at if row.id else cdr.start
        row.ended_at = row.ended_at or cdr.end
        row.caller = row.caller or cdr.src[:80]
        row.ivr_path = row.ivr_path or cdr.path[:255]
        row.disposition = row.disposition or cdr.disposition[:32]
    if qcall is not None:
        row.queue = row.queue or qcall.queue
        row.agent = row.agent or qcall.agent[:64]
        row.agents = _with_agent(row.agents, row.agent, first=True)


# When this process first saw each `.done` marker (monotonic). The marker's own stamp says when Asterisk
# closed the file, but `touch` stamps it with its own clock, which may run ahead of the file system's
# (a shifted clock, a skewed host): then the time we have seen it is the age that counts.
_marker_seen: dict[str, float] = {}


def marker_age(marker: Path, now: float) -> float:
    stamp_age = now - marker.stat().st_mtime
    seen = _marker_seen.setdefault(str(marker), time.monotonic())
    return max(stamp_age, time.monotonic() - seen)


def reconcile(session_factory, host_dir: Path, enqueue, now: float | None = None) -> list[int]:
    """Finish every closed recording: rows whose end event came (or never will), and files with no
    row at all. Returns the ids handed to the pipeline."""
    # Day directories are named by Asterisk's clock (the process's); file ages by the file system's.
    prune_days(host_dir, time.strftime("%Y%m%d", time.gmtime((now or time.time()) - 86400)))
    if now is None and host_dir.is_dir():
        now = file_clock(host_dir)
    done: list[int] = []
    closed = closed_files(host_dir, now)
    for gone in set(_marker_seen) - {f"{raw}{DONE}" for raw in closed}:
        del _marker_seen[gone]
    for raw in closed:
        uid = raw.stem
        try:
            age = marker_age(Path(f"{raw}{DONE}"), now or time.time())
        except FileNotFoundError:
            continue
        with session_factory() as session:
            row = session.exec(select(Recording).where(Recording.uniqueid == uid)).first()
            if row is not None and row.stage != "recording":
                cleanup(raw)  # finished before; a crash came between commit and cleanup
                continue
            if row is None or row.ended_at is None:
                # The end event may still be on its way: wait a little for the richer metadata.
                if age < ORPHAN_GRACE:
                    continue
                if row is None:
                    row = from_records(session, uid, raw)
                else:  # the API was down at the hangup: the records tell the rest
                    fill_from_records(session, row)
            moved = finalize(session, row, raw)
            session.commit()
            if moved or row not in session:  # ended, or empty and deleted
                cleanup(raw)
            if moved:
                done.append(row.id)
                enqueue(row.id)
    return done
