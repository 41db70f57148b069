"""When a contact may be called, and what an attempt's outcome or disposition does to it. Pure logic.

The dialing engine asks `callable_now` before claiming a contact and calls `apply_outcome` when the
call (and the agent's disposition) ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dialer.errors import DialerError
from dialer.models import OUTCOMES, Campaign, Contact

# Dispositions an agent may give; anything else is a campaign-specific result code that closes.
RESCHEDULE, RETRY = "callback", "retry"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def contact_zone(campaign: Campaign, contact: Contact) -> ZoneInfo:
    return zone(contact.timezone or campaign.default_timezone)


def in_window(campaign: Campaign, tz: ZoneInfo, now: datetime) -> bool:
    """Is `now` (aware) inside the campaign's call window in the contact's zone?"""
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return local.weekday() in campaign.window_days and _minutes(campaign.window_start) <= minute < _minutes(
        campaign.window_end
    )


def callable_now(campaign: Campaign, contact: Contact, now: datetime) -> bool:
    if contact.status not in ("new", "scheduled"):
        return False
    if contact.next_attempt_at is not None and contact.next_attempt_at > now:
        return False
    return in_window(campaign, contact_zone(campaign, contact), now)


def apply_outcome(
    campaign: Campaign,
    contact: Contact,
    outcome: str,
    now: datetime,
    *,
    disposition: str = "",
    callback_at: datetime | None = None,
) -> None:
    """Update the contact after an attempt: close, reschedule (callback) or retry after the delay."""
    if outcome not in OUTCOMES:
        raise DialerError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    contact.attempts += 1
    contact.last_outcome = outcome
    contact.last_disposition = disposition[:64]
    contact.claimed_at = None
    if disposition == RESCHEDULE:
        if callback_at is None or callback_at <= now:
            raise DialerError("callback_at", "a callback needs a time in the future")
        contact.status, contact.next_attempt_at = "scheduled", callback_at
        return
    if outcome == "connected" and disposition != RETRY:
        contact.status, contact.next_attempt_at = "done", None
        return
    if contact.attempts >= campaign.max_attempts:
        contact.status, contact.next_attempt_at = "exhausted", None
        return
    delay = campaign.retry_delays.get(outcome if outcome != "connected" else "no_answer", 3600)
    contact.status, contact.next_attempt_at = "scheduled", now + timedelta(seconds=int(delay))
