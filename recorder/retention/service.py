"""Retention: a class per recording (policies with match rules, default 15 years), legal hold,
and the purge that deletes expired archive copies, one audit entry per file.

Purging keeps the row (date, caller, agent, queue, the audit trail's target) but deletes the
archive object, any WAV left behind, the transcript and the file's wrapped data key: the content is
gone, the fact remains (the object's key and sha256 are in the purge's audit entry).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from api.audit.service import record as audit
from centralita import db
from centralita.errors import FieldError
from centralita.settings import Settings, get_settings
from centralita.timeutil import utcnow
from recorder.access import get_recording
from recorder.models import Recording, RetentionPolicy

DEFAULT_CLASS = "default"
DEFAULT_DAYS = 15 * 365 + 4  # 15 years (Panamanian law), leap days included
MATCH_FIELDS = ("direction", "queue", "campaign", "flow", "agent", "disposition")
PURGEABLE = ("done", "failed")  # never a recording still moving through the pipeline


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def policies(session: Session) -> list[RetentionPolicy]:
    return list(session.exec(select(RetentionPolicy).order_by(col(RetentionPolicy.id))))


def matches(policy: RetentionPolicy, recording: Recording) -> bool:
    """Every field of the rule equals the recording's; an empty rule matches nothing."""
    rule = policy.match or {}
    return bool(rule) and all(str(getattr(recording, k, "")) == str(v) for k, v in rule.items())


def assign(session: Session, recording: Recording) -> None:
    """Set the recording's retention class and `retain_until` (called when its row is created;
    the caller commits). The first policy whose rule matches wins; otherwise `default`."""
    found = next((p for p in policies(session) if matches(p, recording)), None)
    if found is None:
        found = session.exec(select(RetentionPolicy).where(RetentionPolicy.name == DEFAULT_CLASS)).first()
    recording.retention_class = found.name if found else DEFAULT_CLASS
    days = found.days if found else DEFAULT_DAYS
    recording.retain_until = _aware(recording.started_at or utcnow()) + timedelta(days=days)


def save_policy(session: Session, name: str, days: int, match: dict | None = None) -> RetentionPolicy:
    """Create or change a policy. Existing recordings keep their date (re-assign is explicit)."""
    name = (name or "").strip()
    if not name or len(name) > 32:
        raise FieldError("name", "1 to 32 characters")
    if not isinstance(days, int) or days < 1:
        raise FieldError("days", "a whole number of days, at least 1")
    match = match or {}
    unknown = sorted(set(match) - set(MATCH_FIELDS))
    if unknown:
        raise FieldError("match", f"unknown field(s) {', '.join(unknown)}; use {', '.join(MATCH_FIELDS)}")
    policy = session.exec(select(RetentionPolicy).where(RetentionPolicy.name == name)).first() or RetentionPolicy(
        name=name
    )
    policy.days, policy.match = days, {k: str(v) for k, v in match.items()}
    session.add(policy)
    return policy


def set_hold(session: Session, recording_id: int, reason: str, *, user=None, client: str = "") -> Recording:
    """Put a legal hold on a recording: the purge skips it until released. Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "a legal hold needs a reason (case number, request)")
    rec = get_recording(session, recording_id)
    if rec.stage == "purged":
        raise FieldError("recording_id", f"recording {recording_id} was already purged", status=409)
    rec.legal_hold, rec.legal_hold_reason = True, reason[:255]
    session.add(rec)
    audit(session, "recording.hold", user=user, target=f"recording:{rec.id}", detail={"reason": reason}, client=client)
    return rec


def release_hold(session: Session, recording_id: int, reason: str, *, user=None, client: str = "") -> Recording:
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "say why the hold is released")
    rec = get_recording(session, recording_id)
    if not rec.legal_hold:
        raise FieldError("recording_id", f"recording {recording_id} is not on hold", status=409)
    previous = rec.legal_hold_reason
    rec.legal_hold, rec.legal_hold_reason = False, ""
    session.add(rec)
    audit(
        session,
        "recording.release",
        user=user,
        target=f"recording:{rec.id}",
        detail={"reason": reason, "hold_reason": previous},
        client=client,
    )
    return rec


def expired(session: Session, now: datetime | None = None, limit: int = 1000) -> list[Recording]:
    now = now or utcnow()
    return list(
        session.exec(
            select(Recording)
            .where(
                col(Recording.retain_until).is_not(None),
                col(Recording.retain_until) < now,
                col(Recording.legal_hold).is_(False),
                col(Recording.stage).in_(PURGEABLE),
            )
            .order_by(col(Recording.retain_until))
            .limit(limit)
        )
    )


def purge(
    dry_run: bool = False, settings: Settings | None = None, now: datetime | None = None, user=None, client: str = ""
) -> dict:
    """Delete expired archive copies not on legal hold. Each file: object deleted, then the row
    marked `purged` and its audit entry written in one commit (a crash in between leaves the row
    to purge again; deleting a missing object is a no-op). Returns what was (or would be) purged."""
    from recorder.storage import backend

    settings = settings or get_settings()
    purged, errors = [], []
    with Session(db.get_engine()) as session:
        candidates = [(r.id, r.archive_backend, r.archive_key) for r in expired(session, now)]
    for rid, backend_name, key in candidates:
        if dry_run:
            purged.append({"id": rid, "archive_key": key})
            continue
        with db.session_scope() as session:
            rec = session.get(Recording, rid)
            if rec is None:  # deleted since the listing: nothing left to purge
                continue
            if rec.legal_hold or rec.stage not in PURGEABLE:  # a hold set since the listing wins
                continue
            try:
                if key:
                    backend(settings, backend_name or None).delete(key)
                if rec.wav_path and rec.wav_deleted_at is None:
                    Path(rec.wav_path).unlink(missing_ok=True)
                    rec.wav_deleted_at = utcnow()
            except Exception as exc:
                errors.append({"id": rid, "error": str(exc)[:300]})
                continue
            detail = {
                "archive_backend": backend_name,
                "archive_key": key,
                "archive_sha256": rec.archive_sha256,
                "retention_class": rec.retention_class,
                "retain_until": rec.retain_until.isoformat() if rec.retain_until else None,
            }
            rec.stage, rec.purged_at = "purged", utcnow()
            rec.transcript, rec.transcript_text, rec.analysis = {}, "", {}
            # Dropping the wrapped data key also makes any copy left elsewhere (backups) unreadable.
            rec.archive_key, rec.wrapped_key = "", ""
            session.add(rec)
            audit(session, "recording.purge", user=user, target=f"recording:{rid}", detail=detail, client=client)
            purged.append({"id": rid, "archive_key": key})
    return {"dry_run": dry_run, "purged": purged, "errors": errors}
