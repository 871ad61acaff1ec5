"""Fixtures for the API tests: the whole app over a small demo market, users of each role.

The market (rebar in three cities, HRC Shanghai, 0.25 years ending 2026-11-24) is built once
per test worker on SQLite; ``api_engine`` is parametrized over SQLite (a copy) and
PostgreSQL (the same market built into the test's own schema). A test that need not run
twice narrows it: ``@SQLITE_ONLY`` (``parametrize("api_engine", ["sqlite"], indirect=True)``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.access import Member, add_member, use_cheap_argon2

from steelsage.demo.build import build_demo
from steelsage.demo.market import DemoConfig
from steelsage.server import ServerSettings, create_app
from steelsage.server.auth import service
from steelsage.store import get_engine, init_db, session_scope

PG_URL = os.environ.get(
    "STEELSAGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API_END = date(2026, 11, 24)
API_SERIES = ["rebar.shanghai", "rebar.hangzhou", "rebar.beijing", "hrc.shanghai"]
API_DEMO = DemoConfig(end=API_END, years=0.25, series=API_SERIES, reports_per_day=(4, 8))


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_argon2(monkeypatch)


@pytest.fixture(scope="session")
def api_market_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-market") / "market.db"
    engine = get_engine(f"sqlite:///{path.as_posix()}")
    try:
        build_demo(engine, API_DEMO, with_worldbank=True)
    finally:
        engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_engine(
    request: pytest.FixtureRequest, api_market_file: Path, tmp_path: Path
) -> Iterator[Engine]:
    """The market on SQLite (a private copy) or PostgreSQL (built into the test's schema)."""
    if request.param == "sqlite":
        target = tmp_path / "market.db"
        shutil.copyfile(api_market_file, target)
        engine = get_engine(f"sqlite:///{target.as_posix()}")
        yield engine
        engine.dispose()
        return
    schema = request.getfixturevalue("pg_schema")
    engine = get_engine(pg_url(schema))
    init_db(engine)
    build_demo(engine, API_DEMO, reset=False, with_worldbank=True)
    yield engine
    engine.dispose()


SQLITE_ONLY = pytest.mark.parametrize("api_engine", ["sqlite"], indirect=True)


def pg_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def api_settings(**overrides: object) -> ServerSettings:
    values: dict[str, object] = {
        "redis_url": None,
        "rate_limit": "100000/minute",
        "login_rate_limit": "1000/minute",
        "env": "dev",
        "auth_cache_seconds": 0,
        "audit_flush_seconds": 0.05,
    }
    values.update(overrides)
    return ServerSettings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def api_app(api_engine: Engine) -> Iterator[FastAPI]:
    app = create_app(api_settings(), api_engine)
    yield app
    app.state.auth.close()


@pytest.fixture
def api(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as client:
        yield client


@pytest.fixture
def member(api_engine: Engine) -> Callable[..., Member]:
    """``member("ann", role="subscriber", packages=["rebar_only"])``: a user with a key."""

    def make(username: str, **options: object) -> Member:
        return add_member(api_engine, username, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def packages(api_engine: Engine) -> dict[str, str]:
    """Three packages: rebar only; rebar with a 7-day delay; HRC only."""
    with session_scope(api_engine) as db:
        service.define_package(db, "rebar_only", products=["rebar"])
        service.define_package(db, "rebar_delayed", products=["rebar"], delay_days=7)
        service.define_package(db, "hrc_only", products=["hrc"])
    return {"rebar": "rebar_only", "delayed": "rebar_delayed", "hrc": "hrc_only"}
