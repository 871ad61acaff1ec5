"""Helpers shared by the server tests (the fixtures are in ``conftest.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from support.access import API, PASSWORD, Member  # noqa: F401  (the server tests import them here)

from steelsage.server.auth.runtime import AuthRuntime, install_auth
from steelsage.server.errors import install_error_handlers
from steelsage.server.limits import BodySizeLimit
from steelsage.server.settings import ServerSettings


def build_auth_app(settings: ServerSettings, engine: Engine, **runtime_opts: Any) -> FastAPI:
    """The auth and admin routers on a bare app, wired like ``create_app`` wires them."""
    from steelsage.server.routes import admin, auth

    settings.check()
    app = FastAPI()
    app.state.settings = settings
    app.state.engine = engine
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(auth.router, prefix=API)
    app.include_router(admin.router, prefix=API)
    opts = {"cache_seconds": 0, "audit_flush_seconds": 0.05, **runtime_opts}
    install_auth(app, AuthRuntime(settings, engine, **opts))
    return app
