"""From the dialplan's events and MixMonitor's raw files to `ended` recordings (no Asterisk here: the
events and files are what Asterisk 22 sends and writes, as seen in tests/integration/test_recorder_e2e.py)."""

from __future__ import annotations

import wave
from array import array
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from recorder import capture, capture_settings


def _raw(path, seconds=1.0, left=1000, right=-2000):
    n = int(seconds * 8000)
    frames = array("h", [left, right] * n)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frames.tobytes() + b"\x01")  # a torn last frame, as a crash mid-write could leave
    return path


def _event(phase, uid="1795.7", **kw):
    base = {
        "Event": "UserEvent",
        "UserEvent": "CentralitaRecording",
        "Phase": phase,
        "Uniqueid": [uid, uid],
        "Linkedid": [uid, uid],
        "Channel": ["PJSIP/demo-1", "PJSIP/demo-1"],
    }
    return {**base, **kw}


def test_raw_interleaved_becomes_stereo_wav(tmp_path):
    raw = _raw(tmp_path / "d" / "1.raw", 1.5)
    seconds = capture.raw_to_wav(raw, tmp_path / "1.wav")
    assert seconds == 1.5
    with wave.open(str(tmp_path / "1.wav")) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth(), w.getnframes()) == (2, 8000, 2, 12000)
        samples = array("h")
        samples.frombytes(w.readframes(2))
    assert list(samples) == [1000, -2000, 1000, -2000]  # left caller, right agent, untouched


def test_events_build_the_row_then_the_closed_file_ends_it(stack_env, tmp_path):
    from centralita import db
    from recorder.models import Recording

    host = lambda p: tmp_path / p.lstrip("/")
    queued = []
    with Session(db.get_engine()) as s:
        capture.on_event(
            s,
            _event(
                "start",
                Direction="inbound",
                Scope="flow",
                Name="demo",
                RecLanguage="es",
                File="/spool/recordings/20261122/1795.7.raw",
                Caller="5551234",
                Flow="demo",
            ),
            host,
        )
        s.commit()
        capture.on_event(s, _event("start", Direction="inbound", Scope="flow", Name="demo"), host)  # replayed
        capture.on_event(s, _event("scope", Scope="queue", Name="atencion", RecLanguage="en"), host)
        s.commit()
        row = s.exec(select(Recording)).one()
        assert (row.caller, row.flow, row.queue, row.language, row.stage) == (
            "5551234",
            "demo",
            "atencion",
            "en",
            "recording",
        )
        assert row.retention_class == "default" and row.retain_until > row.started_at + timedelta(days=15 * 365)
    raw = _raw(tmp_path / "spool/recordings/20261122/1795.7.raw", 2.0)
    # The file is not closed yet (no marker): nothing happens.
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "spool/recordings", queued.append) == []
    (tmp_path / "spool/recordings/20261122/1795.7.raw.done").touch()
    # Closed, but the end event has not come: wait for it a little (richer metadata).
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "spool/recordings", queued.append) == []
    with Session(db.get_engine()) as s:
        capture.on_event(
            s,
            _event(
                "end", Agent="ana", Queue="atencion", Path="flow:demo/v1>main:0>queue:atencion", Disposition="ANSWERED"
            ),
            host,
        )
        s.commit()
    done = capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "spool/recordings", queued.append)
    assert done == queued == [1]
    with Session(db.get_engine()) as s:
        row = s.get(Recording, 1)
        assert (row.stage, row.agent, row.disposition, row.duration) == ("ended", "ana", "ANSWERED", 2.0)
        assert row.ivr_path.startswith("flow:demo") and row.wav_path == str(raw.with_suffix(".wav"))
    assert not raw.exists() and not raw.with_suffix(".raw.done").exists() and raw.with_suffix(".wav").exists()
    # Idempotent: nothing left to do, nothing queued twice.
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "spool/recordings", queued.append) == []


def test_a_recording_whose_events_were_missed_is_built_from_the_call_records(stack_env, tmp_path):
    """The API was down for the whole call: the closed file, the CDR and queue_log tell the rest."""
    from api.calls.models import CdrEntry
    from centralita import db
    from centralita.timeutil import utcnow
    from queues.models import QueueCall
    from recorder.models import Recording

    raw = _raw(tmp_path / "rec/20261122/1795.9.raw", 1.0)
    (tmp_path / "rec/20261122/1795.9.raw.done").touch()
    now = utcnow()
    with Session(db.get_engine()) as s:
        s.add(
            CdrEntry(
                uniqueid="1795.9",
                sequence=1,
                linkedid="1795.9",
                start=now - timedelta(seconds=5),
                end=now,
                duration=5,
                billsec=4,
                src="5550009",
                disposition="ANSWERED",
                path="no-flow",
            )
        )
        s.add(
            QueueCall(
                callid="1795.9", queue="atencion", caller="5550009", entered_at=now, agent="luis", outcome="answered"
            )
        )
        s.commit()
    queued = []
    import time

    assert capture.reconcile(
        lambda: Session(db.get_engine()), tmp_path / "rec", queued.append, now=time.time() + capture.ORPHAN_GRACE + 1
    ) == [1]
    with Session(db.get_engine()) as s:
        row = s.get(Recording, 1)
        assert (row.uniqueid, row.caller, row.agent, row.queue, row.disposition, row.stage, row.duration) == (
            "1795.9",
            "5550009",
            "luis",
            "atencion",
            "ANSWERED",
            "ended",
            1.0,
        )
    assert queued == [1] and not raw.exists()


