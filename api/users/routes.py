"""Thin HTTP layer over api.users.service: tokens, the caller's profile, and user admin."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import client_of, current_user, require_admin, require_supervisor
from api.errors import responses
from api.types import Id
from api.users import service
from api.users.models import Role, User
from api.users.schemas import LoginRequest, TokenOut, UserCreate, UserOut, UserUpdate
from centralita.db import get_session
from centralita.settings import get_settings
from centralita.telephony.apply import after_commit

router = APIRouter()

_LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": LoginRequest.model_json_schema()},
        "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
    },
}


async def login_body(request: Request) -> LoginRequest:
    """JSON for scripts, or the OAuth2 password form that /docs' Authorize button sends."""
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            data = {k: form.get(k) for k in ("username", "password") if k in form}
        else:
            data = await request.json()
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    except ValueError:  # body is not JSON
        raise RequestValidationError(
            [{"loc": ["body"], "msg": "expected a JSON object or a form", "type": "value_error"}]
        ) from None


@router.post(
    "/auth/token",
    response_model=TokenOut,
    tags=["auth"],
    openapi_extra={"requestBody": _LOGIN_BODY},
    responses=responses(401, 422, 429),
)
def issue_token(
    request: Request, body: LoginRequest = Depends(login_body), session: Session = Depends(get_session)
) -> TokenOut:
    now = request.app.state.clock()
    user = service.authenticate(session, body.username, body.password, client=client_of(request), now=now)
    if user is None:
        # One message for unknown user and bad password: the answer must not reveal which usernames exist.
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="invalid username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    raw, token = service.issue_token(session, user)
    return TokenOut(access_token=raw, expires_at=token.expires_at, role=Role(user.role))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(request: Request, user: User = Depends(current_user), session: Session = Depends(get_session)) -> Response:
    raw = getattr(request.state, "auth_token", None)
    if raw:
        service.revoke_token(session, raw, by=user, client=client_of(request))
    elif "session" in request.scope:
        request.session.clear()  # authenticated by the web cookie: end that session instead
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me", response_model=UserOut, tags=["users"])
def me(user: User = Depends(current_user)) -> User:
    return user


# Supervisors read the list (the settings page shows it to them, and they manage the agents); only
# admins create or change users.
@router.get("/users", response_model=list[UserOut], tags=["users"], dependencies=[Depends(require_supervisor)])
def list_users(session: Session = Depends(get_session)) -> list[User]:
    return service.list_users(session)


@router.post(
    "/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["users"], responses=responses(409)
)
def create_user(
    body: UserCreate, request: Request, admin: User = Depends(require_admin), session: Session = Depends(get_session)
) -> User:
    return service.create_user(
        session,
        body.username,
        body.password,
        role=body.role,
        full_name=body.full_name,
        by=admin,
        client=client_of(request),
    )


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"], responses=responses(404, 409))
def update_user(
    user_id: Id,
    body: UserUpdate,
    request: Request,
    admin: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> User:
    fields = body.model_dump(exclude_unset=True)
    for key in ("role", "active"):
        if key in fields and fields[key] is None:  # explicit null would mean "no role"
            raise service.ServiceError(key, "must not be null")
    changed = service.update_user(session, user_id, by=admin, client=client_of(request), **fields)
    if "active" in fields:
        # An agent's phone follows their account: a deactivated user's softphone leaves Asterisk's config
        # (queues.service.active_endpoints), a reactivated one comes back.
        after_commit(get_settings(), {"pjsip", "dialplan", "queues"})
    return changed
