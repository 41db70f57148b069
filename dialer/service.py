"""Campaigns, contact lists and the do-not-call list: all the logic, no HTTP.

Mutating calls add to the caller's session and audit in it; the caller commits once, so a change
and its audit row land together (or neither does).
"""

from __future__ import annotations

import re
from datetime import datetime
from types import EllipsisType
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.audit.service import record
from api.types import DB_INT_MAX
from centralita.db import saved_id
from centralita.destinations import QUEUE_NAME_RE, QUEUE_NAME_RULE
from centralita.phones import Normalizer, UnknownRegion, check_region
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from dialer.errors import Conflict, DialerError, NotFound
from dialer.models import (
    AMD_ACTIONS,
    CONTACT_STATUSES,
    MODES,
    RETRY_OUTCOMES,
    Campaign,
    Contact,
    ContactImport,
    ContactList,
    DncEntry,
    default_retry_delays,
)
from dialer.scheduling import zone

NAME_RE = re.compile(r"^\w[\w .-]{0,63}$")
QUEUE_RE = QUEUE_NAME_RE  # the one queue pattern (centralita/destinations.py)
CALLER_ID_RE = re.compile(r"^\+?\d{3,20}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_ABANDON_TARGET = 0.03  # the FCC/Ofcom cap: a campaign may aim lower, never higher
EDITABLE = (
    "mode",
    "queue_name",
    "caller_id",
    "abandon_target",
    "max_attempts",
    "retry_delays",
    "window_days",
    "window_start",
    "window_end",
    "default_timezone",
    "priority",
    "dial_timeout",
    "amd_action",
    "broadcast_message",
    "broadcast_agent_digit",
)
ACTIONS = {
    "start": ({"stopped", "paused"}, "running"),
    "pause": ({"running"}, "paused"),
    "stop": ({"running", "paused"}, "stopped"),
}


# Validation -------------------------------------------------------------------------------------
def _check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise DialerError(field, message)


def validate_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    _check(bool(NAME_RE.match(name)), field, "1-64 letters, digits, spaces, '.', '_' or '-'")
    _check(not name.isdigit(), field, "must not be all digits (those are read as ids)")
    return name


def _int_in(values: dict, field: str, low: int, high: int) -> None:
    v = values[field]
    _check(
        isinstance(v, int) and not isinstance(v, bool) and low <= v <= high,
        field,
        f"must be a whole number from {low} to {high}",
    )


def validate_campaign(values: dict) -> dict:
    """Check every campaign attribute (the merged result of defaults/current values and changes)."""
    _check(values["mode"] in MODES, "mode", f"must be one of {', '.join(MODES)}")
    _check(
        values["queue_name"] == "" or bool(QUEUE_RE.match(values["queue_name"])),
        "queue_name",
        QUEUE_NAME_RULE,
    )
    _check(
        values["caller_id"] == "" or bool(CALLER_ID_RE.match(values["caller_id"])),
        "caller_id",
        "3-20 digits, optionally with a leading '+'",
    )
    target = values["abandon_target"]
    _check(
        isinstance(target, (int, float)) and 0 < target <= MAX_ABANDON_TARGET,
        "abandon_target",
        f"must be above 0 and at most {MAX_ABANDON_TARGET} (regulators cap abandonment at 3 %)",
    )
    values["abandon_target"] = float(target)
    _int_in(values, "max_attempts", 1, 20)
    _int_in(values, "priority", 0, 99)
    _int_in(values, "dial_timeout", 5, 120)
    delays = values["retry_delays"]
    _check(isinstance(delays, dict), "retry_delays", "must be an object of outcome: seconds")
    for outcome, seconds in delays.items():
        _check(outcome in RETRY_OUTCOMES, "retry_delays", f"{outcome!r}: outcomes are {', '.join(RETRY_OUTCOMES)}")
        _check(
            isinstance(seconds, int) and not isinstance(seconds, bool) and 0 <= seconds <= 30 * 86400,
            "retry_delays",
            f"{outcome}: seconds from 0 to 2592000",
        )
    values["retry_delays"] = {**default_retry_delays(), **delays}
    days = values["window_days"]
    _check(
        isinstance(days, list) and bool(days) and all(isinstance(d, int) and 0 <= d <= 6 for d in days),
        "window_days",
        "a non-empty list of weekdays, 0 (Monday) to 6 (Sunday)",
    )
    values["window_days"] = sorted(set(days))
    for field in ("window_start", "window_end"):
        _check(isinstance(values[field], str) and bool(HHMM_RE.match(values[field])), field, "HH:MM, 24-hour")
    _check(values["window_start"] < values["window_end"], "window_end", "must be later than window_start")
    try:
        zone(values["default_timezone"])
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DialerError("default_timezone", f"unknown time zone {values['default_timezone']!r}") from None
    _check(values["amd_action"] in AMD_ACTIONS, "amd_action", f"must be one of {', '.join(AMD_ACTIONS)}")
    _check(
        values["broadcast_agent_digit"] in ("", *"0123456789*#"),
        "broadcast_agent_digit",
        "one key: 0-9, * or #, or empty",
    )
    _check(len(values["broadcast_message"]) <= 2000, "broadcast_message", "at most 2000 characters")
    return values


def _region_zone(region: str) -> str:
    # A country with one time zone gives the campaign a sensible default; otherwise UTC until set.
    from phonenumbers import PhoneMetadata

    from centralita.phones import time_zone_of

    meta = PhoneMetadata.metadata_for_region(region)
    return (time_zone_of(f"+{meta.country_code}") if meta else "") or "UTC"


# Campaigns --------------------------------------------------------------------------------------
def _by_id_or_name(session: Session, model, key: int | str):
    # The API and the CLI accept either; an all-digit key is read as an id.
    if isinstance(key, int) or (str(key).isascii() and str(key).isdigit()):
        # An id beyond what the column holds names nothing (and must not overflow the driver).
        return session.get(model, int(key)) if 0 < int(key) <= DB_INT_MAX else None
    return session.exec(select(model).where(model.name == str(key).strip())).first()


def get_campaign(session: Session, key: int | str) -> Campaign:
    found = _by_id_or_name(session, Campaign, key)
    if found is None:
        raise NotFound("campaign", f"no campaign {key!r}")
    return found


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.priority).desc(), Campaign.name)).all())


