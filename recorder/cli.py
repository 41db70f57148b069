"""`centralita recorder ...`: transcribe and archive recordings offline, manage Vosk models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import typer

app = typer.Typer(help="Recordings: transcription (Vosk, offline), analytics, Opus archive.", no_args_is_help=True)
models_app = typer.Typer(help="Vosk models: show the configured one, download others.", no_args_is_help=True)
app.add_typer(models_app, name="models")
keys_app = typer.Typer(help="Master keys of the archive's encryption at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
top_level = {"models": models_app}  # `centralita models download es-small`, as the issue names it


def _fail(exc: Exception, code: int = 2) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


@app.command("transcribe")
def transcribe(
    file: Path = typer.Argument(..., help="Stereo WAV (left caller, right agent), or the caller leg (mono)."),
    agent: Path | None = typer.Argument(None, help="The agent leg (mono WAV) when FILE is the caller's."),
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    language: str = typer.Option(
        "", help="Language of the call for analytics (default: CENTRALITA_RECORDER_LANGUAGE)."
    ),
    phrases: str = typer.Option("", help="Restrict recognition to these words (comma list), e.g. known prompts."),
) -> None:
    """Transcribe both legs, then analyse (PII redacted): words with times and confidence per speaker."""
    from centralita.settings import get_settings
    from recorder import analytics
    from recorder.transcribe import Transcriber
    from recorder.vosk_models import ModelError

    settings = get_settings()
    try:
        transcript = Transcriber(settings).transcribe(file, agent, [p.strip() for p in phrases.split(",") if p.strip()])
        transcript, analysis = analytics.analyse(transcript, language or settings.recorder_language)
    except (ValueError, ModelError) as exc:  # AudioError is a ValueError; so is an unknown language
        _fail(exc)
    doc = {"transcript": transcript.to_dict(), "analysis": analysis}
    if json_out:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    for seg in doc["transcript"]["segments"]:
        typer.echo(f"{seg['start']:7.2f}-{seg['end']:7.2f} {seg['speaker']:>6}: {seg['text']}")
    typer.echo(json.dumps({k: v for k, v in analysis.items() if k != "redactions"}, ensure_ascii=False, indent=2))


@app.command("archive")
def archive_cmd(
    file: Path = typer.Argument(..., help="Stereo call WAV."),
    dest: Path = typer.Argument(..., help="Archive file to write (.opus/.ogg)."),
    kbps: int = typer.Option(0, help="Total bitrate (default: CENTRALITA_RECORDER_OPUS_KBPS)."),
) -> None:
    """Encode the Opus archive copy (legs kept apart), verify both legs survived, print its sha256."""
    from centralita.settings import get_settings
    from recorder import archive
    from recorder.audio import AudioError

    try:
        copy = archive.encode(file, dest, kbps or get_settings().recorder_opus_kbps)
        legs = archive.verify(file, copy.path, copy.sha256)
    except AudioError as exc:
        _fail(exc)  # bad input: 2
    except archive.ArchiveError as exc:
        _fail(exc, 1)  # the encoder or the archive failed us: 1
    typer.echo(
        json.dumps(
            {
                "path": str(copy.path),
                "sha256": copy.sha256,
                "bytes": copy.bytes,
                "ratio": round(copy.ratio, 2),
                "legs": legs,
            }
        )
    )


@models_app.command("show")
def models_show() -> None:
    """The configured model, its sample rate, and the models `download` knows."""
    from centralita.settings import get_settings
    from recorder import vosk_models

    settings = get_settings()
    try:
        path = vosk_models.model_path(settings)
        current = {"path": str(path), "sample_rate": vosk_models.model_rate(path)}
    except vosk_models.ModelError as exc:
        current = {"error": str(exc)}
    typer.echo(json.dumps({"current": current, "downloadable": {k: v[0] for k, v in vosk_models.CATALOG.items()}}))


@models_app.command("download")
def models_download(
    name: str = typer.Argument(..., help="es-small | es | en-small"),
    dest: Path | None = typer.Option(None, help="Directory for models (default: <data dir>/models)."),
    sha256: str = typer.Option("", help="Expected sha256 of the zip (from a copy you trust)."),
) -> None:
    """Download and unpack a Vosk model (needs internet); prints the path to set as the model path."""
    import sys

    from centralita.settings import get_settings
    from recorder import vosk_models

    def progress(got: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{got / 1e6:8.1f} / {total / 1e6:.1f} MB", end="", file=sys.stderr)

    try:
        done = vosk_models.download(name, get_settings(), dest, progress, sha256)
    except vosk_models.ModelError as exc:
        _fail(exc, 1)
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end the progress line
    typer.echo(
        json.dumps(
            {
                "model": done.name,
                "path": str(done.path),
                "bytes": done.bytes,
                "set": f"CENTRALITA_RECORDER_MODEL_PATH={done.path}",
            }
        )
    )


# --- pipeline, retention, keys (recorder/pipeline, recorder/retention, recorder/storage) ---------


@app.command("worker")
def worker_cmd(
    processes: int = typer.Option(1, min=1, max=64, help="Worker processes (one Vosk model and one job each)."),
) -> None:
    """Run pipeline workers in the foreground: verify, transcribe, analyse, encode, store, index."""
    import logging

    from recorder.pipeline import worker
    from recorder.vosk_models import ModelError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if processes == 1:
        try:
            worker.run_one()
        except ModelError as exc:
            _fail(exc)
        return
    raise typer.Exit(worker.run_many(processes))


@app.command("backlog")
def backlog_cmd() -> None:
    """Recordings per pipeline stage and the share finished (JSON)."""
    from recorder.pipeline.sweep import backlog

    typer.echo(json.dumps(backlog()))


@app.command("enqueue")
def enqueue_cmd(recording_id: int = typer.Argument(..., help="Recording id.")) -> None:
    """Hand one recording to the pipeline again (e.g. after fixing why it failed)."""
    from centralita import db
    from recorder.models import Recording
    from recorder.pipeline import enqueue

    with db.session_scope() as session:
        rec = session.get(Recording, recording_id)
        if rec is None:
            _fail(ValueError(f"recording_id: no recording {recording_id}"))
        if rec.stage == "failed":  # resume at the step that failed (last_error starts with its stage)
            from recorder.pipeline.steps import STEPS

            failed_at = rec.last_error.split(":", 1)[0]
            rec.stage, rec.attempts = (failed_at if failed_at in STEPS else "ended"), 0
            session.add(rec)
    enqueue(recording_id)
    typer.echo(json.dumps({"enqueued": recording_id}))


@app.command("purge")
def purge_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be purged, delete nothing."),
) -> None:
    """Delete expired archive copies not on legal hold; one audit entry per file."""
    from recorder.retention import service

    typer.echo(json.dumps(service.purge(dry_run=dry_run)))


@app.command("hold")
def hold_cmd(
    recording_id: int = typer.Argument(..., help="Recording id."),
    reason: str = typer.Option(..., help="Why (case number, request); audited."),
    release: bool = typer.Option(False, "--release", help="Release the hold instead of setting it."),
) -> None:
    """Set (or release) a legal hold: the purge never deletes a recording on hold."""
    from centralita import db
    from centralita.errors import FieldError
    from recorder.retention import service

    try:
        with db.session_scope() as session:
            fn = service.release_hold if release else service.set_hold
            rec = fn(session, recording_id, reason, client="cli")
            out = {"id": rec.id, "legal_hold": rec.legal_hold, "legal_hold_reason": rec.legal_hold_reason}
    except FieldError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@app.command("policy")
def policy_cmd(
    name: str = typer.Argument(..., help="Retention class, e.g. default, outbound."),
    days: int = typer.Option(..., help="Days recordings of this class are kept."),
    match: list[str] = typer.Option([], help="Rule field=value (direction, queue, campaign, flow, agent), repeatable."),
) -> None:
    """Create or change a retention policy."""
    from centralita import db
    from centralita.errors import FieldError
    from recorder.retention import service

    try:
        rule = dict(m.split("=", 1) for m in match)
    except ValueError:
        _fail(ValueError("match: use field=value"))
    try:
        with db.session_scope() as session:
            p = service.save_policy(session, name, days, rule)
            out = {"name": p.name, "days": p.days, "match": p.match}
    except FieldError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@keys_app.command("new")
def keys_new(key_id: str = typer.Argument(..., help="Id for the new key, e.g. 2027a.")) -> None:
    """Print a fresh master key to append to CENTRALITA_RECORDER_ARCHIVE_KEYS (it is not stored)."""
    from recorder.storage import crypto

    typer.echo(f"{key_id}:{crypto.new_master_key()}")


@keys_app.command("rotate")
def keys_rotate(batch: int = typer.Option(500, min=1, help="Rows re-wrapped per transaction.")) -> None:
    """Re-wrap every file's data key with the current master key (the archive is not read)."""
    from recorder.storage import crypto, rotation

    try:
        typer.echo(json.dumps(rotation.rotate(batch=batch)))
    except crypto.CryptoError as exc:
        _fail(exc)


