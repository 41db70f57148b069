"""The FastAPI application: every capability's router, plus the background links to Asterisk."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from centralita.settings import get_settings


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
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        same_site="strict",
        https_only=False,
        session_cookie="centralita_session",
    )

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
    return app
