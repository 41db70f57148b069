"""kill -9 of a pipeline worker inside every step, then restart: every recording still ends `done`,
archived exactly once (one object per recording in the backend), its checksum verifies, nothing is
lost, and no WAV is ever deleted before its archive copy was verified.

Real parts: redis-server, the database (SQLite and PostgreSQL), espeak-ng speech in stereo WAVs,
the Korean Vosk model, ffmpeg, AES-GCM encryption, a worker subprocess started by the real CLI.
The worker stops *inside* a step through a test-only hook (CENTRALITA_RECORDER_TEST_PAUSE_AT,
see pipeline/steps.py `checkpoint`: after the step's side effects, before its commit) and writes
a mark file; the test then SIGKILLs it.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from centralita import db
from centralita.settings import reset_settings_cache
from recorder.models import Recording
from recorder.pipeline import steps
from recorder.tests.conftest import _require
from recorder.tests.redis_server import redis_server

KILL_AT = [s for s in steps.ORDER if s in steps.STEPS]  # ended .. indexed: inside each of the 7 steps
CALLS = [
    [("agent", "여보세요 네"), ("caller", "예약 번호 이름")],
    [("caller", "오늘 병원"), ("agent", "네 사람")],
    [("agent", "아니요 내일"), ("caller", "이름 번호")],
    [("caller", "네 예약"), ("agent", "오늘 사람")],
]


def _rows() -> list[Recording]:
    with Session(db.get_engine()) as session:
        return list(session.exec(select(Recording).order_by(Recording.id)))


def _assert_no_early_delete(rows: list[Recording]) -> None:
    for r in rows:
        if not Path(r.wav_path).exists():
            assert r.archive_verified_at is not None, (
                f"recording {r.id}: WAV gone at stage {r.stage} before verification"
            )


def _wait(predicate, timeout: float, what: str, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def pipeline_env(stack_env, tmp_path, monkeypatch):
    for tool in ("espeak-ng", "sox", "ffmpeg"):
        import shutil

        _require(shutil.which(tool) is not None, tool)
    with redis_server(tmp_path / "redis") as url:
        env = {
            "REDIS_URL": url,
            "CENTRALITA_RECORDER_HEARTBEAT_TIMEOUT": "2",
            "CENTRALITA_RECORDER_LEASE_SECONDS": "3",
            "CENTRALITA_RECORDER_SWEEP_INTERVAL": "1",
            "CENTRALITA_RECORDER_SWEEP_STALE": "2",
            "CENTRALITA_RECORDER_RETRY_BACKOFF": "0.5",
            "CENTRALITA_RECORDER_ARCHIVE_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_settings_cache()
        from recorder.pipeline import broker

        broker.reset()
        yield tmp_path
        broker.reset()


def test_kill_9_inside_every_step(pipeline_env):
    from centralita.settings import get_settings
    from recorder import testaudio
    from recorder.pipeline import enqueue
    from recorder.retention import service as retention
    from recorder.storage import backend, fetch

    tmp = pipeline_env
    marks = tmp / "marks"
    marks.mkdir()
    with db.session_scope() as session:
        for i, turns in enumerate(CALLS):
            wav = tmp / "spool" / f"call{i}.wav"
            wav.parent.mkdir(exist_ok=True)
            testaudio.write_call(wav, turns)
            rec = Recording(uniqueid=f"kill.{i}", linkedid=f"kill.{i}", wav_path=str(wav), stage="ended", language="es")
            retention.assign(session, rec)
            session.add(rec)
    ids = [r.id for r in _rows()]
    for rid in ids:
        enqueue(rid)

    env = {
        **os.environ,
        "CENTRALITA_RECORDER_TEST_PAUSE_AT": ",".join(KILL_AT),
        "CENTRALITA_RECORDER_TEST_MARK_DIR": str(marks),
    }
    argv = [sys.executable, "-m", "centralita.cli", "recorder", "worker"]
    log = (tmp / "worker.log").open("ab")
    killed: list[str] = []
    try:
        while len(killed) < len(KILL_AT):
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                seen = set(killed)
                stage = _wait(
                    lambda: next((p.name for p in marks.iterdir() if p.name not in seen), None),
                    180,
                    f"the worker to stop inside a step (killed so far: {killed})",
                    proc,
                )
                time.sleep(0.3)  # let it settle inside the hook's sleep
                _assert_no_early_delete(_rows())
            finally:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            killed.append(stage)
            _assert_no_early_delete(_rows())
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:

            def all_done():
                rows = _rows()
                _assert_no_early_delete(rows)
                return all(r.stage in steps.TERMINAL for r in rows)

            _wait(all_done, 240, "every recording to finish", proc)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        log.close()

    assert sorted(killed) == sorted(KILL_AT)
    rows = _rows()
    assert [r.id for r in rows] == ids, "a recording was lost"
    worker_log = (tmp / "worker.log").read_text(errors="replace")[-3000:]
    assert [r.stage for r in rows] == ["done"] * len(ids), ([(r.id, r.stage, r.last_error) for r in rows], worker_log)
    settings = get_settings()
    stored = backend(settings).keys()
    assert sorted(stored) == sorted(r.archive_key for r in rows), "not exactly one archive object per recording"
    for r in rows:
        opus = fetch(r, settings)  # sha256 of the stored bytes, then the AES-GCM tag
        assert opus[:4] == b"OggS"
        assert r.key_id == "k1" and r.wrapped_key
        assert r.archive_verified_at is not None and r.wav_deleted_at is not None
        assert r.wav_deleted_at >= r.archive_verified_at
        assert not Path(r.wav_path).exists()
        assert r.transcript.get("words") is not None and r.analysis.get("sentiment")
    assert not list((settings.data_dir / "recorder-work").glob("*")), "work files left behind"


def test_kill_9_is_recovered_by_the_queue_alone(pipeline_env, monkeypatch):
    """With the sweep out of the way, the killed worker's unacknowledged job is redelivered by the
    queue itself (dramatiq's per-worker ack set + heartbeat) and waits out the dead worker's lease."""
    from recorder import testaudio
    from recorder.pipeline import enqueue

    monkeypatch.setenv("CENTRALITA_RECORDER_SWEEP_STALE", "3600")
    reset_settings_cache()
    tmp = pipeline_env
    marks = tmp / "marks"
    marks.mkdir()
    wav = tmp / "one.wav"
    testaudio.write_call(wav, CALLS[0])
    with db.session_scope() as session:
        rec = Recording(uniqueid="redeliver", linkedid="r", wav_path=str(wav), stage="ended")
        session.add(rec)
        session.flush()
        rid = rec.id
    enqueue(rid)
    env = {
        **os.environ,
        "CENTRALITA_RECORDER_TEST_PAUSE_AT": "analysed",
        "CENTRALITA_RECORDER_TEST_MARK_DIR": str(marks),
    }
    argv = [sys.executable, "-m", "centralita.cli", "recorder", "worker"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: (marks / "analysed").exists(), 120, "the worker to stop inside the encode step", proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert _rows()[0].stage == "analysed"
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _rows()[0].stage == "done", 120, "the redelivered job to finish the recording", proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
