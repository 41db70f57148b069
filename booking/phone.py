"""The database side of a booking by phone (the dialogue is booking/agi.py). Each function is one
transaction's work through booking.service and returns plain values, never rows: the caller commits
once, or rolls back and nothing of it stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from booking import service
from booking.models import BookingService
from centralita.errors import Conflict, FieldError, NotFound
from centralita.timeutil import as_utc

CLIENT = "ivr"  # the audit's `client` for what callers do by phone


@dataclass(frozen=True)
class Held:
    """An offered slot and the hold that keeps its place for this caller."""

    start: datetime
    token: str


@dataclass(frozen=True)
class Existing:
    code: str
    start: datetime
    day: str


def rules(session: Session, name: str) -> BookingService | None:
    """The service (detached: its identity rules and zone are read after the session closes), or None."""
    try:
        row = service.get_service(session, name)
    except NotFound:
        return None
    session.expunge(row)
    return row


def active(session: Session, name: str, identity: str) -> Existing | None:
    rows = [r for r in service.find(session, name, identity=identity) if r.status == "booked"]
    return Existing(rows[0].code, as_utc(rows[0].start), rows[0].day) if rows else None


def offer(
    session: Session, name: str, identity: str, after: datetime, now: datetime, count: int, seconds: float
) -> list[Held]:
    """Hold up to `count` of the next free slots later than `after`. A slot another caller took in the
    meantime is skipped (its hold refused by the database, not by a read)."""
    svc = service.get_service(session, name)
    held: list[Held] = []
    cursor = after
    while len(held) < count:
        start = service.next_free(session, svc, cursor, now)
        if start is None:
            break
        cursor = start
        try:
            with session.begin_nested():  # a refused hold rolls back only itself
                row = service.hold(session, name, start, now, seconds, identity)
        except (Conflict, FieldError):
            continue
        held.append(Held(as_utc(start), row.token))
    return held


def confirm(session: Session, name: str, identity: str, chosen: Held, others: list[str], now: datetime) -> str:
    """Book the chosen slot with its hold and give back the places of the others: one transaction."""
    row = service.book(session, name, identity, chosen.start, now, hold_token=chosen.token, client=CLIENT)
    for token in others:
        service.release_hold(session, token)
    return row.code


def release(session: Session, tokens: list[str]) -> None:
    for token in tokens:
        service.release_hold(session, token)


def cancel(session: Session, name: str, existing: Existing, now: datetime) -> None:
    """Through the service's own cancel, so whatever hangs on a cancellation (the waitlist) runs too."""
    service.cancel(session, name, existing.code, now, day=date.fromisoformat(existing.day), client=CLIENT)
