"""Archive storage: backends (local directory, S3-compatible), encryption at rest, and `fetch`.

`store` seals (when keys are configured) and writes one recording's archive copy; `fetch` reads it
back, checks the stored bytes' sha256 and returns the decrypted Opus bytes (playback, download and
the pipeline's own read-back verification use it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from centralita.settings import Settings, get_settings
from recorder.storage import crypto
from recorder.storage.backends import Backend, StorageError, backend

__all__ = ["Stored", "StorageError", "backend", "fetch", "object_key", "store", "Backend"]


class IntegrityError(StorageError):
    """The stored object's sha256 differs from the one recorded when it was stored."""


@dataclass(frozen=True)
class Stored:
    backend: str
    key: str
    sha256: str  # of the stored (possibly encrypted) bytes
    bytes: int
    key_id: str
    wrapped_key: str


def object_key(recording) -> str:
    """Deterministic per recording: YYYY/MM/DD/<id>-<uniqueid>.opus[.enc]."""
    day = recording.started_at.strftime("%Y/%m/%d")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in recording.uniqueid)
    return f"{day}/{recording.id}-{safe}.opus"


def store(recording, opus: bytes, settings: Settings | None = None) -> Stored:
    settings = settings or get_settings()
    blob, key_id, wrapped = crypto.encrypt(crypto.keyring(settings), opus)
    where = backend(settings)
    key = object_key(recording) + (".enc" if wrapped else "")
    where.put(key, blob)
    return Stored(where.name, key, hashlib.sha256(blob).hexdigest(), len(blob), key_id, wrapped)


def fetch(recording, settings: Settings | None = None) -> bytes:
    """The recording's archive copy (Ogg/Opus), checked against its sha256 and decrypted."""
    settings = settings or get_settings()
    if not recording.archive_key:
        raise StorageError(f"recording {recording.id} has no archive copy (stage {recording.stage})")
    blob = backend(settings, recording.archive_backend or None).get(recording.archive_key)
    if hashlib.sha256(blob).hexdigest() != recording.archive_sha256:
        raise IntegrityError(f"recording {recording.id}: stored archive sha256 mismatch ({recording.archive_key})")
    return crypto.decrypt(crypto.keyring(settings), blob, recording.key_id, recording.wrapped_key)
