"""A worker's claim on one recording: a lease in the database row, taken with one conditional
UPDATE (atomic on SQLite and PostgreSQL), renewed while the worker works, released at the end.
A worker killed with SIGKILL cannot release it; the lease then simply expires."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col

from centralita import db
from centralita.timeutil import utcnow
from recorder.models import Recording


def owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def acquire(recording_id: int, owner: str, lease: float) -> bool:
    """True if `owner` now holds the recording (it was free, expired, or already ours)."""
    now = utcnow()
    stmt = (
        update(Recording)
        .where(
            col(Recording.id) == recording_id,
            or_(
                col(Recording.claimed_until).is_(None),
                col(Recording.claimed_until) < now,
                col(Recording.claimed_by) == owner,
            ),
        )
        .values(claimed_by=owner, claimed_until=now + timedelta(seconds=lease))
    )
    with db.session_scope() as session:
        return session.exec(stmt).rowcount == 1


def renew(recording_id: int, owner: str, lease: float) -> bool:
    stmt = (
        update(Recording)
        .where(col(Recording.id) == recording_id, col(Recording.claimed_by) == owner)
        .values(claimed_until=utcnow() + timedelta(seconds=lease))
    )
    with db.session_scope() as session:
        return session.exec(stmt).rowcount == 1


def release(recording_id: int, owner: str) -> None:
    stmt = (
        update(Recording)
        .where(col(Recording.id) == recording_id, col(Recording.claimed_by) == owner)
        .values(claimed_by="", claimed_until=None)
    )
    with db.session_scope() as session:
        session.exec(stmt)


class Lease:
    """Holds a claim for a `with` block, renewing it every third of the lease from a thread;
    `extra` runs at each renewal too (the worker refreshes its queue heartbeat there)."""

    def __init__(self, recording_id: int, owner: str, lease: float, extra=None):
        self.recording_id, self.owner, self.lease, self.extra = recording_id, owner, lease, extra
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    def __enter__(self) -> Lease:
        self._thread = threading.Thread(target=self._renew, name=f"lease-{self.recording_id}", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                if not renew(self.recording_id, self.owner, self.lease):
                    self.lost = True
                if self.extra:
                    self.extra()
            except Exception:
                pass

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        release(self.recording_id, self.owner)
