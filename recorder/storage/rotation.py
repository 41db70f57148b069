"""Key rotation: re-wrap the data keys of archive files with the current master key, in batches,
in the database only. Each batch is one transaction, so an interrupted rotation resumes where it
stopped; the archive files are never read or rewritten."""

from __future__ import annotations

from sqlmodel import Session, col, select

from centralita import db
from centralita.settings import Settings, get_settings
from recorder.models import Recording
from recorder.storage import crypto


def rotate(batch: int = 500, settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    ring = crypto.keyring(settings)
    if not ring.enabled:
        raise crypto.CryptoError("CENTRALITA_RECORDER_ARCHIVE_KEYS: no master key configured, nothing to rotate to")
    rewrapped, last_id = 0, 0
    while True:
        with Session(db.get_engine()) as session:
            rows = list(
                session.exec(
                    select(Recording)
                    .where(
                        col(Recording.id) > last_id,
                        col(Recording.wrapped_key) != "",
                        col(Recording.key_id) != ring.current,
                    )
                    .order_by(col(Recording.id))
                    .limit(batch)
                )
            )
            if not rows:
                break
            for rec in rows:
                data_key = crypto.unwrap(ring, rec.key_id, rec.wrapped_key)
                rec.key_id, rec.wrapped_key = crypto.wrap(ring, data_key)
                session.add(rec)
            session.commit()
            rewrapped += len(rows)
            last_id = db.saved_id(rows[-1])
    return {"current_key": ring.current, "rewrapped": rewrapped}
