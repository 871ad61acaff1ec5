"""Fixtures for the assistant tests: a small demo market built once per test worker.

``assistant_db`` has 14 months of data for rebar in six cities, HRC, wire rod, PB fines and
the 62% index, plus every indicator series and the World Bank series, ending on
:data:`ASSISTANT_END`. Treat it as read-only; copy it (``assistant_engine_copy``) to write.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steelsage.assistant.tools.base import ToolContext
from steelsage.catalog import load_catalog
from steelsage.demo.build import build_demo
from steelsage.demo.market import DemoConfig
from steelsage.store import get_engine

ASSISTANT_END = date(2026, 11, 24)
ASSISTANT_SERIES = [
    "rebar.shanghai",
    "rebar.beijing",
    "rebar.guangzhou",
    "rebar.hangzhou",
    "rebar.tianjin",
    "rebar.wuhan",
    "hrc.shanghai",
    "hrc.guangzhou",
    "wire_rod.shanghai",
    "pb_fines.qingdao_port",
    "iron_ore_62.cfr_china",
]
ASSISTANT_DEMO = DemoConfig(
    end=ASSISTANT_END, years=1.15, series=ASSISTANT_SERIES, reports_per_day=(5, 12)
)


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture(scope="session")
def assistant_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("assistant-demo") / "demo.db"
    engine = get_engine(_url(path))
    try:
        build_demo(engine, ASSISTANT_DEMO, with_worldbank=True)
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def assistant_db(assistant_db_file: Path) -> Iterator[Engine]:
    """The small demo market, read-only by convention."""
    engine = get_engine(_url(assistant_db_file))
    yield engine
    engine.dispose()


@pytest.fixture
def assistant_engine_copy(assistant_db_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private, writable copy of the small demo market."""
    target = tmp_path / "copy.db"
    shutil.copyfile(assistant_db_file, target)
    engine = get_engine(_url(target))
    yield engine
    engine.dispose()


@pytest.fixture
def tool_ctx(assistant_db: Engine) -> ToolContext:
    """A tool context over the small demo market as the local admin, today = its last day."""
    return ToolContext(engine=assistant_db, catalog=load_catalog(), today=ASSISTANT_END)
