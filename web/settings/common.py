"""What every settings page shares: the role gate, the CSRF check, the one-shot notice, field errors,
and `submit`, the one body of every settings form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.deps import client_of, web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError, FieldErrors, NotFound
from centralita.settings import get_settings
from centralita.telephony.apply import after_commit

M = TypeVar("M", bound=BaseModel)
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


@dataclass
class Posted:
    """What every settings form's handler works with: the request, who sent it, the request's database
    session and the CSRF token the form carried."""

    request: Request
    user: User
    session: Session
    csrf: str

    @property
    def client(self) -> str:
        return client_of(self.request)

    def page(self, render: Callable[..., Response]) -> Callable[..., Response]:
        """A page function `render(request, user, session, status_code, **context)` for this request."""
        return partial(render, self.request, self.user, self.session)


def posted(
    request: Request,
    csrf: str = Form("", max_length=200),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Posted:
    return Posted(request, user, session, csrf)


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


def field_errors(exc: FieldError, messages: dict[tuple[str, str], str]) -> dict[str, str]:
    """{field: Spanish text} of a refusal (each problem of a FieldErrors, else the one): by (field, error
    kind) first, then by field, else the service's own words (still on the right field)."""
    kind = "conflict" if exc.status == 409 else type(exc).__name__.lower()  # some services raise FieldError(…, 409)
    items = [(".".join(i["loc"]), i["msg"]) for i in exc.items] if isinstance(exc, FieldErrors) else []
    out: dict[str, str] = {}
    for field, text in items or [(exc.field, exc.message)]:
        out.setdefault(field, messages.get((field, kind)) or messages.get((field, "")) or text)
    return out


def validated(model: type[M], data: dict) -> M:
    """The API's own body model over a form's values; its problems become one FieldErrors, so `submit`
    refuses them as it refuses the service's."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        items = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        raise FieldErrors("body", items) from None


LIVE = "Ya está en vigor."
AT_NEXT_START = "Se aplicará cuando Asterisk se inicie o recargue."


def submit(
    form: Posted,
    change: Callable[[], str | Response],
    refused: Callable[[FieldError], Response],
    *,
    url: str,
    reload: Iterable[str] = (),
    live: Callable[[], str] | None = None,
) -> Response:
    """Every settings form: admins only and the session's CSRF token; then `change` calls the service
    (as the API does). A FieldError rolls the session back (nothing of it is stored) and `refused`
    answers the page with the message on its field. Otherwise one commit, then the live apply: the
    `reload` Asterisk modules through the one after-commit path, or `live` (a change Asterisk takes
    without a reload; it returns a sentence for the notice). Last, POST-redirect-GET to `url` with the
    notice `change` returned, or the page `change` returned itself (one that shows a password once)."""
    check_change(form.request, form.user, form.csrf)
    try:
        result = change()
    except FieldError as exc:
        form.session.rollback()
        return refused(exc)
    form.session.commit()
    applied = ""
    if wanted := set(reload):
        applied = LIVE if after_commit(get_settings(), wanted).reloaded else AT_NEXT_START
    if live is not None:
        applied = live()
    if isinstance(result, Response):
        return result
    return done(form.request, url, f"{result} {applied}".strip())


def on_field(
    render: Callable[..., Response], form: str, values: dict, messages: dict
) -> Callable[[FieldError], Response]:
    """The usual `refused` of `submit`: the page again (422) with the Spanish message on each field of
    that form (keys "<form>.<field>") and the values typed (never a password). A row gone meanwhile
    (NotFound) is a 404."""

    def refused(exc: FieldError) -> Response:
        if isinstance(exc, NotFound):
            raise HTTPException(404, exc.message)
        errors = {f"{form}.{field}": text for field, text in field_errors(exc, messages).items()}
        return render(422, errors=errors, form={form: values})

    return refused
