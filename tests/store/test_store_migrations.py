"""Migrations: the migrated schema is exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from steelsage.store import Base, current_revision, get_engine, init_db
from steelsage.store.migrate import alembic_config, head_revision


def test_migrated_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diffs == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_observation_indexes_exist(engine: Engine) -> None:
    with engine.connect() as conn:
        indexes = {
            ix["name"]: ix["column_names"]
            for ix in inspect(conn).get_indexes("series_observations")
        }
    assert indexes["ix_obs_current"] == ["series_code", "superseded_at", "date"]
    assert indexes["ix_obs_series_date"] == ["series_code", "date", "published_at"]


def test_init_db_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    init_db(engine)
    init_db(engine)
    assert current_revision(engine) == head_revision()


def test_fresh_database_has_no_revision_until_migrated(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(engine) is None
        init_db(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
        get_engine.cache_clear()


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    assert current_revision(engine) is None
    init_db(engine)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }


def _root_conftest(config: pytest.Config):  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/").resolve() == path:
            return plugin
    raise AssertionError(f"{path} is not loaded")


def test_postgres_problem_fails_under_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> None:
    conftest = _root_conftest(pytestconfig)

    monkeypatch.setattr(conftest, "_postgres_problem", lambda: "server down")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="server down"):
        conftest.require_postgres()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="server down"):
        conftest.require_postgres()