def create_campaign(session: Session, name: str, values: dict, *, user=None, client: str = "") -> Campaign:
    name = validate_name(name)
    unknown = set(values) - set(EDITABLE)
    _check(not unknown, sorted(unknown)[0] if unknown else "", "not a campaign setting")
    defaults = Campaign(name=name, default_timezone=_region_zone(get_settings().default_region))
    merged = validate_campaign({f: values.get(f, getattr(defaults, f)) for f in EDITABLE})
    if session.exec(select(Campaign.id).where(Campaign.name == name)).first() is not None:
        raise Conflict("name", f"campaign {name!r} already exists")
    campaign = Campaign(name=name, **merged)
    session.add(campaign)
    session.flush()
    record(
        session,
        "dialer.campaign.create",
        user=user,
        target=f"campaign:{name}",
        client=client,
        detail={"mode": campaign.mode},
    )
    return campaign


def update_campaign(session: Session, campaign: Campaign, changes: dict, *, user=None, client: str = "") -> Campaign:
    unknown = set(changes) - set(EDITABLE)
    _check(not unknown, sorted(unknown)[0] if unknown else "", "not a campaign setting")
    if campaign.state == "running" and "mode" in changes and changes["mode"] != campaign.mode:
        raise Conflict("mode", "pause or stop the campaign before changing its mode")
    merged = validate_campaign({f: changes.get(f, getattr(campaign, f)) for f in EDITABLE})
    for field, value in merged.items():
        setattr(campaign, field, value)
    campaign.updated_at = utcnow()
    session.add(campaign)
    record(
        session,
        "dialer.campaign.update",
        user=user,
        target=f"campaign:{campaign.name}",
        client=client,
        detail={"fields": sorted(changes)},
    )
    return campaign


