"""Users, their roles and API tokens."""

from datetime import datetime
from enum import Enum

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
