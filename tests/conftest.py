"""Shared fixtures: migrated databases on SQLite and PostgreSQL.

``engine`` runs a test on both backends: an SQLite file in ``tmp_path`` and a fresh schema
on the PostgreSQL server (``STEELSAGE_TEST_PG_URL``, default the local ``test`` database).
When that server is unreachable the PostgreSQL case is skipped locally but fails under CI
(``CI`` set), so a broken CI database cannot pass silently. ``sqlite_engine`` is SQLite only.
``engine.url.render_as_string(hide_password=False)`` gives a URL that reaches the same
database and schema (e.g. for ``STEELSAGE_DATABASE_URL`` in CLI tests).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steelsage.store import get_engine, init_db

PG_URL = os.environ.get(
    "STEELSAGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@cache
def _postgres_problem() -> str | None:
    """Why the test server cannot be used, or None when it can (checked once)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    try:
        with psycopg.connect(_libpq_url(PG_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_URL} is unreachable: {str(exc).strip().splitlines()[0]}"
    return None


def require_postgres() -> None:
    """Skip (locally) or fail (under CI) when the PostgreSQL test server is unusable."""
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI is set, so PostgreSQL tests must run)", pytrace=False)
    pytest.skip(problem)


def _fresh_engine(url: str) -> Engine:
    get_engine.cache_clear()
    return get_engine(url)


def _close(engine: Engine) -> None:
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema, dropped with everything in it afterwards."""
    require_postgres()
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq_url(PG_URL), autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(_libpq_url(PG_URL), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def pg_url(schema: str) -> str:
    """The test server URL with ``search_path`` pinned to ``schema``."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; tests get a copy (much faster than migrating)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = _fresh_engine(_sqlite_url(path))
    init_db(engine)
    _close(engine)  # closing the last connection checkpoints the WAL into the file
    return path


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "steelsage-test.db"
    shutil.copyfile(template, target)
    return _sqlite_url(target)


@pytest.fixture
def sqlite_engine(_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in ``tmp_path``."""
    engine = _fresh_engine(_sqlite_copy(_sqlite_template, tmp_path))
    init_db(engine)  # a no-op at head; keeps the fixture honest if the template is stale
    yield engine
    _close(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = _sqlite_copy(request.getfixturevalue("_sqlite_template"), tmp_path)
    else:
        url = pg_url(request.getfixturevalue("pg_schema"))
    engine = _fresh_engine(url)
    init_db(engine)
    yield engine
    _close(engine)


@pytest.fixture
def backend(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``: the backend the ``engine`` fixture is running on."""
    return engine.dialect.name
