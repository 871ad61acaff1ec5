"""Build a RunContext from the store: sources, FX rates, catalog."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine, select

from steelsage.catalog import Catalog, load_catalog
from steelsage.config import market_today
from steelsage.pipeline.base import RunContext
from steelsage.pipeline.sample_library import SOURCE_SCHEMA
from steelsage.store import models as m

# What stages read of each source (ctx.sources): the registry minus name and coverage.
CONTEXT_COLUMNS = ("code", "type", "region_code", "credibility_weight", "active")
FX_SCHEMA = {"date": pl.Date, "pair": pl.Utf8, "rate": pl.Float64}


def load_sources(engine: Engine) -> pl.DataFrame:
    t = m.Source.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(*(t.c[c] for c in CONTEXT_COLUMNS))).all()
    schema = {c: SOURCE_SCHEMA[c] for c in CONTEXT_COLUMNS}
    return pl.DataFrame(rows, schema=schema, orient="row")


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
