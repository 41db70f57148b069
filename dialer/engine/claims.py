"""The engine's database side: claim due contacts atomically, settle attempts, recover stale claims.

A claim is one conditional UPDATE (`status` still new/scheduled and still due) per contact, in the
same transaction that inserts its `Attempt`: two engine processes, or one restarted, never get the
same contact, because the second UPDATE finds the row already `dialing` (PostgreSQL re-checks the
WHERE after the first transaction commits; SQLite serialises writers). A contact stays `dialing`
while its call is up, and after a connected call until the agent's disposition (or its timeout).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import func, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from api.users.models import User
from centralita.db import saved_id
from dialer.errors import NotFound
from dialer.models import Attempt, Campaign, Contact, ContactList, DncEntry
from dialer.scheduling import apply_outcome, in_window, zone

CHANNEL_RE = re.compile(r"^dialer-(\d+)-[0-9a-f]{6}$")
NO_DISPOSITION = "none"  # what a connected call is closed with when the agent never disposes


@dataclass(frozen=True)
class Claim:
    """A claimed contact and the attempt that will dial it (a snapshot: no session needed)."""

    attempt_id: int
    channel_id: str
    contact_id: int
    phone: str
    name: str
    fields: dict
    timezone: str


def channel_id(attempt_id: int) -> str:
    # Asterisk's uniqueid (and so the call's linkedid) for the originated channel; the random tail
    # keeps it unique even if a database is reset under the same Asterisk.
    return f"dialer-{attempt_id}-{secrets.token_hex(3)}"


def attempt_of(uniqueid: str) -> int | None:
    m = CHANNEL_RE.match(uniqueid or "")
    return int(m.group(1)) if m else None


_ZONES_TTL = 60.0  # seconds a campaign's set of contact time zones is reused (imports add zones rarely)
_zones_cache: dict[tuple[str, int], tuple[float, list[str]]] = {}  # (database, campaign) → (expiry, zones)


def _open_zones(session: Session, campaign: Campaign, lists, now: datetime) -> list[str]:
    """The contacts' time-zone values ('' = the campaign's default) whose call window is open now."""
    key = (str(session.get_bind().engine.url), saved_id(campaign))
    cached = _zones_cache.get(key)
    if cached is None or cached[0] < time.monotonic():
        values = list(
            session.exec(
                select(Contact.timezone)
                .where(col(Contact.list_id).in_(lists), col(Contact.status).in_(("new", "scheduled")))
                .distinct()
            )
        )
        cached = _zones_cache[key] = (time.monotonic() + _ZONES_TTL, values)
    open_now = []
    for value in cached[1]:
        try:
            if in_window(campaign, zone(value or campaign.default_timezone), now):
                open_now.append(value)
        except (ZoneInfoNotFoundError, ValueError):
            continue  # an unknown zone is never callable
    return open_now


def _candidates(session: Session, campaign: Campaign, now: datetime, limit: int) -> list[Contact]:
    """Due contacts whose call window is open now, best first (fewest attempts, then list order).
    The window is filtered in SQL by time zone, so contacts far away never starve near ones. On
    PostgreSQL the rows are locked and rows another claimer holds are skipped, so concurrent
    engines split the list instead of racing for the same rows."""
    lists = select(ContactList.id).where(ContactList.campaign_id == campaign.id, col(ContactList.active).is_(True))
    zones = _open_zones(session, campaign, lists, now)
    if not zones:
        return []
    due = or_(col(Contact.next_attempt_at).is_(None), col(Contact.next_attempt_at) <= now)
    query = (
        select(Contact)
        .where(
            col(Contact.list_id).in_(lists),
            col(Contact.status).in_(("new", "scheduled")),
            due,
            col(Contact.timezone).in_(zones),
        )
        .order_by(col(Contact.attempts), col(Contact.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query).all())


def claim_due(session: Session, campaign: Campaign, now: datetime, limit: int) -> list[Claim]:
    """Claim up to `limit` contacts that may be called now (due, inside their call window, not on
    the do-not-call list) and create their attempts; commits. A lost race claims fewer."""
    if limit <= 0:
        return []
    candidates = _candidates(session, campaign, now, limit * 2)
    phones = {c.phone for c in candidates}
    blocked = set(session.exec(select(DncEntry.phone).where(col(DncEntry.phone).in_(phones)))) if phones else set()
    chosen: list[Contact] = []
    for contact in candidates:
        if contact.phone in blocked:  # added to the list since the import: close it, never dial
            session.execute(
                update(Contact)
                .where(col(Contact.id) == contact.id, col(Contact.status).in_(("new", "scheduled")))
                .values(status="dnc")
            )
        elif len(chosen) < limit:
            chosen.append(contact)
    claims = []
    try:
        for contact in sorted(chosen, key=saved_id):  # one lock order for every claimer
            due = or_(col(Contact.next_attempt_at).is_(None), col(Contact.next_attempt_at) <= now)
            won = session.exec(
                update(Contact)
                .where(col(Contact.id) == contact.id, col(Contact.status).in_(("new", "scheduled")), due)
                .values(status="dialing", claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:
                continue
            attempt = Attempt(
                campaign_id=saved_id(campaign), contact_id=saved_id(contact), phone=contact.phone, started_at=now
            )
            session.add(attempt)
            session.flush()
            attempt.linkedid = channel_id(saved_id(attempt))
            claims.append(
                Claim(
                    saved_id(attempt),
                    attempt.linkedid,
                    saved_id(contact),
                    contact.phone,
                    contact.name,
                    dict(contact.fields or {}),
                    contact.timezone,
                )
            )
        session.commit()
    except OperationalError:  # SQLite busy / PostgreSQL deadlock: nothing claimed, the next pass retries
        session.rollback()
        return []
    return claims


def _contact_and_campaign(session: Session, attempt: Attempt) -> tuple[Contact, Campaign]:
    contact, campaign = session.get(Contact, attempt.contact_id), session.get(Campaign, attempt.campaign_id)
    if contact is None or campaign is None:  # the foreign keys forbid it: say so rather than crash on None
        raise NotFound("attempt", f"attempt {attempt.id} has lost its contact or campaign")
    return contact, campaign


def mark(session: Session, attempt_id: int, **values) -> Attempt | None:
    """Record what the call did so far (answered_at, amd_status, connected_at, agent); commits."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        return None
    if values.get("agent_name") and not attempt.agent_user_id:
        attempt.agent_user_id = session.exec(select(User.id).where(User.username == values["agent_name"])).first()
    for key, value in values.items():
        setattr(attempt, key, value)
    session.add(attempt)
    session.commit()
    return attempt


