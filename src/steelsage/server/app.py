"""The FastAPI application: ``create_app()``; ``steelsage serve`` runs it with uvicorn.

Routes are thin: they validate, call the store / pipeline / assistant, and shape the reply.
Auth, entitlements and the audit trail come in through dependencies (``server/deps.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from steelsage.server.auth.runtime import AuthRuntime, install_auth
from steelsage.server.errors import install_error_handlers
from steelsage.server.fastpath import SeriesFastPath
from steelsage.server.limits import BodySizeLimit
from steelsage.server.settings import ServerSettings, get_server_settings

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings | None = None, engine: Engine | None = None) -> FastAPI:
    """A new app. ``engine`` defaults to the configured database (STEELSAGE_DATABASE_URL)."""
    from steelsage.store import get_engine

    settings = settings or get_server_settings()
    settings.check()
    app = FastAPI(
        title="steelsage API",
        version="1",
        description=(
            "钢铁产业链数据与问答 / steel-chain market data and a grounded assistant. "
            "Authenticate with `Authorization: Bearer <API key>` or a browser session."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine()
    app.state.backend = _backend()
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SeriesFastPath, owner=app)
    install_error_handlers(app)
    _include_routes(app)
    install_auth(
        app,
        AuthRuntime(
            settings,
            app.state.engine,
            audit_flush_rows=settings.audit_flush_rows,
            audit_flush_seconds=settings.audit_flush_seconds,
        ),
    )
    _warm_and_freeze(app)
    return app


def _warm_and_freeze(app: FastAPI) -> None:
    """Load what every request needs before the first one (catalog, lexicon, tools), then move
    those long-lived objects out of the garbage collector's way: without ``gc.freeze`` each
    full collection walks them all, a pause that shows up as tail latency under load."""
    import gc

    from steelsage.assistant.parse import default_lexicon

    default_lexicon()
    gc.collect()
    gc.freeze()


def _backend() -> Any:
    """The configured language model (None: answers come from the templates)."""
    from steelsage.assistant.llm import get_backend

    backend = get_backend()
    return backend if getattr(backend, "available", True) else None


def _include_routes(app: FastAPI) -> None:
    from steelsage.server.routes import (
        admin,
        ask,
        auth,
        catalog,
        export,
        health,
        openai_compat,
        ops,
        pages,
    )

    # The busiest routes first: routing tries them in order.
    routers: list[Any] = [
        catalog.router,
        ask.router,
        health.router,
        auth.router,
        admin.router,
        export.router,
        ops.router,
    ]
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(openai_compat.router, prefix="/v1")
    pages.mount(app)
