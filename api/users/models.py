"""Users, their roles and API tokens."""

from datetime import datetime
from enum import Enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from centralita.timeutil import utcnow


class Role(str, Enum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"

    @property
    def rank(self) -> int:
        # A role may do everything the roles below it may do.
        return {"agent": 1, "supervisor": 2, "admin": 3}[self.value]


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(default=Role.agent.value, max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # Only a hash is stored: a database leak does not leak usable tokens.
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked: bool = False


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one username or one source address, and its lockout (api/users/throttle.py).
    In the database, so a lockout holds across API restarts and processes, with or without Redis."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_throttle_scope_key"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=8)  # "user" | "address"
    key: str = Field(max_length=64)  # the normalized username, or the address
    failures: int = 0  # within the window that started at window_start
    window_start: datetime | None = None
    locked_until: datetime | None = Field(default=None, index=True)
    lockouts: int = 0  # since the last successful login: each lockout lasts twice the one before
