"""Bulk export of recordings (a month, a quarter, a date range, or one caller's calls) as a ZIP with
a manifest (manifest.csv and manifest.json: metadata and the sha256 of each audio file), built in
the background with progress in the ExportJob row.

The ZIP is written under a temporary name and renamed when complete, so a crash never leaves a
file that looks finished; a job found `queued` or `running` at start-up is built again."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from centralita.errors import FieldError, NotFound
from recorder.models import ExportJob, Recording
from recorder.search import Filters, conditions

log = logging.getLogger("centralita.recorder.exports")
MANIFEST_FIELDS = (
    "id",
    "uniqueid",
    "linkedid",
    "started_at",
    "ended_at",
    "duration",
    "direction",
    "caller",
    "agent",
    "queue",
    "flow",
    "campaign",
    "ivr_path",
    "disposition",
    "language",
    "categories",
    "tags",
    "sentiment_caller",
    "sentiment_agent",
    "retention_class",
    "file",
    "bytes",
    "sha256",
)
MAX_RECORDINGS = 100_000


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """'2026-11' (a month) or '2026-Q4' (a quarter) → [start, end) in UTC."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", period) or re.fullmatch(r"(\d{4})-Q([1-4])", period)
    if not m:
        raise FieldError("period", "YYYY-MM (a month) or YYYY-Qn (a quarter)")
    year, n = int(m.group(1)), int(m.group(2))
    if "Q" in period:
        first, months = 3 * (n - 1) + 1, 3
    else:
        if not 1 <= n <= 12:
            raise FieldError("period", "month must be 01-12")
        first, months = n, 1
    start = datetime(year, first, 1, tzinfo=UTC)
    nxt = first + months
    end = datetime(year + (nxt - 1) // 12, (nxt - 1) % 12 + 1, 1, tzinfo=UTC)
    return start, end


def request(
    session: Session,
    user: str,
    period: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    caller: str = "",
) -> ExportJob:
    """A queued job; at least one of period, since/until or caller narrows it."""
    if period:
        since, until = period_bounds(period)
    if not (since or until or caller):
        raise FieldError("period", "give a period, a date range or a caller")
    filters = Filters(since=since, until=until, caller=caller)
    conditions(session, filters)  # same validation as search
    job = ExportJob(requested_by=user, filters={**filters.as_dict(), **({"period": period} if period else {})})
    session.add(job)
    session.flush()
    return job


def _filters(job: ExportJob) -> Filters:
    f = job.filters
    parse = lambda v: datetime.fromisoformat(v) if v else None
    return Filters(
        since=parse(f.get("since")), until=parse(f.get("until")), caller=f.get("caller", ""), limit=1, offset=0
    )


def export_dir(settings) -> Path:
    return settings.data_dir / "exports"


def _row(rec: Recording, name: str, data: bytes) -> dict:
    out = {k: getattr(rec, k) for k in MANIFEST_FIELDS[:-3]}
    for k in ("started_at", "ended_at"):
        out[k] = out[k].isoformat() if out[k] else ""
    out["categories"], out["tags"] = ",".join(rec.categories), ",".join(rec.tags)
    out.update(file=name, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    return out


def run(job_id: int, session_factory, settings) -> ExportJob:
    """Build the ZIP of one job (sync; call it in a thread). Recordings without audio (purged, not
    yet recorded) are listed in the manifest with an empty file and their reason."""
    from recorder import access

    with session_factory() as session:
        job = session.get(ExportJob, job_id)
        if job is None:
            raise NotFound("export_id", f"no export {job_id}")
        f = _filters(job)
        ids = list(
            session.exec(
                select(Recording.id)
                .where(*conditions(session, f))
                .order_by(col(Recording.started_at), col(Recording.id))
                .limit(MAX_RECORDINGS)
            )
        )
        job.state, job.total, job.done, job.error = "running", len(ids), 0, ""
        session.add(job)
        session.commit()
        target = export_dir(settings) / f"export-{job_id}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".zip.part")
        manifest: list[dict] = []
        try:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:  # Opus/WAV: no gain
                for n, rid in enumerate(ids, 1):
                    rec = session.get(Recording, rid)
                    try:
                        audio = access.source(rec)
                        data = b"".join(audio.read(0, audio.size - 1)) if audio.size else b""
                        name = f"audio/{rec.started_at:%Y%m%d}-{rec.id}-{rec.uniqueid}{audio.suffix}"
                        zf.writestr(name, data)
                        manifest.append(_row(rec, name, data))
                    except FieldError as exc:  # no audio: still listed, with why
                        manifest.append({**_row(rec, "", b""), "sha256": "", "bytes": 0, "file": f"({exc.message})"})
                    if n % 10 == 0 or n == len(ids):
                        job.done = n
                        session.add(job)
                        session.commit()
                zf.writestr(
                    "manifest.json",
                    json.dumps(
                        {"export": job_id, "filters": job.filters, "recordings": manifest}, ensure_ascii=False, indent=1
                    ),
                )
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS)
                writer.writeheader()
                writer.writerows(manifest)
                zf.writestr("manifest.csv", buf.getvalue())
            os.replace(part, target)
            job.state, job.path, job.done = "done", str(target), len(ids)
        except Exception as exc:
            log.exception("export %s failed", job_id)
            part.unlink(missing_ok=True)
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        session.add(job)
        session.commit()
        session.refresh(job)
        return job


def unfinished(session: Session) -> list[int]:
    ids = session.exec(select(col(ExportJob.id)).where(col(ExportJob.state).in_(("queued", "running"))))
    return [job_id for job_id in ids if job_id is not None]  # a stored row's id is never None: this only narrows
