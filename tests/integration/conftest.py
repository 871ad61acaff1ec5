"""Fixtures for integration tests of the persisted platform (import → run → publish → CLI).

Every test gets its own data directory (``STEELSAGE_DATA_DIR``: the import archive and
exports) and fresh settings. Demo markets are small: a handful of series over a few months,
enough for flags, fallbacks and indices to show up. Helpers live in ``integration_support``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steelsage.catalog import Catalog, load_catalog
from steelsage.config import get_settings
from steelsage.demo.market import DemoMarket, build_market
from steelsage.pipeline.library import register_sources
from steelsage.store import get_engine

from .integration_support import SMALL, TINY, build_demo_file, file_sources, load_market, sqlite_url


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Archive and exports under ``tmp_path``; no database URL leaks in from the shell."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("STEELSAGE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("STEELSAGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEELSAGE_MAX_IMPORT_BYTES", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def registered(engine: Engine) -> Engine:
    """``engine`` (both backends) with the sources of the example files registered."""
    result = register_sources(engine, file_sources(), who="test")
    assert result == {"accepted": 5, "rejected": 0, "rejects": []}
    return engine


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def small_market(catalog: Catalog) -> DemoMarket:
    return build_market(SMALL, catalog)


@pytest.fixture
def imported(engine: Engine, small_market: DemoMarket) -> Engine:
    """``engine`` (both backends) holding the small market's reports, not yet run."""
    load_market(engine, small_market)
    return engine


@pytest.fixture
def imported_sqlite(sqlite_engine: Engine, small_market: DemoMarket) -> Engine:
    load_market(sqlite_engine, small_market)
    return sqlite_engine


@pytest.fixture(scope="module")
def small_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo (with World Bank data), built once per module; copy it to write."""
    path = tmp_path_factory.mktemp("small-demo") / "demo.db"
    build_demo_file(path, SMALL, with_worldbank=True)
    return path


@pytest.fixture(scope="module")
def tiny_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``steelsage demo build --years 0.1`` with three rebar series builds."""
    path = tmp_path_factory.mktemp("tiny-demo") / "demo.db"
    build_demo_file(path, TINY, with_worldbank=True)
    return path


@pytest.fixture
def copy_db(tmp_path: Path) -> Iterator[Callable[[Path], Engine]]:
    """Copy a demo file into ``tmp_path`` and open it; the engines are closed afterwards."""
    opened: list[Engine] = []

    def copy(source: Path) -> Engine:
        target = tmp_path / f"copy-{len(opened)}.db"
        shutil.copyfile(source, target)
        get_engine.cache_clear()
        engine = get_engine(sqlite_url(target))
        opened.append(engine)
        return engine

    yield copy
    for engine in opened:
        engine.dispose()
    get_engine.cache_clear()
