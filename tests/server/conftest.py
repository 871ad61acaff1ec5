"""Fixtures for the server's access-control tests.

``app`` holds only the auth and admin routers (plus the error handlers and the body-size
limit), so these tests do not depend on the data routes; ``settings`` can be overridden
per test with ``@pytest.mark.parametrize("settings_overrides", [{...}], indirect=True)``.
Argon2 runs with small parameters here (still argon2id) to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.access import Member, add_member, use_cheap_argon2

from steelsage.server.auth import service
from steelsage.server.settings import ServerSettings
from steelsage.store import session_scope

from .server_support import build_auth_app


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_argon2(monkeypatch)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> ServerSettings:
    values: dict[str, Any] = {
        "redis_url": None,
        "rate_limit": "1000/minute",
        "login_rate_limit": "100/minute",
        "lockout_after": 3,
        "lockout_minutes": 15,
        "env": "dev",
    }
    values.update(settings_overrides)
    return ServerSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def app(settings: ServerSettings, engine: Engine) -> Iterator[FastAPI]:
    app = build_auth_app(settings, engine)
    yield app
    app.state.auth.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_user(engine: Engine) -> Callable[..., Member]:
    """``make_user("ann", role="subscriber", packages=["free"], password=True)``: a user
    with one API key (and a password when asked; the argon2 hash costs time)."""

    def make(username: str, **options: Any) -> Member:
        return add_member(engine, username, **options)

    return make


@pytest.fixture
def rebar_package(engine: Engine) -> str:
    """A package: rebar, one year of history, one day of delay."""
    with session_scope(engine) as db:
        service.define_package(
            db,
            "rebar_basic",
            products=["rebar"],
            kinds=["assessment"],
            history_days=365,
            delay_days=1,
            description="rebar assessments, delayed one day",
        )
    return "rebar_basic"


@pytest.fixture
def admin(make_user: Callable[..., Member]) -> Member:
    return make_user("root", role="admin")
