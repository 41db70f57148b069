"""Who is calling, and may they? Every route except health, token issue, login page and static files
depends on one of these (a test walks the app's routes to keep it so)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from starlette.requests import HTTPConnection

from api.users import service
from api.users.models import Role, User
from centralita.db import get_session

# auto_error=False: a missing header must fall through to the web session cookie.
# The tokenUrl gives /docs its "Authorize" button.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

SESSION_USER = "user_id"
SESSION_MARKER = "auth"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _session_user(request: HTTPConnection, session: Session) -> User | None:
    # HTTPConnection: a websocket (the event stream) carries the same session as a page request.
    if "session" not in request.scope:  # no SessionMiddleware (e.g. a bare test app)
        return None
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or request.session.get(SESSION_MARKER) != service.session_marker(user):
        request.session.clear()  # stale: user gone, deactivated or password changed
        return None
    return user


def optional_user(
    request: Request, token: str | None = Depends(oauth2_scheme), session: Session = Depends(get_session)
) -> User | None:
    """The caller, or None. A presented bearer token wins over the cookie (and is not rescued by it)."""
    if token:
        user = service.resolve_token(session, token)
        if user is not None:
            request.state.auth_token = token  # lets /api/auth/logout revoke exactly this token
        return user
    return _session_user(request, session)


def current_user(
    request: Request, token: str | None = Depends(oauth2_scheme), session: Session = Depends(get_session)
) -> User:
    user = optional_user(request, token, session)
    if user is None:
        raise _unauthorized("invalid, expired or revoked token" if token else "not authenticated")
    request.state.user = user
    return user


def require_role(role: Role) -> Callable[..., User]:
    """Dependency factory: the caller's role must rank at least `role` (admin > supervisor > agent)."""

    def dependency(user: User = Depends(current_user)) -> User:
        have = Role(user.role)
        if have.rank < role.rank:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"requires role '{role.value}' or higher (you are '{have.value}')"
            )
        return user

    dependency.__name__ = f"require_{role.value}"
    return dependency


require_agent = require_role(Role.agent)
require_supervisor = require_role(Role.supervisor)
require_admin = require_role(Role.admin)


def web_user(
    request: Request, token: str | None = Depends(oauth2_scheme), session: Session = Depends(get_session)
) -> User:
    """Like current_user, but a browser without a session is sent to the login page instead of a 401."""
    user = optional_user(request, token, session)
    if user is None:
        raise HTTPException(status.HTTP_303_SEE_OTHER, detail="login required", headers={"Location": "/login"})
    request.state.user = user
    return user


def client_of(request: Request) -> str:
    """The caller's address, recorded in the audit log."""
    return request.client.host if request.client else ""