def _readiness(session: Session, campaign: Campaign) -> None:
    """What a campaign needs before it may run; each gap names its field."""
    if campaign.mode != "broadcast" or campaign.broadcast_agent_digit:
        _check(bool(campaign.queue_name), "queue_name", f"a {campaign.mode} campaign needs a queue of agents")
    if campaign.mode == "broadcast":
        _check(bool(campaign.broadcast_message.strip()), "broadcast_message", "a broadcast needs a message")
    _check(bool(campaign.caller_id), "caller_id", "outbound calls need a caller ID")
    lists = session.exec(
        select(func.count())
        .select_from(ContactList)
        .where(ContactList.campaign_id == campaign.id, col(ContactList.active).is_(True))
    ).one()
    _check(lists > 0, "lists", "attach at least one active contact list first")


def change_state(session: Session, campaign: Campaign, action: str, *, user=None, client: str = "") -> Campaign:
    """start / pause / stop; audited. The engine (to come) follows `state`."""
    if action not in ACTIONS:
        raise DialerError("action", f"must be one of {', '.join(ACTIONS)}")
    allowed_from, to = ACTIONS[action]
    if campaign.state not in allowed_from:
        raise Conflict("state", f"cannot {action} a {campaign.state} campaign")
    if action == "start":
        _readiness(session, campaign)
        campaign.started_at = utcnow()
    before = campaign.state
    campaign.state = to
    campaign.updated_at = utcnow()
    session.add(campaign)
    record(
        session,
        f"dialer.campaign.{action}",
        user=user,
        target=f"campaign:{campaign.name}",
        client=client,
        detail={"from": before, "to": to},
    )
    return campaign


# Contact lists ----------------------------------------------------------------------------------
def get_list(session: Session, key: int | str) -> ContactList:
    found = _by_id_or_name(session, ContactList, key)
    if found is None:
        raise NotFound("list", f"no contact list {key!r}")
    return found


def create_list(
    session: Session, name: str, *, campaign: str | int | None = None, region: str = "", user=None, client: str = ""
) -> ContactList:
    name = validate_name(name)
    if region:
        try:
            region = check_region(region)
        except UnknownRegion as exc:
            raise DialerError("region", str(exc)) from None
    campaign_id = get_campaign(session, campaign).id if campaign not in (None, "") else None
    if session.exec(select(ContactList.id).where(ContactList.name == name)).first() is not None:
        raise Conflict("name", f"contact list {name!r} already exists")
    contact_list = ContactList(name=name, campaign_id=campaign_id, region=region)
    session.add(contact_list)
    session.flush()
    record(
        session,
        "dialer.list.create",
        user=user,
        target=f"list:{name}",
        client=client,
        detail={"campaign_id": campaign_id},
    )
    return contact_list


def update_list(
    session: Session,
    contact_list: ContactList,
    *,
    campaign: str | int | None | EllipsisType = ...,  # `...`: leave the list's campaign as it is
    active: bool | None = None,
    user=None,
    client: str = "",
) -> ContactList:
    if campaign is not ...:
        contact_list.campaign_id = get_campaign(session, campaign).id if campaign not in (None, "") else None
    if active is not None:
        contact_list.active = active
    session.add(contact_list)
    record(
        session,
        "dialer.list.update",
        user=user,
        target=f"list:{contact_list.name}",
        client=client,
        detail={"campaign_id": contact_list.campaign_id, "active": contact_list.active},
    )
    return contact_list


