"""Build a RunContext from the store: sources, FX rates, catalog."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine, select

from steelsage.catalog import Catalog, load_catalog
from steelsage.config import market_today
from steelsage.pipeline.base import RunContext
from steelsage.store import models as m

SOURCE_SCHEMA = {
    "code": pl.Utf8,
    "type": pl.Utf8,
    "region_code": pl.Utf8,
    "credibility_weight": pl.Float64,
    "active": pl.Boolean,
}
FX_SCHEMA = {"date": pl.Date, "pair": pl.Utf8, "rate": pl.Float64}


def load_sources(engine: Engine) -> pl.DataFrame:
    t = m.Source.__table__
    stmt = select(t.c.code, t.c.type, t.c.region_code, t.c.credibility_weight, t.c.active)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pl.DataFrame(rows, schema=SOURCE_SCHEMA, orient="row")


def load_fx_rates(engine: Engine) -> pl.DataFrame:
    t = m.FxRate.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.date, t.c.pair, t.c.rate).order_by(t.c.date)).all()
    return pl.DataFrame(rows, schema=FX_SCHEMA, orient="row")


def build_context(
    engine: Engine, *, catalog: Catalog | None = None, today: date | None = None
) -> RunContext:
    return RunContext(
        catalog=catalog or load_catalog(),
        engine=engine,
        fx_rates=load_fx_rates(engine),
        sources=load_sources(engine),
        today=today or market_today(),
    )
