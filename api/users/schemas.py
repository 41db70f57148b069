"""Users API in and out. Output never carries password_hash; input forbids unknown fields (typos get a 422)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.users.models import Role


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    # Length rules live in service.validate_password (shared with the CLI); its error names the field.
    password: str = Field(max_length=1024)
    full_name: str = Field("", max_length=200)
    role: Role = Role.agent


class UserUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")
    full_name: str | None = Field(None, max_length=200)
    role: Role | None = None
    active: bool | None = Field(None, strict=True)  # strict: 0/1 and "yes" are not booleans
    password: str | None = Field(None, max_length=1024)
