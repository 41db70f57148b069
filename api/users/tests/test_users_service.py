"""Service-level rules for users and tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from api.audit.models import AuditLog
from api.users import service
from api.users.models import ApiToken, User
from centralita.db import session_scope
from centralita.timeutil import utcnow

PW = "correct-horse-1"


def test_password_is_hashed_with_argon2(stack_env):
    with session_scope() as s:
        user = service.create_user(s, "Ana", PW, role="supervisor", full_name="Ana Pérez")
        assert user.username == "ana"  # normalized: "Ana" and "ana" are one account
        assert user.password_hash.startswith("$argon2id$") and PW not in user.password_hash
        assert service.authenticate(s, "ANA", PW).id == user.id
        assert service.authenticate(s, "ana", "wrong-password") is None
        assert service.authenticate(s, "nobody", PW) is None


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"username": "bad name", "password": PW}, "username"),
        ({"username": "", "password": PW}, "username"),
        ({"username": "eva", "password": "short"}, "password"),
        ({"username": "eva", "password": PW, "role": "root"}, "role"),
    ],
)
def test_create_user_rejects_bad_input_naming_the_field(stack_env, kwargs, field):
    with session_scope() as s:
        with pytest.raises(service.ServiceError) as err:
            service.create_user(s, **kwargs)
        assert err.value.field == field and err.value.status == 422
        assert s.exec(select(User)).all() == []
        assert s.exec(select(AuditLog)).all() == []


def test_duplicate_username_is_a_conflict(stack_env):
    with session_scope() as s:
        service.create_user(s, "luis", PW)
        with pytest.raises(service.Conflict) as err:
            service.create_user(s, "LUIS", PW + "x")
        assert err.value.field == "username"
        assert len(s.exec(select(User)).all()) == 1


def test_token_lifecycle_stores_only_a_hash(stack_env):
    with session_scope() as s:
        user = service.create_user(s, "marta", PW)
        raw, token = service.issue_token(s, user)
        assert token.token_hash == service.token_digest(raw) and raw not in token.token_hash
        ttl = token.expires_at - utcnow()
        assert timedelta(hours=11, minutes=59) < ttl <= timedelta(hours=12)  # token_ttl_hours default
        assert service.resolve_token(s, raw).id == user.id
        assert service.resolve_token(s, raw + "x") is None
        assert service.revoke_token(s, raw, by=user) is True
        assert service.resolve_token(s, raw) is None
        assert service.revoke_token(s, raw) is False  # second revoke is a no-op, not an error
        assert s.exec(select(AuditLog).where(AuditLog.action == "auth.token_revoked")).one().username == "marta"


def test_expired_token_and_inactive_user_are_refused(stack_env):
    with session_scope() as s:
        user = service.create_user(s, "pablo", PW)
        raw, token = service.issue_token(s, user)
        token.expires_at = utcnow() - timedelta(seconds=1)
        s.add(token)
        s.commit()
        assert service.resolve_token(s, raw) is None
        raw2, _ = service.issue_token(s, user)
        service.set_active(s, user.id, False)
        assert service.resolve_token(s, raw2) is None
        assert service.authenticate(s, "pablo", PW) is None


def test_password_change_revokes_tokens(stack_env):
    with session_scope() as s:
        user = service.create_user(s, "rosa", PW)
        raw, _ = service.issue_token(s, user)
        service.set_password(s, user.id, "another-password-2")
        assert service.resolve_token(s, raw) is None
        assert service.authenticate(s, "rosa", "another-password-2") is not None
        assert all(t.revoked for t in s.exec(select(ApiToken)).all())


def test_first_admin_is_created_once_and_last_admin_is_protected(stack_env):
    with session_scope() as s:
        password = service.ensure_first_admin(s)
        assert password and len(password) >= 16
        assert service.ensure_first_admin(s) is None
        admin = service.authenticate(s, "admin", password)
        assert admin is not None and admin.role == "admin"
        with pytest.raises(service.Conflict) as err:
            service.set_role(s, admin.id, "agent")
        assert err.value.field == "role"
        with pytest.raises(service.Conflict):
            service.set_active(s, admin.id, False)
        assert s.get(User, admin.id).role == "admin"


def test_login_outcomes_are_audited(stack_env):
    with session_scope() as s:
        service.create_user(s, "sofia", PW)
        service.authenticate(s, "sofia", PW, client="10.0.0.1")
        service.authenticate(s, "sofia", "nope-nope-nope")
        service.authenticate(s, "ghost", PW)
        rows = s.exec(select(AuditLog).order_by(AuditLog.id)).all()
        assert [r.action for r in rows] == ["user.created", "auth.login", "auth.login_failed", "auth.login_failed"]
        assert rows[1].username == "sofia" and rows[1].client == "10.0.0.1"
        assert [r.detail["reason"] for r in rows[2:]] == ["bad password", "unknown user"]
        assert rows[3].target == "user:ghost"
