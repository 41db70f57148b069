"""What every settings page shares: the role gate, the CSRF check, the one-shot notice, field errors."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from api.users.models import Role, User
from centralita.errors import FieldError

FLASH = "settings_notice"  # session key of the message shown once after a POST-redirect-GET


def require_rank(user: User, role: Role) -> None:
    if Role(user.role).rank < role.rank:
        raise HTTPException(403, f"requires role '{role.value}' or higher")


def check_change(request: Request, user: User, csrf: str) -> None:
    """Every POST: admins only (a supervisor reads, never writes), then the session's CSRF token."""
    from web.routes import _csrf_ok

    require_rank(user, Role.admin)
    if not _csrf_ok(request, csrf):
        raise HTTPException(403, "form expired or sent from another site")  # as Django answers CSRF


def page(request: Request, user: User, template: str, context: dict, status_code: int = 200) -> Response:
    from web.routes import ROLE_LABELS, _csrf, templates

    base = {
        "user": user,
        "role_label": ROLE_LABELS.get(user.role, user.role),
        "csrf": _csrf(request),
        "can_change": user.role == Role.admin.value,
        "notice": request.session.pop(FLASH, None),
        "errors": {},
        "form": {},
    }
    # No Cache-Control here: api/headers.py already sends no-store on every page (a new password too).
    return templates.TemplateResponse(request, template, base | context, status_code=status_code)


def done(request: Request, url: str, notice: str) -> Response:
    request.session[FLASH] = notice
    return RedirectResponse(url, status_code=303)


def field_message(exc: FieldError, messages: dict[tuple[str, str], str]) -> str:
    """The Spanish text for the service's error on that field: by (field, error kind) first, then by
    field, else the service's own words (still on the right field)."""
    kind = type(exc).__name__.lower()
    return messages.get((exc.field, kind)) or messages.get((exc.field, "")) or exc.message