def list_counts(session: Session) -> list[tuple[ContactList, dict]]:
    """Every list with its contacts counted by status."""
    counts: dict[int, dict] = {}
    rows = session.exec(
        select(Contact.list_id, Contact.status, func.count()).group_by(col(Contact.list_id), col(Contact.status))
    )
    for list_id, status, n in rows:
        counts.setdefault(list_id, {})[status] = n
    lists = session.exec(select(ContactList).order_by(col(ContactList.name))).all()
    return [(cl, counts.get(saved_id(cl), {})) for cl in lists]


def list_contacts(
    session: Session, contact_list: ContactList, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[Contact]]:
    if status is not None:
        _check(status in CONTACT_STATUSES, "status", f"must be one of {', '.join(CONTACT_STATUSES)}")
    where = [Contact.list_id == contact_list.id] + ([Contact.status == status] if status else [])
    total = session.exec(select(func.count()).select_from(Contact).where(*where)).one()
    rows = session.exec(select(Contact).where(*where).order_by(col(Contact.id)).offset(offset).limit(limit)).all()
    return int(total), list(rows)


def list_imports(session: Session, contact_list: ContactList) -> list[ContactImport]:
    return list(
        session.exec(
            select(ContactImport).where(ContactImport.list_id == contact_list.id).order_by(col(ContactImport.id).desc())
        ).all()
    )


# Do-not-call ------------------------------------------------------------------------------------
def normalize_phone(phone: str, region: str = "") -> str:
    try:
        parsed = Normalizer(region or get_settings().default_region)(phone or "")
    except UnknownRegion as exc:
        raise DialerError("region", str(exc)) from None
    _check(not parsed.error, "phone", parsed.error)
    return parsed.e164


def add_dnc(
    session: Session, phone: str, reason: str = "", *, region: str = "", user=None, client: str = ""
) -> DncEntry:
    """Block a number everywhere; its not-yet-finished contacts are closed as 'dnc' in the same commit."""
    e164 = normalize_phone(phone, region)
    _check(len(reason) <= 200, "reason", "at most 200 characters")
    if session.exec(select(DncEntry.id).where(DncEntry.phone == e164)).first() is not None:
        raise Conflict("phone", f"{e164} is already on the do-not-call list")
    entry = DncEntry(phone=e164, reason=reason)
    session.add(entry)
    for contact in session.exec(
        select(Contact).where(Contact.phone == e164, col(Contact.status).in_(("new", "scheduled")))
    ):
        contact.status = "dnc"
        session.add(contact)
    try:
        session.flush()
    except IntegrityError:  # added concurrently by someone else
        raise Conflict("phone", f"{e164} is already on the do-not-call list") from None
    record(session, "dialer.dnc.add", user=user, target=e164, client=client, detail={"reason": reason})
    return entry


def remove_dnc(session: Session, phone: str, *, region: str = "", user=None, client: str = "") -> None:
    e164 = normalize_phone(phone, region)
    entry = session.exec(select(DncEntry).where(DncEntry.phone == e164)).first()
    if entry is None:
        raise NotFound("phone", f"{e164} is not on the do-not-call list")
    session.delete(entry)
    record(session, "dialer.dnc.remove", user=user, target=e164, client=client)


def list_dnc(session: Session, limit: int = 100, offset: int = 0) -> tuple[int, list[DncEntry]]:
    total = session.exec(select(func.count()).select_from(DncEntry)).one()
    rows = session.exec(select(DncEntry).order_by(DncEntry.phone).offset(offset).limit(limit)).all()
    return int(total), list(rows)


def is_blocked(session: Session, e164: str) -> bool:
    """Checked again just before dialling: the list may have changed since the import."""
    return session.exec(select(DncEntry.id).where(DncEntry.phone == e164)).first() is not None


