"""The pipeline's steps. Each moves a recording from one stage to the next and is idempotent: it
writes what it produced (files under the work directory, named by recording id; rows) before the
stage advances, so re-running a step after a crash redoes only that step and overwrites the same
files and the same archive object.

Within one job the steps pass what they decoded along in `Job.cache` (the legs, the Opus file):
that is why a job runs all remaining steps in one go. A resumed job recomputes what it lacks.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from centralita.settings import Settings
from centralita.timeutil import utcnow
from recorder import analytics, archive, audio, storage
from recorder.models import Recording
from recorder.pipeline import media
from recorder.transcribe import Transcriber, Transcript

ORDER = ("ended", "verified", "transcribed", "analysed", "encoded", "stored", "indexed", "done")
TERMINAL = ("done", "failed", "purged")


class PermanentError(ValueError):
    """Retrying cannot help (bad or missing input): the recording fails at once."""


@dataclass
class Job:
    settings: Settings
    transcriber_factory: Callable[[str], Transcriber]  # the process's one Transcriber for a language
    cache: dict = field(default_factory=dict)

    def transcriber(self, rec: Recording):
        return self.transcriber_factory(rec.language or self.settings.recorder_language)

    def work(self, rec: Recording, suffix: str) -> Path:
        directory = self.settings.data_dir / "recorder-work"
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{rec.id}{suffix}"


def checkpoint(stage: str, rec: Recording) -> None:
    """Test hook: stop inside the step leaving `stage` (after its side effects, before its commit)
    when CENTRALITA_RECORDER_TEST_PAUSE_AT names it, once per stage, and say so with a mark file;
    the kill -9 test SIGKILLs the worker there. Unset in production: a dictionary lookup."""
    stages = os.environ.get("CENTRALITA_RECORDER_TEST_PAUSE_AT")
    if not stages or stage not in stages.split(","):
        return
    mark = Path(os.environ["CENTRALITA_RECORDER_TEST_MARK_DIR"]) / stage
    try:
        fd = os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(rec.id).encode())
    os.close(fd)
    time.sleep(3600)


def _wav(rec: Recording) -> Path:
    path = Path(rec.wav_path)
    if rec.wav_deleted_at is not None or not path.is_file():
        raise PermanentError(f"recording {rec.id}: WAV {rec.wav_path or '(none)'} is missing")
    return path


def verify(job: Job, rec: Recording) -> None:
    """ended -> verified: a stereo WAV (both legs), its duration and sha256."""
    path = _wav(rec)
    try:
        info = audio.probe(path)
    except audio.AudioError as exc:
        raise PermanentError(str(exc)) from None
    if info.channels != 2:
        raise PermanentError(f"{path}: {info.channels} channel(s); both legs are needed (stereo)")
    digest = archive.sha256(path)
    if rec.wav_sha256 and rec.wav_sha256 != digest:
        raise PermanentError(f"{path}: sha256 changed since it was first verified")
    job.cache["info"] = info
    checkpoint("ended", rec)
    rec.duration, rec.wav_sha256 = round(info.duration, 3), digest


def _decode(job: Job, rec: Recording) -> audio.Legs:
    """Both legs at the model's rate; the same ffmpeg run writes the Opus work copy."""
    if "legs" not in job.cache:
        job.cache["legs"] = media.decode_and_encode(
            _wav(rec),
            job.transcriber(rec).rate,
            job.work(rec, ".opus"),
            job.settings.recorder_opus_kbps,
            job.cache.get("info"),
        )
        job.cache["opus_fresh"] = True
    return job.cache["legs"]


def transcribe(job: Job, rec: Recording) -> None:
    """verified -> transcribed: per-leg words (caller left, agent right). The raw transcript may
    hold card numbers: it goes to a work file beside the WAV, never to the database."""
    # A domain vocabulary (CENTRALITA_RECORDER_PHRASES) restricts recognition; empty decodes freely.
    phrases = [w.strip() for w in job.settings.recorder_phrases.split(",") if w.strip()] or None
    transcript = job.transcriber(rec).transcribe_legs(_decode(job, rec), phrases)
    job.cache["transcript"] = transcript
    out = job.work(rec, ".transcript.json")
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False))
    tmp.replace(out)
    checkpoint("verified", rec)


