"""One way to answer errors: the services' FieldError (and NotFound, Conflict, ...) become their
status with FastAPI's own 422 body shape, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`,
so routes never translate exceptions themselves."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.users.throttle import Locked
from centralita.errors import FieldError, error_body

# FastAPI and Starlette answer 400 when a body cannot even be parsed (bytes that are not UTF-8, broken
# multipart); no route of ours raises 400 itself.
_UNPARSABLE_BODY = "There was an error parsing the body"


async def field_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FieldError)
    return JSONResponse(error_body(exc), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_a_page(request) and exc.status_code in _PAGE_ERRORS:
        return _error_page(request, exc.status_code)
    if exc.status_code == 400:
        # The same 422 as for malformed JSON: one shape for every bad body.
        msg = "the body is not valid JSON or form data" if exc.detail == _UNPARSABLE_BODY else str(exc.detail)
        return JSONResponse({"detail": [{"loc": ["body"], "msg": msg, "type": "body_invalid"}]}, status_code=422)
    return await http_exception_handler(request, exc)


# A person on a page gets a page in their language with a way back, never the API's English JSON.
_PAGE_ERRORS = {
    403: ("Sin permiso", "Su usuario no tiene permiso para ver esta página o hacer esta acción."),
    404: ("Página no encontrada", "Lo que busca no existe o ya no está disponible."),
}


def _wants_a_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, code: int) -> Response:
    from web.routes import templates  # the pages' one Jinja environment (filters, translations)

    title, explanation = _PAGE_ERRORS[code]
    context = {"title": title, "explanation": explanation, "back": "/", "back_label": "Volver al panel"}
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


async def _locked(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Locked)
    return JSONResponse(
        {"detail": f"{exc}: try again in {exc.retry_after} s"},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FieldError, field_error_handler)
    app.add_exception_handler(Locked, _locked)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# What error answers look like in the OpenAPI document -------------------------------------------
class ErrorItem(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. an IVR flow error also names its node and field
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every 404, 409, 422 and 503: FastAPI's validation-error shape, one item per problem."""

    detail: list[ErrorItem]


class MessageOut(BaseModel):
    """401 and 403: who you are (not) and what role the route needs."""

    detail: str


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or the token is invalid, expired or revoked",
    403: "Authenticated, but this role or user may not do this",
    404: "Something the request names does not exist",
    409: "The current state forbids this",
    416: "Range not satisfiable",
    422: "Invalid input: each item names the field",
    429: "Too many failed attempts: try again after Retry-After seconds",
    502: "A storage or service behind the API failed",
    503: "A component this route needs (e.g. the live link to Asterisk) is not running",
}


def responses(*codes: int) -> dict[int | str, dict]:
    """`responses=` for a route: the error statuses it really answers, besides the automatic ones
    (401/403 from its role dependency, 422 from its parameters)."""
    return {
        code: {"model": MessageOut if code in (401, 403, 429) else ErrorOut, "description": _DESCRIPTIONS[code]}
        for code in codes
    }


def _calls(dependant) -> set:
    found = set()
    for dep in dependant.dependencies:
        found.add(dep.call)
        found |= _calls(dep)
    return found


def _api_routes(routes: list) -> list:
    from fastapi.routing import APIRoute

    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI keeps it as one route)
            found += _api_routes(route.original_router.routes)
    return found


def document_auth_errors(app: FastAPI) -> None:
    """Add 401 to every route behind a login and 403 to every route behind a role above agent, read from
    its dependencies, so the OpenAPI document says what each route answers without repeating it."""
    from api.deps import current_user, require_agent

    for route in _api_routes(app.routes):
        calls = _calls(route.dependant)
        if current_user in calls:
            route.responses.setdefault(401, responses(401)[401])
        roles = {c for c in calls if getattr(c, "__name__", "").startswith("require_")}
        if roles - {require_agent}:
            route.responses.setdefault(403, responses(403)[403])
