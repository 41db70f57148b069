"""/settings/users: the accounts and their roles, through api.users.service (the same calls as
/api/users, so its rules hold here too: the last active admin cannot be demoted or deactivated, the
password rules, the audit rows). Supervisors read the list; admins create, change, deactivate and
reset passwords."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import client_of, web_user
from api.types import Id
from api.users import service
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError, NotFound
from web.settings.common import check_change, done, field_message, page, require_rank

router = APIRouter(include_in_schema=False)
URL = "/settings/users"

MESSAGES = {
    (
        "username",
        "fielderror",
    ): "Use de 1 a 64 letras minúsculas, dígitos, «.», «_» o «-», empezando por letra o dígito.",
    ("username", "conflict"): "Ya existe un usuario con ese nombre.",
    ("password", ""): f"La contraseña debe tener entre {service.MIN_PASSWORD_LENGTH} y 1024 caracteres.",
    ("full_name", ""): "El nombre puede tener como máximo 200 caracteres.",
    ("role", "fielderror"): "Elija uno de los roles de la lista.",
    ("role", "conflict"): "Es el último administrador activo: no puede dejar de ser administrador.",
    ("active", "conflict"): "Es el último administrador activo: no se puede desactivar.",
}


def _users_page(request: Request, user: User, session: Session, status_code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    rows = service.list_users(session)
    return page(
        request, user, "settings_users.html", {"users": rows, "roles": [r.value for r in Role]} | context, status_code
    )


def _refused(request: Request, user: User, session: Session, form: str, exc: FieldError, values: dict) -> Response:
    if isinstance(exc, NotFound):
        raise HTTPException(404, exc.message)
    session.rollback()  # nothing of the refused change stays in the session
    errors = {f"{form}.{exc.field}": field_message(exc, MESSAGES)}
    return _users_page(request, user, session, 422, errors=errors, form={form: values})


@router.get(URL, response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _users_page(request, user, session)


@router.post(URL)
def create_user(
    request: Request,
    username: str = Form(""),
    full_name: str = Form(""),
    role: str = Form(Role.agent.value),
    password: str = Form(""),
    csrf: str = Form(""),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    try:
        created = service.create_user(
            session, username, password, role=role, full_name=full_name, by=user, client=client_of(request)
        )
    except FieldError as exc:  # the typed values come back, never the password
        return _refused(
            request, user, session, "create", exc, {"username": username, "full_name": full_name, "role": role}
        )
    return done(request, URL, f"Usuario «{created.username}» creado.")


@router.post(URL + "/{user_id}")
def update_user(
    user_id: Id,
    request: Request,
    full_name: str = Form(""),
    role: str = Form(""),
    csrf: str = Form(""),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    try:
        changed = service.update_user(
            session, user_id, full_name=full_name, role=role, by=user, client=client_of(request)
        )
    except FieldError as exc:
        return _refused(request, user, session, f"edit-{user_id}", exc, {"full_name": full_name, "role": role})
    return done(request, URL, f"Usuario «{changed.username}» actualizado.")


@router.post(URL + "/{user_id}/active")
def set_active(
    user_id: Id,
    request: Request,
    active: str = Form(""),
    csrf: str = Form(""),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    try:
        if active not in ("0", "1"):
            raise FieldError("active", "must be 0 or 1")
        changed = service.set_active(session, user_id, active == "1", by=user, client=client_of(request))
    except FieldError as exc:
        return _refused(request, user, session, f"active-{user_id}", exc, {})
    state = "reactivado" if changed.active else "desactivado"
    return done(request, URL, f"Usuario «{changed.username}» {state}.")


@router.post(URL + "/{user_id}/password")
def reset_password(
    user_id: Id,
    request: Request,
    csrf: str = Form(""),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    """Answers with the page itself, not a redirect: the new password is shown this once and stored
    nowhere (not in the session cookie either). The reset ends the user's sessions and tokens."""
    check_change(request, user, csrf)
    password = service.generate_password()
    try:
        changed = service.set_password(session, user_id, password, by=user, client=client_of(request))
    except FieldError as exc:
        return _refused(request, user, session, f"password-{user_id}", exc, {})
    return _users_page(request, user, session, new_password={"username": changed.username, "password": password})
