"""Slowing down password guessing at /login and POST /api/auth/token, per username and per source
address, with the state in the database (it survives restarts and is shared by every API process).

Each key (a username as typed, normalized, whether or not it exists — so a lockout reveals nothing
about which users exist — and a source address) counts its failed logins in a window. Reaching the
limit locks the key: the first lockout lasts `base` seconds, each later one twice the one before,
up to `cap`. While either key of a request is locked the password is not even checked: the answer is
429 with Retry-After. A successful login resets its username (not its address: one valid account
must not buy an attacker more guesses against others). Every lockout is audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.audit.service import record
from api.users.models import LoginThrottle


@dataclass(frozen=True)
class Policy:
    failures: int  # failed logins within `window` that lock the key
    window: timedelta
    base: timedelta  # the first lockout; each later one doubles, up to `cap`
    cap: timedelta


USER = Policy(failures=5, window=timedelta(minutes=15), base=timedelta(minutes=1), cap=timedelta(hours=1))
# A larger budget per address: many people may log in from behind one NAT.
ADDRESS = Policy(failures=30, window=timedelta(minutes=15), base=timedelta(minutes=5), cap=timedelta(hours=1))
POLICIES = {"user": USER, "address": ADDRESS}


class Locked(Exception):
    """Too many failures: try again in `retry_after` seconds."""

    def __init__(self, scope: str, retry_after: int):
        super().__init__(f"too many failed logins for this {'user' if scope == 'user' else 'address'}")
        self.scope, self.retry_after = scope, retry_after


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    keys = [("user", (username or "").strip().lower()[:64])]
    if address:
        keys.append(("address", address[:64]))
    return keys


def _row(session: Session, scope: str, key: str) -> LoginThrottle | None:
    return session.exec(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)).first()


def check(session: Session, username: str, address: str, now: datetime) -> None:
    """Raise Locked when the username or the address is locked at `now`."""
    waits = []
    for scope, key in _keys(username, address):
        row = _row(session, scope, key)
        until = _aware(row.locked_until) if row else None
        if until is not None and until > now:
            waits.append((math.ceil((until - now).total_seconds()), scope))
    if waits:
        seconds, scope = max(waits)
        raise Locked(scope, seconds)


def failed(session: Session, username: str, address: str, now: datetime, *, channel: str) -> None:
    """Count one failed login for both keys; lock those that reach their limit (audited). Caller commits."""
    # No autoflush while reading the second key: the first key's new row must reach the database in the
    # one flush below, where a concurrent insert of the same key is caught (the fuzzer's parallel
    # requests hit it as an IntegrityError inside the query otherwise).
    with session.no_autoflush:
        _count(session, username, address, now, channel)
    try:
        session.flush()
    except IntegrityError:  # the same key's first failure, counted concurrently: this one is lost
        session.rollback()
    _forget_stale(session, now)


def _count(session: Session, username: str, address: str, now: datetime, channel: str) -> None:
    for scope, key in _keys(username, address):
        policy = POLICIES[scope]
        row = _row(session, scope, key) or LoginThrottle(scope=scope, key=key)
        start = _aware(row.window_start)
        if start is None or now - start > policy.window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= policy.failures:
            seconds = min(policy.base.total_seconds() * 2**row.lockouts, policy.cap.total_seconds())
            row.locked_until = now + timedelta(seconds=seconds)
            row.lockouts += 1
            row.failures, row.window_start = 0, None
            record(
                session,
                "auth.lockout",
                target=f"{scope}:{key}",
                detail={"via": channel, "scope": scope, "seconds": int(seconds), "lockout": row.lockouts},
                client=address,
            )
        session.add(row)


def succeeded(session: Session, username: str, now: datetime) -> None:
    """A successful login clears its username's failures and lockout history. Caller commits."""
    session.exec(
        delete(LoginThrottle).where(
            col(LoginThrottle.scope) == "user", col(LoginThrottle.key) == (username or "").strip().lower()[:64]
        )
    )


def _forget_stale(session: Session, now: datetime) -> None:
    # Keys guessed at once and never again (random usernames) must not pile up: a row whose window
    # and lockout both ended a day ago carries nothing worth keeping.
    old = now - timedelta(days=1)
    session.exec(
        delete(LoginThrottle).where(
            or_(col(LoginThrottle.window_start).is_(None), col(LoginThrottle.window_start) < old),
            or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < old),
        )
    )
