"""Web pages: session login/logout and the dashboard. Plain Jinja2, Spanish first, strings wrapped in _()
so a translation catalogue can be installed later without touching the templates."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api.audit.service import record
from api.calls.service import recent_calls
from api.deps import SESSION_MARKER, SESSION_USER, client_of, optional_user, web_user
from api.users import service
from api.users.models import User
from api.users.throttle import Locked
from centralita.db import get_session
from web import labels, localtime

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
)
_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def _gettext(context: jinja2.runtime.Context) -> Callable[[str], str]:
    # The environment's own _(), so the labels go through whatever catalogue gets installed.
    gettext = cast(Callable[..., str], context.environment.globals["gettext"])
    return lambda text: str(context.call(gettext, text))


@jinja2.pass_context
def _label(context: jinja2.runtime.Context, code: object, kind: str) -> str:
    return labels.label(code, kind, _gettext(context))


@jinja2.pass_context
def _labels_of(context: jinja2.runtime.Context, kind: str) -> dict[str, str]:
    return labels.labels_of(kind, _gettext(context))


@jinja2.pass_context
def _ivr_path(context: jinja2.runtime.Context, path: str, definition_of: labels.DefinitionOf | None = None) -> str:
    return labels.ivr_path(path, definition_of, _gettext(context))


# How every page shows times (the center's zone) and codes (plain Spanish): registered here, once.
_env.filters.update(local_time=localtime.local_time, label=_label, ivr_path=_ivr_path)
_env.globals.update(center_zone=localtime.center_zone_name, labels_of=_labels_of)
templates = Jinja2Templates(env=_env)

ROLE_LABELS = labels.ROLES
RECENT_CALLS = 25

router = APIRouter(include_in_schema=False)


def _csrf(request: Request) -> str:
    # Synchronizer token kept in the (signed, SameSite=strict) session cookie; forms echo it back.
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def _csrf_ok(request: Request, sent: str) -> bool:
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        return False  # a cross-site form post
    expected = request.session.get("csrf")
    return isinstance(expected, str) and bool(expected and sent) and secrets.compare_digest(expected, sent)


def _login_page(request: Request, error: str = "", username: str = "", code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"csrf": _csrf(request), "error": error, "username": username}, status_code=code
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: User | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    session: Session = Depends(get_session),
) -> Response:
    if not _csrf_ok(request, csrf):
        request.session.pop("csrf", None)
        return _login_page(request, "La sesión del formulario caducó; vuelva a intentarlo.", username, 400)
    try:
        now = request.app.state.clock()
        user = service.authenticate(session, username, password, client=client_of(request), channel="web", now=now)
    except Locked as exc:
        minutes = max(1, round(exc.retry_after / 60))
        page = _login_page(
            request, f"Demasiados intentos fallidos: vuelva a intentarlo en {minutes} min.", username, 429
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if user is None:
        return _login_page(request, "Usuario o contraseña incorrectos.", username, 401)
    request.session.clear()  # nothing from before the login survives it
    request.session.update(
        {SESSION_USER: user.id, SESSION_MARKER: service.session_marker(user), "csrf": secrets.token_urlsafe(24)}
    )
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout(
    request: Request, csrf: str = Form(""), user: User = Depends(web_user), session: Session = Depends(get_session)
) -> Response:
    if not _csrf_ok(request, csrf):
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    request.session.clear()
    record(
        session,
        "auth.logout",
        user=user,
        target=f"user:{user.username}",
        detail={"via": "web"},
        client=client_of(request),
    )
    session.commit()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    calls = recent_calls(session, user, RECENT_CALLS)  # an agent sees only their own calls
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "user": user,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "calls": calls,
            "csrf": _csrf(request),
        },
    )


from web.recordings import router as _recordings_pages  # noqa: E402  (its pages share this router's templates)

router.include_router(_recordings_pages)

from web.campaigns import router as _campaign_pages  # noqa: E402

router.include_router(_campaign_pages)

from web.wallboard import router as _wallboard_page  # noqa: E402

router.include_router(_wallboard_page)

from web.reports import router as _report_pages  # noqa: E402

router.include_router(_report_pages)

from web.staffing import router as _staffing_page  # noqa: E402

router.include_router(_staffing_page)

from web.agent import router as _agent_page  # noqa: E402

router.include_router(_agent_page)

from web.ab import router as _ab_pages  # noqa: E402

router.include_router(_ab_pages)

from web.flows import router as _flow_pages  # noqa: E402

router.include_router(_flow_pages)

from web.settings import router as _settings_pages  # noqa: E402

router.include_router(_settings_pages)


@router.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on pages that name no icon (the API's docs, a JSON answer opened directly).
    return RedirectResponse("/static/favicon.svg", status_code=status.HTTP_301_MOVED_PERMANENTLY)
