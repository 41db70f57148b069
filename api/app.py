"""The FastAPI application: every capability's router, plus the background links to Asterisk."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.errors import document_auth_errors, install_error_handlers
from api.headers import SecurityHeaders
from centralita.settings import get_settings
from centralita.timeutil import utcnow

SESSION_COOKIE = "centralita_session"


def create_app(with_runtime: bool = True) -> FastAPI:
    """`with_runtime=False` gives the bare HTTP app (unit tests); True also connects AMI/ARI and ingests CDRs."""
    settings = get_settings()
    settings.require_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime = None
        if with_runtime:
            from centralita.runtime import Runtime

            runtime = Runtime(settings)
            await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()

    app = FastAPI(title="Centralita", version="0.1.0", lifespan=lifespan)
    app.state.runtime = None
    install_error_handlers(app)
    app.state.clock = utcnow  # what "now" is for login throttling; tests set their own
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        same_site="strict",
        https_only=False,  # Secure is added per request, over TLS only (api/headers.py)
        session_cookie=SESSION_COOKIE,
    )
    app.add_middleware(SecurityHeaders, session_cookie=SESSION_COOKIE)  # outermost: sees every answer
    app.mount("/static", StaticFiles(directory=Path(__file__).parent.parent / "web" / "static"), name="static")

    from api.audit.routes import router as audit_router
    from api.calls.routes import router as calls_router
    from api.health.routes import router as health_router
    from api.users.routes import router as users_router
    from web.routes import router as web_router

    app.include_router(health_router, prefix="/api")
    app.include_router(users_router, prefix="/api")
    app.include_router(calls_router, prefix="/api")
    app.include_router(audit_router, prefix="/api")
    from centralita.capabilities import contributions

    for _name, module in contributions("routes"):
        app.include_router(module.router, prefix="/api")
    app.include_router(web_router)
    document_auth_errors(app)
    return app
