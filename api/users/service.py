"""Users, passwords and API tokens: all the logic, no HTTP. Each mutating call audits and commits once."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.audit.service import record
from api.users import throttle
from api.users.models import ApiToken, Role, User
from centralita.errors import Conflict, FieldError, NotFound
from centralita.settings import get_settings
from centralita.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
FIRST_ADMIN = "admin"


ServiceError = FieldError  # bad input; `field` names what to fix, `status` is the HTTP answer


_hasher = PasswordHash.recommended()  # argon2id with pwdlib's current parameters


@lru_cache
def _dummy_hash() -> str:
    # Verified against for unknown usernames so both failures cost the same time (no user enumeration).
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# Validation -------------------------------------------------------------------------------------
def normalize_username(username: str) -> str:
    # Lower case: "Admin" and "admin" must not be two people.
    return (username or "").strip().lower()


def validate_role(role: str | Role) -> Role:
    try:
        return Role(role.value if isinstance(role, Role) else str(role).strip().lower())
    except ValueError:
        raise ServiceError("role", f"must be one of {', '.join(r.value for r in Role)} (got {role!r})") from None


def validate_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ServiceError("password", "must be at most 1024 characters")
    return password


def generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits


# Users ------------------------------------------------------------------------------------------
def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("id", f"no user with id {user_id}")
    return user


def get_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == normalize_username(username))).first()


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))).all())


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: str | Role = Role.agent,
    full_name: str = "",
    by: User | None = None,
    client: str = "",
) -> User:
    """Validate everything before writing, so a rejected request leaves no trace but its error."""
    name = normalize_username(username)
    if not USERNAME_RE.match(name):
        raise ServiceError("username", "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    role = validate_role(role)
    validate_password(password)
    if len(full_name or "") > 200:
        raise ServiceError("full_name", "must be at most 200 characters")
    if get_by_username(session, name) is not None:
        raise Conflict("username", f"user {name!r} already exists")
    user = User(
        username=name, full_name=(full_name or "").strip(), role=role.value, password_hash=hash_password(password)
    )
    session.add(user)
    try:
        session.flush()  # assigns the id the audit row refers to
    except IntegrityError:  # created concurrently between the check and the insert
        session.rollback()
        raise Conflict("username", f"user {name!r} already exists") from None
    record(session, "user.created", user=by, target=f"user:{name}", detail={"role": role.value}, client=client)
    session.commit()
    session.refresh(user)
    return user


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.admin.value, col(User.active).is_(True))
    ).one()


def update_user(
    session: Session,
    user_id: int,
    *,
    by: User | None = None,
    client: str = "",
    full_name: str | None = None,
    role: str | Role | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change what is given; refuse to remove the last active admin (that would lock everyone out)."""
    user = get_user(session, user_id)
    changes: dict = {}
    if full_name is not None:
        if len(full_name) > 200:
            raise ServiceError("full_name", "must be at most 200 characters")
        changes["full_name"] = full_name.strip()
    if role is not None:
        changes["role"] = validate_role(role).value
    if active is not None:
        changes["active"] = bool(active)
    if password is not None:
        validate_password(password)
    was_admin = user.role == Role.admin.value and user.active
    stays_admin = changes.get("role", user.role) == Role.admin.value and changes.get("active", user.active)
    if was_admin and not stays_admin and _active_admins(session) <= 1:
        raise Conflict("role" if "role" in changes else "active", "cannot remove the last active admin")
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(password)
        _revoke_all(session, user)  # a new password ends every session opened with the old one
    session.add(user)
    audited = changes | ({"password": "changed"} if password is not None else {})
    record(session, "user.updated", user=by, target=f"user:{user.username}", detail=audited, client=client)
    session.commit()
    session.refresh(user)
    return user


def set_password(session: Session, user_id: int, password: str, *, by: User | None = None, client: str = "") -> User:
    return update_user(session, user_id, password=password, by=by, client=client)


def set_role(session: Session, user_id: int, role: str | Role, *, by: User | None = None, client: str = "") -> User:
    return update_user(session, user_id, role=role, by=by, client=client)


def set_active(session: Session, user_id: int, active: bool, *, by: User | None = None, client: str = "") -> User:
    return update_user(session, user_id, active=active, by=by, client=client)


def ensure_first_admin(session: Session, *, client: str = "cli") -> str | None:
    """Create (or recover) user 'admin' with a random password when no active admin exists.

    Returns the password exactly once, for `make up` to print; None when an admin already exists.
    An existing, non-admin 'admin' account is promoted and given the new password: this needs shell
    access to the server, which already implies full access to the database.
    """
    if _active_admins(session) > 0:
        return None
    password = generate_password()
    user = get_by_username(session, FIRST_ADMIN)
    if user is None:
        user = User(
            username=FIRST_ADMIN,
            full_name="Administrador",
            role=Role.admin.value,
            password_hash=hash_password(password),
        )
        session.add(user)
    else:
        user.role, user.active, user.password_hash = Role.admin.value, True, hash_password(password)
        _revoke_all(session, user)
        session.add(user)
    record(session, "user.bootstrap_admin", target=f"user:{FIRST_ADMIN}", client=client)
    session.commit()
    return password


# Authentication and tokens ----------------------------------------------------------------------
def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client: str = "",
    channel: str = "api",
    now: datetime | None = None,
) -> User | None:
    """The user when the password matches an active account, else None. Both outcomes are audited.

    Raises throttle.Locked, without checking the password, while the username or the client address
    is locked out after too many failures (api/users/throttle.py)."""
    now = now or utcnow()
    throttle.check(session, username, client, now)
    user = get_by_username(session, username)
    ok = _hasher.verify(password or "", user.password_hash if user else _dummy_hash())
    if ok and user is not None and user.active:
        record(session, "auth.login", user=user, target=f"user:{user.username}", detail={"via": channel}, client=client)
        throttle.succeeded(session, username, now)
        session.commit()
        return user
    reason = "unknown user" if user is None else ("inactive" if not user.active else "bad password")
    record(
        session,
        "auth.login_failed",
        target=f"user:{normalize_username(username)[:64]}",
        detail={"via": channel, "reason": reason},
        client=client,
    )
    session.commit()  # the failure is on record even if counting it below loses a race
    throttle.failed(session, username, client, now, channel=channel)
    session.commit()
    return None


def session_marker(user: User) -> str:
    # Stored in the web session beside user_id: a password change thus also ends web sessions.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue_token(session: Session, user: User) -> tuple[str, ApiToken]:
    """A new bearer token; only its sha256 is stored, so the raw value is returned this once."""
    raw = secrets.token_urlsafe(32)
    assert user.id is not None  # a stored user
    token = ApiToken(
        user_id=user.id,
        token_hash=token_digest(raw),
        expires_at=utcnow() + timedelta(hours=get_settings().token_ttl_hours),
    )
    session.add(token)
    session.commit()
    session.refresh(token)
    return raw, token


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resolve_token(session: Session, raw: str) -> User | None:
    """The active user a token belongs to, or None if unknown, revoked, expired or the user is inactive."""
    if not raw:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).first()
    if token is None or token.revoked or _as_utc(token.expires_at) <= utcnow():
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None


def revoke_token(session: Session, raw: str, *, by: User | None = None, client: str = "") -> bool:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(raw))).first()
    if token is None or token.revoked:
        return False
    token.revoked = True
    session.add(token)
    record(session, "auth.token_revoked", user=by, target=f"token:{token.id}", client=client)
    session.commit()
    return True


def _revoke_all(session: Session, user: User) -> None:
    for token in session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked == False)).all():  # noqa: E712
        token.revoked = True
        session.add(token)
