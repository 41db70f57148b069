"""Bans and the security log. Callers commit (the audit row lands with the change it describes);
`now` is always passed in, so every rule here is tested without the wall clock."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.audit import service as audit
from centralita.errors import FieldError, NotFound
from centralita.settings import Settings
from security.models import SecurityEvent, SipBan

# Asterisk's security events that mean "someone tried credentials or names that are wrong". ChallengeSent
# (every first REGISTER gets one) and FailedACL (a banned address knocking again) are not failures.
FAILURES = frozenset({"InvalidPassword", "ChallengeResponseFailed", "InvalidAccountID", "UnexpectedAddress"})
TOLL_REFUSED = "TollRefused"
REPEAT_MEMORY = timedelta(days=1)  # earlier bans within this make the next one longer
MAX_BAN_SECONDS = 7 * 86400


def remote_ip(address: str) -> str:
    """The IP in AMI's RemoteAddress ('IPV4/UDP/127.0.0.2/5060') or the dialplan's remote_addr
    ('127.0.0.2:5060', '[::1]:5060'); '' when there is none."""
    parts = address.split("/")
    candidate = parts[2] if len(parts) >= 3 else address
    if candidate.startswith("["):
        candidate = candidate[1:].split("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def parse_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise FieldError("ip", f"'{value}' is not an IP address")


def allowed(ip: str, allow_list: str) -> bool:
    """The address is on the comma list (addresses or networks; host names are skipped)."""
    address = ipaddress.ip_address(ip)
    for item in (a.strip() for a in allow_list.split(",")):
        try:
            if item and address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def never_banned(session: Session, settings: Settings) -> str:
    """CENTRALITA_SECURITY_ALLOW plus every trunk's addresses: banning the provider would cut every call."""
    from centralita.telephony.models import Trunk

    trunks = [t.match for t in session.exec(select(Trunk))]
    return ",".join([settings.security_allow, settings.trunk_match, *trunks])


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def record_event(
    session: Session, kind: str, ip: str, now: datetime, *, account: str = "", service: str = "", detail=None
) -> SecurityEvent:
    row = SecurityEvent(
        at=now, kind=kind[:40], ip=ip[:64], account=account[:100], service=service[:20], detail=detail or {}
    )
    session.add(row)
    return row


def active_ban(session: Session, ip: str, now: datetime) -> SipBan | None:
    for ban in session.exec(select(SipBan).where(SipBan.ip == ip, col(SipBan.lifted_at).is_(None))):
        if _aware(ban.expires_at) > now:
            return ban
    return None


def active_bans(session: Session, now: datetime) -> list[SipBan]:
    rows = session.exec(select(SipBan).where(col(SipBan.lifted_at).is_(None)).order_by(SipBan.ip))
    return [b for b in rows if _aware(b.expires_at) > now]


def banned_ips(session: Session, now: datetime) -> list[str]:
    """What PJSIP's ACL denies: every address with a ban in force."""
    return sorted({b.ip for b in active_bans(session, now)})


def note_failure(
    session: Session, settings: Settings, kind: str, ip: str, now: datetime, *, account: str = "", service: str = ""
) -> SipBan | None:
    """Log one failed attempt; ban its source once the threshold is reached within the window.
    Returns the new ban (the caller commits, then applies it to Asterisk)."""
    record_event(session, kind, ip, now, account=account, service=service)
    if kind not in FAILURES or allowed(ip, never_banned(session, settings)) or active_ban(session, ip, now):
        return None
    session.flush()
    since = now - timedelta(seconds=settings.security_ban_window)
    count = session.exec(
        select(func.count())
        .select_from(SecurityEvent)
        .where(SecurityEvent.ip == ip, col(SecurityEvent.kind).in_(sorted(FAILURES)), col(SecurityEvent.at) >= since)
    ).one()
    if count < settings.security_ban_threshold:
        return None
    # A source that comes back after its ban ends is banned again at once (its failures are still in the
    # window), each time twice as long: svcrack keeps knocking through a ban and resumes when it ends.
    repeats = session.exec(
        select(func.count()).select_from(SipBan).where(SipBan.ip == ip, col(SipBan.banned_at) >= now - REPEAT_MEMORY)
    ).one()
    seconds = min(settings.security_ban_seconds * 2 ** min(repeats, 10), MAX_BAN_SECONDS)
    return ban(session, ip, now, seconds, reason=f"{count} failed SIP authentications", failures=count)


def ban(session: Session, ip: str, now: datetime, seconds: int, *, reason: str, failures: int = 0, user=None) -> SipBan:
    row = SipBan(
        ip=ip, reason=reason[:200], failures=failures, banned_at=now, expires_at=now + timedelta(seconds=seconds)
    )
    session.add(row)
    audit.record(
        session,
        "security.ban",
        user=user,
        target=ip,
        detail={"reason": row.reason, "failures": failures, "seconds": seconds},
        client="security",
    )
    return row


def unban(session: Session, ip: str, now: datetime, *, user=None, client: str = "") -> SipBan:
    """An admin lifts a ban before its time (NotFound when the address is not banned)."""
    ip = parse_ip(ip)
    row = active_ban(session, ip, now)
    if row is None:
        raise NotFound("ip", f"{ip} is not banned")
    row.lifted_at, row.lifted_by = now, (getattr(user, "username", "") or "admin")[:64]
    session.add(row)
    audit.record(session, "security.unban", user=user, target=ip, detail={"ban_id": row.id}, client=client)
    return row


def expire(session: Session, now: datetime) -> list[SipBan]:
    """Lift every ban whose time is up; returns them (the caller commits, then applies)."""
    due = [
        b for b in session.exec(select(SipBan).where(col(SipBan.lifted_at).is_(None))) if _aware(b.expires_at) <= now
    ]
    for row in due:
        row.lifted_at, row.lifted_by = now, "expired"
        session.add(row)
        audit.record(
            session, "security.unban", target=row.ip, detail={"ban_id": row.id, "expired": True}, client="security"
        )
    return due


def note_toll_refused(session: Session, event: dict, now: datetime) -> SecurityEvent:
    """The dialplan refused a call to a number no outbound route allows (CentralitaTollRefused)."""
    ip = remote_ip(event.get("Source", ""))
    detail = {
        "number": event.get("Number", ""),
        "endpoint": event.get("Endpoint", ""),
        "context": event.get("From", ""),
    }
    row = record_event(session, TOLL_REFUSED, ip, now, account=detail["endpoint"], service="dialplan", detail=detail)
    audit.record(
        session, "security.toll_refused", target=detail["number"], detail={"ip": ip, **detail}, client="security"
    )
    return row


def recent_events(session: Session, limit: int = 100, kind: str | None = None) -> list[SecurityEvent]:
    query = select(SecurityEvent).order_by(col(SecurityEvent.id).desc()).limit(limit)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return list(session.exec(query))
