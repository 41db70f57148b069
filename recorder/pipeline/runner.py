"""Running one recording through the remaining steps, under a claim, with retries.

`run_job` is the queue's actor. A failure counts one attempt (`Recording.attempts`, reset by each
step that succeeds) and is raised again so dramatiq retries the job with exponential backoff;
once the attempts exceed CENTRALITA_RECORDER_MAX_RETRIES, or at once for bad input, the recording
is `failed` with `last_error`, and the job ends quietly.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update
from sqlmodel import Session, col

from centralita import db
from centralita.settings import Settings, get_settings
from centralita.timeutil import utcnow
from recorder.models import Recording
from recorder.pipeline import claim, steps

log = logging.getLogger("centralita.recorder.pipeline")
_transcribers: dict = {}
_transcriber_lock = threading.Lock()


def model_for(language: str, settings: Settings):
    """The model path for a language: CENTRALITA_RECORDER_LANGUAGE_MODELS ("es:/path,en:/path"),
    else CENTRALITA_RECORDER_MODEL_PATH (None: the default one)."""
    from pathlib import Path

    for item in filter(None, (p.strip() for p in settings.recorder_language_models.split(","))):
        lang, _, path = item.partition(":")
        if lang.strip() == language and path.strip():
            return Path(path.strip())
    return None


def transcriber(language: str = ""):
    """This process's Transcriber for the language: each model is loaded once per process and
    shared by all its recognizers (with one model configured, one for every language)."""
    settings = get_settings()
    path = model_for(language, settings)
    with _transcriber_lock:
        if path not in _transcribers:
            from recorder.transcribe import Transcriber

            _transcribers[path] = Transcriber(settings, model_path=path)
        return _transcribers[path]


class Busy(RuntimeError):
    """Another worker holds the recording's claim (maybe a dead one whose lease has not expired)."""


def run_job(recording_id: int) -> None:
    """The actor: see `run`. A recording another worker holds is retried later by the queue (with
    backoff), so a job redelivered from a killed worker waits out the dead worker's lease."""
    if run(recording_id) == "busy":
        raise Busy(f"recording {recording_id} is claimed by another worker; retrying later")


def run(recording_id: int, settings: Settings | None = None, heartbeat=None) -> str:
    """Move the recording through its remaining steps; returns the stage it ended at, or "busy"
    when another worker holds it (left alone: its lease expires if that worker died)."""
    settings = settings or get_settings()
    owner = claim.owner_id() + f":{threading.get_ident() % 100000}"
    if heartbeat is None:
        heartbeat = _queue_heartbeat(settings)
    if not claim.acquire(recording_id, owner, settings.recorder_lease_seconds):
        with Session(db.get_engine()) as session:
            rec = session.get(Recording, recording_id)
            if rec is None or rec.stage not in steps.STEPS:
                return rec.stage if rec else "missing"  # nothing left to do: a duplicate delivery
        log.info("recording %s is being processed by another worker", recording_id)
        return "busy"
    job = steps.Job(settings, transcriber)
    with claim.Lease(recording_id, owner, settings.recorder_lease_seconds, heartbeat) as lease:
        while True:
            with Session(db.get_engine(), expire_on_commit=False) as session:
                rec = session.get(Recording, recording_id)
                if rec is None:
                    log.warning("recording %s does not exist", recording_id)
                    return "missing"
                if rec.stage not in steps.STEPS:  # recording (call not over), done, failed, purged
                    return rec.stage
                if lease.lost:
                    raise RuntimeError(f"recording {recording_id}: lost the claim (lease expired)")
                stage = rec.stage
                try:
                    steps.STEPS[stage](job, rec)
                except BaseException as exc:  # recorded on the row, then retried or failed
                    if not _counts(exc):
                        raise
                    session.rollback()
                    if _fail(session, recording_id, stage, exc, settings):
                        return "failed"
                    raise
                session.add(rec)
                session.flush()  # the step's results, then the stage moves only if the claim is still ours
                nxt = steps.next_stage(stage)
                moved = session.exec(
                    update(Recording)
                    .where(
                        col(Recording.id) == recording_id,
                        col(Recording.stage) == stage,
                        col(Recording.claimed_by) == owner,
                    )
                    .values(stage=nxt, attempts=0, last_error="", updated_at=utcnow())
                ).rowcount
                if moved != 1:
                    session.rollback()
                    raise RuntimeError(f"recording {recording_id}: claim lost during {stage}; its new holder goes on")
                session.commit()
                log.info("recording %s: %s -> %s", recording_id, stage, nxt)


def _counts(exc: BaseException) -> bool:
    """A step's own failure, or dramatiq's time limit: counts an attempt. A shutdown does not."""
    if isinstance(exc, Exception):
        return True
    from dramatiq.middleware.time_limit import TimeLimitExceeded

    return isinstance(exc, TimeLimitExceeded)


def _fail(session: Session, recording_id: int, stage: str, exc: BaseException, settings: Settings) -> bool:
    """Count the attempt; True when the recording is now `failed` (no retry)."""
    rec = session.get(Recording, recording_id)
    if rec is None:  # deleted while its step ran (we held the claim): nothing is left to retry
        log.warning("recording %s vanished during %s: %s", recording_id, stage, exc)
        return True
    rec.attempts += 1
    rec.last_error = f"{stage}: {type(exc).__name__}: {exc}"[:500]
    final = isinstance(exc, steps.PermanentError) or rec.attempts > settings.recorder_max_retries
    if final:
        rec.stage = "failed"
    rec.updated_at = utcnow()
    session.add(rec)
    session.commit()
    (log.error if final else log.warning)(
        "recording %s: %s%s",
        recording_id,
        rec.last_error,
        " (failed)" if final else f" (attempt {rec.attempts}, retrying)",
    )
    return final


def _queue_heartbeat(settings: Settings):
    def beat() -> None:
        from recorder.pipeline import broker

        broker.touch(broker.get(settings)[0])

    return beat