# --- recording settings, search, export, QA (capture/search/access side) -------------------------------
settings_app = typer.Typer(help="Record or not, and the language, per queue / flow / campaign.", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


@settings_app.command("set")
def settings_set(
    scope: str = typer.Argument(..., help="queue | flow | campaign"),
    name: str = typer.Argument(..., help="The queue, flow or campaign name."),
    record: bool | None = typer.Option(None, "--record/--no-record", help="Record its calls (default: on)."),
    language: str | None = typer.Option(None, help="Language of its calls: es | en."),
) -> None:
    """Create or change one scope's recording setting, then reload the dialplan."""
    from centralita.db import session_scope
    from centralita.errors import FieldError
    from centralita.settings import get_settings
    from recorder import capture_settings

    try:
        with session_scope() as session:
            row = capture_settings.put(session, scope, name, record, language)
            out = {"scope": row.scope, "name": row.name, "record": row.record, "language": row.language}
    except FieldError as exc:
        _fail(exc)
    from centralita.telephony.apply import after_commit

    # After the commit: False when Asterisk is not running (it reads the setting at its start).
    typer.echo(json.dumps({**out, "reloaded": after_commit(get_settings(), {"dialplan"}).reloaded}))


@settings_app.command("list")
def settings_list() -> None:
    from centralita.db import session_scope
    from recorder import capture_settings

    with session_scope() as session:
        for r in capture_settings.list_all(session):
            typer.echo(json.dumps({"scope": r.scope, "name": r.name, "record": r.record, "language": r.language}))


@app.command("search")
def search_cmd(
    q: str = typer.Argument("", help="Words that must all occur in the transcript."),
    since: str = typer.Option("", help="From (ISO date/time, UTC)."),
    until: str = typer.Option("", help="Before (ISO date/time, UTC)."),
    agent: str = typer.Option(""),
    queue: str = typer.Option(""),
    caller: str = typer.Option("", help="Number, or a prefix ending in *."),
    category: str = typer.Option(""),
    tag: str = typer.Option(""),
    sentiment_max: float | None = typer.Option(None, help="Caller sentiment at most (-1..1)."),
    sentiment_min: float | None = typer.Option(None, help="Caller sentiment at least (-1..1)."),
    min_duration: float | None = typer.Option(None),
    max_duration: float | None = typer.Option(None),
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
) -> None:
    """Full-text search over transcripts with filters; one JSON line per recording, newest first."""
    from datetime import datetime

    from centralita.db import session_scope
    from centralita.errors import FieldError
    from recorder import search

    def when(value: str, field: str):
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            _fail(FieldError(field, f"not an ISO date/time: {value!r}"))

    f = search.Filters(
        q=q,
        since=when(since, "since"),
        until=when(until, "until"),
        agent=agent,
        queue=queue,
        caller=caller,
        category=category,
        tag=tag,
        sentiment_min=sentiment_min,
        sentiment_max=sentiment_max,
        min_duration=min_duration,
        max_duration=max_duration,
        limit=limit,
        offset=offset,
    )
    try:
        with session_scope() as session:
            rows, total = search.search(session, f)
            lines = [
                json.dumps(
                    {
                        k: getattr(r, k)
                        for k in (
                            "id",
                            "uniqueid",
                            "caller",
                            "agent",
                            "queue",
                            "duration",
                            "stage",
                            "categories",
                            "tags",
                        )
                    }
                    | {"started_at": r.started_at.isoformat()},
                    ensure_ascii=False,
                )
                for r in rows
            ]
    except FieldError as exc:
        _fail(exc)
    for line in lines:
        typer.echo(line)
    typer.echo(json.dumps({"total": total, "shown": len(lines), "offset": offset}), err=True)


@app.command("export")
def export_cmd(
    period: str = typer.Option("", help="A month (2026-11) or a quarter (2026-Q4)."),
    caller: str = typer.Option("", help="Only this caller's calls."),
    since: str = typer.Option(""),
    until: str = typer.Option(""),
) -> None:
    """Build a ZIP of recordings with a manifest (CSV + JSON with sha256), showing progress; prints its path."""
    import sys
    import threading
    import time
    from datetime import datetime

    from sqlmodel import Session

    from centralita import db
    from centralita.db import session_scope
    from centralita.errors import FieldError
    from centralita.settings import get_settings
    from recorder import exports
    from recorder.models import ExportJob

    try:
        with session_scope() as session:
            job_id = exports.request(
                session,
                "cli",
                period,
                datetime.fromisoformat(since) if since else None,
                datetime.fromisoformat(until) if until else None,
                caller,
            ).id
    except (FieldError, ValueError) as exc:
        _fail(exc)
    worker = threading.Thread(target=exports.run, args=(job_id, lambda: Session(db.get_engine()), get_settings()))
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
        if sys.stderr.isatty():
            with Session(db.get_engine()) as session:
                job = session.get(ExportJob, job_id)
                if job is not None:
                    print(f"\r{job.done}/{job.total} recordings", end="", file=sys.stderr)
        time.sleep(0)
    with Session(db.get_engine()) as session:
        job = session.get(ExportJob, job_id)
        if job is None:  # deleted while it ran: no result to print
            _fail(LookupError(f"export job {job_id} no longer exists"), 1)
        typer.echo(
            json.dumps({"id": job.id, "state": job.state, "total": job.total, "path": job.path, "error": job.error})
        )
        if job.state != "done":
            raise typer.Exit(1)


@app.command("qa-report")
def qa_report_cmd(
    period: str = typer.Option("month", help="day | week | month | quarter"),
    since: str = typer.Option(""),
    until: str = typer.Option(""),
    agent: str = typer.Option(""),
) -> None:
    """Mean QA score per agent per period (from supervisors' evaluations)."""
    from datetime import datetime

    from centralita.db import session_scope
    from centralita.errors import FieldError
    from recorder import quality

    try:
        with session_scope() as session:
            rows = quality.report(
                session,
                datetime.fromisoformat(since) if since else None,
                datetime.fromisoformat(until) if until else None,
                period,
                agent,
            )
    except (FieldError, ValueError) as exc:
        _fail(exc)
    for row in rows:
        typer.echo(json.dumps(row))