def analyse(job: Job, rec: Recording) -> None:
    """transcribed -> analysed: PII redacted, then sentiment, talk time, categories; only the
    redacted transcript is stored."""
    transcript = job.cache.get("transcript")
    if transcript is None:
        raw = job.work(rec, ".transcript.json")
        if not raw.is_file():  # lost with a wiped work dir: transcribe again
            transcribe(job, rec)
            transcript = job.cache["transcript"]
        else:
            transcript = Transcript.from_dict(json.loads(raw.read_text()))
    redacted, analysis = analytics.analyse(transcript, rec.language or job.settings.recorder_language)
    checkpoint("transcribed", rec)
    rec.transcript = redacted.to_dict()
    rec.analysis = analysis
    rec.sentiment_caller = analysis["sentiment"]["caller"]["score"]
    rec.sentiment_agent = analysis["sentiment"]["agent"]["score"]
    rec.categories = sorted(analysis["categories"])


def encode(job: Job, rec: Recording) -> None:
    """analysed -> encoded: the Opus copy (legs as separate streams) exists and both legs verify."""
    job.work(rec, ".transcript.json").unlink(missing_ok=True)  # redacted copy is in the row now
    opus = job.work(rec, ".opus")
    if not opus.is_file():  # resumed after the work copy was lost
        archive.encode(_wav(rec), opus, job.settings.recorder_opus_kbps)
    # The legs at the model's rate, when this job decoded them, spare decoding the WAV again.
    try:
        archive.verify(_wav(rec), opus, source=job.cache.get("legs"))
    except archive.LegsError as exc:  # the same encode would fail the same check again: no retries
        raise PermanentError(str(exc)) from None
    checkpoint("analysed", rec)
    rec.archive_bytes = opus.stat().st_size


def store(job: Job, rec: Recording) -> None:
    """encoded -> stored: sealed (when keys are set) and written to the backend under the
    recording's one object key."""
    opus = job.work(rec, ".opus")
    if not opus.is_file():
        raise RuntimeError(f"recording {rec.id}: Opus work copy missing; encoding again")
    stored = storage.store(rec, opus.read_bytes(), job.settings)
    checkpoint("encoded", rec)
    rec.archive_backend, rec.archive_key, rec.archive_sha256 = stored.backend, stored.key, stored.sha256
    rec.archive_bytes, rec.key_id, rec.wrapped_key = stored.bytes, stored.key_id, stored.wrapped_key
    rec.archive_verified_at = None


def check(job: Job, rec: Recording) -> None:
    """stored -> indexed: read the stored object back (sha256 of the stored bytes, AES-GCM tag),
    compare with the work copy, then index the redacted transcript for full-text search."""
    plain = storage.fetch(rec, job.settings)
    opus = job.work(rec, ".opus")
    if opus.is_file() and plain != opus.read_bytes():
        raise storage.IntegrityError(f"recording {rec.id}: stored archive differs from the encoded copy")
    storage.backend(job.settings, rec.archive_backend).finalize(rec.archive_key)
    checkpoint("stored", rec)
    rec.archive_verified_at = utcnow()
    text = rec.transcript.get("text", {})
    rec.transcript_text = " ".join(t for t in (text.get("caller", ""), text.get("agent", "")) if t)


def cleanup(job: Job, rec: Recording) -> None:
    """indexed -> done: the WAV is deleted, only now that the stored copy was verified."""
    if rec.archive_verified_at is None:
        raise RuntimeError(f"recording {rec.id}: archive not verified; the WAV stays")
    checkpoint("indexed", rec)
    if rec.wav_path:
        Path(rec.wav_path).unlink(missing_ok=True)
    rec.wav_deleted_at = rec.wav_deleted_at or utcnow()
    job.work(rec, ".opus").unlink(missing_ok=True)
    job.work(rec, ".transcript.json").unlink(missing_ok=True)


STEPS = {
    "ended": verify,
    "verified": transcribe,
    "transcribed": analyse,
    "analysed": encode,
    "encoded": store,
    "stored": check,
    "indexed": cleanup,
}


def next_stage(stage: str) -> str:
    return ORDER[ORDER.index(stage) + 1]