def test_settings_keys_match_the_dialplan_and_render(stack_env):
    from centralita import db
    from centralita.settings import get_settings
    from centralita.telephony.pbx import instance_paths
    from centralita.telephony.render import render_files

    assert capture_settings.dialplan_key("campaign", "Cobros 2026-Ñ") == "campaign_Cobros2026"
    with Session(db.get_engine()) as s:
        capture_settings.put(s, "queue", "salud", record=False)
        capture_settings.put(s, "campaign", "Cobros 2026", language="en")
        with pytest.raises(ValueError, match="name"):
            capture_settings.put(s, "queue", "¿?", record=False)
        s.commit()
        assert capture_settings.effective(s, "queue", "salud", "es") == (False, "es")
        assert capture_settings.effective(s, "flow", "demo", "es") == (True, "es")
        conf = render_files(get_settings(), instance_paths(get_settings()), s)["extensions_recorder.conf"].decode()
    assert "exten => queue_salud,1,Set(CENTRALITA_REC_ON=0)" in conf
    assert "exten => campaign_Cobros2026,1,Set(CENTRALITA_REC_ON=1)" in conf
    assert "Set(CENTRALITA_REC_LANGUAGE=en)" in conf
    assert "/spool/monitor/${STRFTIME" in conf and "MixMonitor(${CENTRALITA_REC_FILE},D" in conf


def test_a_recording_stopped_before_any_audio_leaves_nothing(stack_env, tmp_path):
    from centralita import db
    from recorder.models import Recording

    host = lambda p: tmp_path / p.lstrip("/")
    with Session(db.get_engine()) as s:
        capture.on_event(s, _event("start", uid="1795.8", Scope="flow", Name="", File="/rec/d/1795.8.raw"), host)
        capture.on_event(s, _event("end", uid="1795.8", Agent=""), host)
        s.commit()
    raw = tmp_path / "rec/d/1795.8.raw"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(b"")
    (tmp_path / "rec/d/1795.8.raw.done").touch()
    queued = []
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "rec", queued.append) == [] == queued
    with Session(db.get_engine()) as s:
        assert s.exec(select(Recording)).all() == []
    assert list((tmp_path / "rec/d").iterdir()) == []


def test_an_end_event_missed_is_made_up_for_by_the_call_records(stack_env, tmp_path):
    """The API restarted during the call: it saw the start, not the hangup."""
    import time

    from api.calls.models import CdrEntry
    from centralita import db
    from centralita.timeutil import utcnow
    from queues.models import QueueCall
    from recorder.models import Recording

    host = lambda p: tmp_path / p.lstrip("/")
    with Session(db.get_engine()) as s:
        capture.on_event(
            s, _event("start", uid="1795.5", Scope="flow", Name="", Caller="5550005", File="/rec/d/1795.5.raw"), host
        )
        now = utcnow()
        s.add(
            CdrEntry(
                uniqueid="1795.5",
                sequence=1,
                linkedid="1795.5",
                start=now - timedelta(seconds=3),
                end=now,
                duration=3,
                billsec=3,
                src="5550005",
                disposition="ANSWERED",
                path="no-flow",
            )
        )
        s.add(
            QueueCall(
                callid="1795.5", queue="atencion", caller="5550005", entered_at=now, agent="ana", outcome="answered"
            )
        )
        s.commit()
    _raw(tmp_path / "rec/d/1795.5.raw", 1.0)
    (tmp_path / "rec/d/1795.5.raw.done").touch()
    assert capture.reconcile(
        lambda: Session(db.get_engine()), tmp_path / "rec", lambda i: None, now=time.time() + capture.ORPHAN_GRACE + 1
    ) == [1]
    with Session(db.get_engine()) as s:
        row = s.get(Recording, 1)
        assert (row.agent, row.queue, row.disposition, row.ivr_path, row.stage) == (
            "ana",
            "atencion",
            "ANSWERED",
            "no-flow",
            "ended",
        )
        assert row.ended_at is not None


def test_old_empty_day_directories_are_pruned(tmp_path):
    for name in ("20260101", "20260102", "20261121", "20261122"):
        (tmp_path / name).mkdir()
    (tmp_path / "20260102" / "9.wav").write_bytes(b"x")  # still in the pipeline
    capture.prune_days(tmp_path, "20261121")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260102", "20261121", "20261122"]