def due_contacts(session: Session, campaign: Campaign, now: datetime, limit: int = 100) -> list[Contact]:
    """Contacts of the campaign's active lists whose next attempt is due (windows checked by the caller)."""
    lists = select(ContactList.id).where(ContactList.campaign_id == campaign.id, col(ContactList.active).is_(True))
    due = (col(Contact.next_attempt_at).is_(None)) | (col(Contact.next_attempt_at) <= now)
    return list(
        session.exec(
            select(Contact)
            .where(col(Contact.list_id).in_(lists), col(Contact.status).in_(("new", "scheduled")), due)
            .order_by(col(Contact.attempts), col(Contact.id))
            .limit(limit)
        ).all()
    )


# Agent dispositions ------------------------------------------------------------------------------
DISPOSITION_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
WRONG_PARTY = ("wrong_party", "wrong_number")  # spoke with someone, not the person sought


def dispose(
    session: Session,
    attempt_id: int,
    user,
    disposition: str,
    *,
    right_party: bool | None = None,
    callback_at: datetime | None = None,
    now: datetime | None = None,
    client: str = "",
):
    """The agent's result of a connected call: any code closes the contact, `callback` reschedules
    it at `callback_at`, `retry` dials it again after the campaign's delay. Only the agent who took
    the call (or a supervisor) may give it, once. Adds to the session; the caller commits."""
    from api.users.models import Role
    from dialer.models import Attempt
    from dialer.scheduling import RESCHEDULE, apply_outcome

    now = now or utcnow()
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("attempt", f"no attempt {attempt_id}")
    if Role(user.role) == Role.agent and attempt.agent_user_id != user.id:
        raise DialerError("attempt", "only the agent who took this call may give its disposition", 403)
    if attempt.connected_at is None:
        raise Conflict("attempt", "only a call connected to an agent takes a disposition")
    if attempt.disposed_at is not None:
        raise Conflict("disposition", f"already given ({attempt.disposition})")
    disposition = (disposition or "").strip().lower()
    _check(
        bool(DISPOSITION_RE.match(disposition)),
        "disposition",
        "1-64 lowercase letters, digits, '_' or '-' (e.g. promesa_pago, callback, retry)",
    )
    if disposition == RESCHEDULE:
        if callback_at is None or callback_at.tzinfo is None:
            raise DialerError(
                "callback_at", "a callback needs a time with its time zone, e.g. 2026-11-23T10:00:00-06:00"
            )
        _check(callback_at > now, "callback_at", "a callback needs a time in the future")
    elif callback_at is not None:
        raise DialerError("callback_at", "only the 'callback' disposition takes a time")
    contact = session.get(Contact, attempt.contact_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    if contact is None or campaign is None:  # foreign keys: only a broken database gets here
        raise NotFound("attempt", f"attempt {attempt_id} has lost its contact or campaign")
    if contact.status == "dialing":  # still ours: settle it now (a call still up just ends later)
        apply_outcome(
            campaign,
            contact,
            "connected",
            now,
            disposition=disposition,
            callback_at=callback_at,
        )
        session.add(contact)
    attempt.disposition, attempt.disposed_at = disposition, now
    attempt.right_party = right_party if right_party is not None else disposition not in WRONG_PARTY
    session.add(attempt)
    record(
        session,
        "dialer.attempt.disposition",
        user=user,
        target=f"attempt:{attempt.id}",
        client=client,
        detail={
            "disposition": disposition,
            "contact_id": contact.id,
            "callback_at": callback_at.isoformat() if callback_at else None,
        },
    )
    return attempt, contact


def list_attempts(session: Session, campaign: Campaign, limit: int = 100, offset: int = 0) -> tuple[int, list]:
    from dialer.models import Attempt

    where = Attempt.campaign_id == campaign.id
    total = session.exec(select(func.count()).select_from(Attempt).where(where)).one()
    rows = session.exec(select(Attempt).where(where).order_by(col(Attempt.id).desc()).offset(offset).limit(limit)).all()
    return int(total), list(rows)
