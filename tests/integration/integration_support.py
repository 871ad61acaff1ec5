"""Helpers shared by the integration tests (constants, loaders, counters)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select

from steelsage.demo.build import build_demo
from steelsage.demo.market import DemoConfig, DemoMarket
from steelsage.pipeline.context import build_context
from steelsage.pipeline.importer import FileOutcome, import_frame
from steelsage.pipeline.library import register_sources
from steelsage.store import bulk_insert, get_engine
from steelsage.store import models as m

DATA = Path(__file__).parents[1] / "pipeline" / "data"
TODAY = date(2026, 11, 25)
END = date(2026, 11, 24)
SMALL_SERIES = [
    "rebar.shanghai",
    "rebar.hangzhou",
    "hrc.shanghai",
    "pb_fines.qingdao_port",
    "iron_ore_62.cfr_china",
]
SMALL = DemoConfig(end=END, years=0.25, series=SMALL_SERIES)
TINY = DemoConfig(end=END, years=0.1, series=["rebar.shanghai", "rebar.hangzhou", "rebar.nanjing"])

# The sources named in tests/pipeline/data/*.
FILE_SOURCES = [
    ("sh_trader_01", "上海贸易商一", "trader", "shanghai", 1.0),
    ("sh_mill_02", "沪上钢厂二", "mill", "shanghai", 1.2),
    ("qd_trader_03", "青岛港贸易商三", "port_agent", "qingdao_port", 1.0),
    ("hz_trader_04", "杭州贸易商四", "trader", "hangzhou", 0.8),
    ("sg_broker_05", "新加坡经纪五", "broker", "cfr_china", 1.5),
]


def file_sources() -> pl.DataFrame:
    return pl.DataFrame(
        FILE_SOURCES,
        schema={
            "code": pl.Utf8,
            "name": pl.Utf8,
            "type": pl.Utf8,
            "region_code": pl.Utf8,
            "credibility_weight": pl.Float64,
        },
        orient="row",
    )


def count(engine: Engine, model: type[m.Base], *where: object) -> int:
    table = model.__table__
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def table_counts(engine: Engine) -> dict[str, int]:
    """Row counts of the tables an import, a run or a publication writes."""
    models = [
        m.ImportBatch,
        m.RawSubmission,
        m.Reject,
        m.StandardizedReport,
        m.Flag,
        m.PipelineRun,
        m.Assessment,
        m.Publication,
        m.SeriesObservation,
        m.Override,
    ]
    return {model.__tablename__: count(engine, model) for model in models}


def load_market(
    engine: Engine,
    market: DemoMarket,
    *,
    reports: pl.DataFrame | None = None,
    name: str = "market",
    with_sources: bool = True,
) -> FileOutcome:
    """Register the market's sources and FX rates and import its reports (or a part of them)
    through the same path as files, without running stages 6–8."""
    if with_sources:
        register_sources(engine, market.sources, who="test")
        with engine.begin() as conn:
            bulk_insert(conn, m.FxRate.__table__, market.fx_rates.select("date", "pair", "rate"))
    ctx = build_context(engine, today=TODAY)
    frame = market.reports if reports is None else reports
    outcome = import_frame(engine, frame, name=name, who="test", ctx=ctx)
    assert outcome.status == "imported"
    return outcome


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def build_demo_file(path: Path, cfg: DemoConfig, *, with_worldbank: bool) -> dict:
    """Build a demo into an SQLite file and close it (so the file can be copied)."""
    get_engine.cache_clear()
    engine = get_engine(sqlite_url(path))
    try:
        return build_demo(engine, cfg, with_worldbank=with_worldbank)
    finally:
        engine.dispose()
        get_engine.cache_clear()