def finish(
    session: Session, attempt_id: int, outcome: str, now: datetime, *, message_left: bool = False
) -> Attempt | None:
    """The call ended: store its outcome; unless a human reached an agent (the disposition settles
    those), the contact is rescheduled, closed (a broadcast heard) or exhausted at once.
    Idempotent; commits."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.ended_at is not None:
        return attempt
    attempt.ended_at, attempt.outcome = now, outcome
    contact, campaign = _contact_and_campaign(session, attempt)
    if contact.status == "dialing":
        if outcome == "connected" and attempt.connected_at is not None:
            contact.claimed_at = now  # still ours until the agent disposes (or the timeout closes it)
        else:
            apply_outcome(campaign, contact, outcome, now, disposition="message_left" if message_left else "")
            if message_left:  # a broadcast left on the machine is delivered: nothing to retry
                contact.status, contact.next_attempt_at = "done", None
            attempt.disposition = contact.last_disposition
    session.add_all([attempt, contact])
    session.commit()
    return attempt


def release(session: Session, attempt_id: int) -> None:
    """The call could not even be placed (AMI refused or away): undo the claim and its attempt, as
    if never claimed; commits."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.ended_at is not None:
        return
    contact = session.get(Contact, attempt.contact_id)
    if contact is None:  # the foreign key forbids it: say so rather than crash on None
        raise NotFound("attempt", f"attempt {attempt_id} has lost its contact")
    if contact.status == "dialing":
        contact.status, contact.claimed_at = ("scheduled" if contact.attempts else "new"), None
        session.add(contact)
    session.delete(attempt)
    session.commit()


def heartbeat(session: Session, attempt_ids: list[int], now: datetime) -> None:
    """Refresh the claims of calls still up, so no sweep takes them for stale."""
    if not attempt_ids:
        return
    contacts = select(Attempt.contact_id).where(col(Attempt.id).in_(attempt_ids))
    session.execute(
        update(Contact)
        .where(col(Contact.id).in_(contacts), col(Contact.status) == "dialing")
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def stale_attempts(session: Session, now: datetime, older_than: float) -> list[Attempt]:
    """Open attempts (call not ended) whose contact's claim was not refreshed for `older_than` s."""
    cutoff = now - timedelta(seconds=older_than)
    return list(
        session.exec(
            select(Attempt)
            .join(Contact, col(Contact.id) == col(Attempt.contact_id))
            .where(Contact.status == "dialing", col(Contact.claimed_at) < cutoff, col(Attempt.ended_at).is_(None))
        )
    )


def recover(session: Session, attempts: list[Attempt], live_channels: set[str], now: datetime) -> list[int]:
    """Settle stale attempts whose channel Asterisk no longer has as `failed` (retried after the
    campaign's delay: a contact is never lost); ones still up are left alone. Commits."""
    recovered = []
    for attempt in attempts:
        if attempt.linkedid in live_channels:
            continue
        finish(session, saved_id(attempt), "failed", now)
        recovered.append(saved_id(attempt))
    return recovered


def close_undisposed(session: Session, now: datetime, timeout: float) -> int:
    """Connected calls that ended `timeout` s ago without a disposition are closed; commits."""
    cutoff = now - timedelta(seconds=timeout)
    rows = session.exec(
        select(Attempt)
        .join(Contact, col(Contact.id) == col(Attempt.contact_id))
        .where(
            Attempt.outcome == "connected",
            col(Attempt.disposed_at).is_(None),
            col(Attempt.ended_at) < cutoff,
            Contact.status == "dialing",
        )
    ).all()
    for attempt in rows:
        contact, campaign = _contact_and_campaign(session, attempt)
        apply_outcome(campaign, contact, "connected", now, disposition=NO_DISPOSITION)
        attempt.disposition, attempt.disposed_at = NO_DISPOSITION, now
        session.add_all([attempt, contact])
    session.commit()
    return len(rows)


def contacts_left(session: Session, campaign: Campaign) -> int:
    lists = select(ContactList.id).where(ContactList.campaign_id == campaign.id, col(ContactList.active).is_(True))
    return int(
        session.exec(
            select(func.count())
            .select_from(Contact)
            .where(col(Contact.list_id).in_(lists), col(Contact.status).in_(("new", "scheduled", "dialing")))
        ).one()
    )