def test_a_file_asterisk_never_closed_is_finished_once_nobody_writes_it(stack_env, tmp_path):
    """Asterisk died mid-call: no `.done` marker will ever come; the silent file is finished anyway."""
    import os
    import time

    from centralita import db

    raw = _raw(tmp_path / "rec/d/1795.6.raw", 1.0)
    queued = []
    later = time.time() + capture.STALE_RAW + 1
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "rec", queued.append) == []  # still live
    os.utime(raw, (later - capture.STALE_RAW - 1, later - capture.STALE_RAW - 1))
    capture.closed_files(tmp_path / "rec", later)  # marks it
    os.utime(Path(f"{raw}.done"), (later - capture.ORPHAN_GRACE - 1,) * 2)
    assert capture.reconcile(lambda: Session(db.get_engine()), tmp_path / "rec", queued.append, now=later) == [1]


def test_a_marker_stamped_ahead_of_the_file_system_counts_from_when_it_was_seen(monkeypatch, tmp_path):
    """`touch` may stamp the `.done` marker with a clock ahead of the file system's (a skewed host, a
    shifted test clock): its age then runs from when we first saw it, never stuck below the grace."""
    import os

    marker = tmp_path / "1.raw.done"
    marker.touch()
    now = capture.file_clock(tmp_path)
    os.utime(marker, (now + 86400, now + 86400))  # a day ahead
    clock = [1000.0]
    monkeypatch.setattr(capture.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(capture, "_marker_seen", {})
    assert capture.marker_age(marker, now) == 0.0
    clock[0] += capture.ORPHAN_GRACE + 1
    assert capture.marker_age(marker, now) == capture.ORPHAN_GRACE + 1
    os.utime(marker, (now - 30, now - 30))  # a normal stamp: its own age counts at once
    assert capture.marker_age(marker, now) == pytest.approx(30, abs=0.01)


def test_every_agent_who_answered_the_call_is_named(stack_env, tmp_path):
    """[centralita-record-agent] runs on each agent's channel as they answer (queue, transfer, dial):
    its event carries the agent channel's own Uniqueid and the call's Linkedid."""
    from centralita import db
    from recorder.models import Recording

    host = lambda p: tmp_path / p.lstrip("/")
    with Session(db.get_engine()) as s:
        capture.on_event(s, _event("start", Direction="inbound", Scope="queue", Name="atencion", Caller="555"), host)
        for uid, agent in (("1795.8", "agent1"), ("1795.8", "agent1"), ("1795.9", "agent2")):
            capture.on_event(s, {**_event("agent", uid=uid, Agent=agent), "Linkedid": ["1795.7"]}, host)
        capture.on_event(s, _event("end", Agent="agent1", Queue="atencion"), host)
        s.commit()
        row = s.exec(select(Recording)).one()
        assert (row.agent, row.agents) == ("agent1", ["agent1", "agent2"])
        # An agent event for a call nobody records changes nothing.
        assert capture.on_event(s, {**_event("agent", uid="9.9", Agent="agent3"), "Linkedid": ["9.9"]}, host) is None


def test_the_agent_leg_silent_stretches_are_filled_from_each_agents_own_file(tmp_path):
    """Where the D file's agent leg went silent (after a hold in a bridge, an attended transfer) while
    an agent's own recording has their voice at that offset, the leg takes it; the rest is untouched."""
    from recorder import capture_agents

    n = 8000 * 3
    left = [1000] * n
    right = [3000] * 8000 + [0] * (2 * 8000)  # the agent was heard for a second, then nothing
    frames = array("h", bytes(4 * n))
    frames[0::2], frames[1::2] = array("h", left), array("h", right)
    raw = tmp_path / "1795.7.raw"
    wav = tmp_path / "1795.7.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(frames.tobytes())
    # agent2 answered 1.5 s into the recording and spoke for a second
    (tmp_path / "1795.7.agent-1500-1795.9.sln").write_bytes(array("h", [-5000] * 8000).tobytes())
    filled = capture_agents.merge(raw, wav)
    with wave.open(str(wav)) as w:
        out = array("h", w.readframes(w.getnframes()))
    right_out = out[1::2]
    assert filled == 50  # one second of 20 ms blocks
    assert set(right_out[:8000]) == {3000}  # what the caller heard stays
    assert set(right_out[8000:12000]) == {0} and set(right_out[12000:20000]) == {-5000}
    assert set(right_out[20000:]) == {0} and set(out[0::2]) == {1000}  # the caller leg is never touched
    # A PCI pause stays silent: the agents' own files were not muted by it.
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(frames.tobytes())
    assert capture_agents.merge(raw, wav, [{"start": 1.0, "end": 3.0}]) == 0
    capture_agents.cleanup(raw)
    assert not list(tmp_path.glob("*.sln"))
