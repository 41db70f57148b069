"""/settings/users: the accounts and their roles, through api.users.service (the same calls as
/api/users, so its rules hold here too: the last active admin cannot be demoted or deactivated, the
password rules, the audit rows). Supervisors read the list; admins create, change, deactivate and
reset passwords."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.types import Id
from api.users import service
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError
from web.settings.common import Posted, on_field, page, posted, require_rank, submit

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


def _refused(p: Posted, form: str, values: dict):
    return on_field(p.page(_users_page), form, values, MESSAGES)


@router.get(URL, response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _users_page(request, user, session)


@router.post(URL)
def create_user(
    username: str = Form(""),
    full_name: str = Form(""),
    role: str = Form(Role.agent.value),
    password: str = Form(""),
    p: Posted = Depends(posted),
) -> Response:
    def change() -> str:
        created = service.create_user(
            p.session, username, password, role=role, full_name=full_name, by=p.user, client=p.client
        )
        return f"Usuario «{created.username}» creado."

    typed = {"username": username, "full_name": full_name, "role": role}  # never the password
    return submit(p, change, _refused(p, "create", typed), url=URL)


@router.post(URL + "/{user_id}")
def update_user(user_id: Id, full_name: str = Form(""), role: str = Form(""), p: Posted = Depends(posted)) -> Response:
    def change() -> str:
        changed = service.update_user(p.session, user_id, full_name=full_name, role=role, by=p.user, client=p.client)
        return f"Usuario «{changed.username}» actualizado."

    return submit(p, change, _refused(p, f"edit-{user_id}", {"full_name": full_name, "role": role}), url=URL)


@router.post(URL + "/{user_id}/active")
def set_active(user_id: Id, active: str = Form(""), p: Posted = Depends(posted)) -> Response:
    def change() -> str:
        if active not in ("0", "1"):
            raise FieldError("active", "must be 0 or 1")
        changed = service.set_active(p.session, user_id, active == "1", by=p.user, client=p.client)
        return f"Usuario «{changed.username}» {'reactivado' if changed.active else 'desactivado'}."

    # An agent's phone follows the account (queues.service.active_endpoints).
    return submit(p, change, _refused(p, f"active-{user_id}", {}), url=URL, reload={"pjsip", "dialplan", "queues"})


@router.post(URL + "/{user_id}/password")
def reset_password(user_id: Id, p: Posted = Depends(posted)) -> Response:
    """Answers with the page itself, not a redirect: the new password is shown this once and stored
    nowhere (not in the session cookie either). The reset ends the user's sessions and tokens."""
    password = service.generate_password()

    def change() -> Response:
        changed = service.set_password(p.session, user_id, password, by=p.user, client=p.client)
        return p.page(_users_page)(new_password={"username": changed.username, "password": password})

    return submit(p, change, _refused(p, f"password-{user_id}", {}), url=URL)
