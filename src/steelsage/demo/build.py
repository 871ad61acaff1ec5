"""`steelsage demo build`: generate the market, then run it through the real platform.

The synthetic reports go through exactly the path a user's files take (ingest → verify →
standardize → outliers → compile → publish); only the ground truth is written on the side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from steelsage.catalog import load_catalog
from steelsage.demo.market import DemoConfig, build_market
from steelsage.pipeline.context import build_context
from steelsage.pipeline.external import import_worldbank, publish_indicators
from steelsage.pipeline.importer import import_frame
from steelsage.pipeline.library import register_sources
from steelsage.pipeline.release import publish_run
from steelsage.pipeline.runner import run_pipeline
from steelsage.store import Base, bulk_insert, init_db
from steelsage.store import models as m

Progress = Callable[[str], None]


def reset_database(engine: Engine) -> Engine:
    """Empty the database: remove the SQLite file, or drop every table elsewhere."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return engine
    with engine.begin() as conn:  # views first: PostgreSQL will not drop tables under them
        conn.execute(text("DROP VIEW IF EXISTS v_observations"))
        conn.execute(text("DROP VIEW IF EXISTS v_series"))
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return engine


def build_demo(
    engine: Engine,
    cfg: DemoConfig,
    *,
    reset: bool = True,
    progress: Progress | None = None,
    with_worldbank: bool = True,
) -> dict:
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    catalog = load_catalog()
    # Generate first: a bad config (unknown series, too short a range) must fail before the
    # database is emptied.
    say("生成演示市场 / generating the demo market")
    market = build_market(cfg, catalog)
    if reset:
        engine = reset_database(engine)
    init_db(engine)

    say("样本库 / registering sources")
    register_sources(engine, market.sources, who="demo")
    with engine.begin() as conn:
        bulk_insert(conn, m.FxRate.__table__, market.fx_rates.select("date", "pair", "rate"))
        bulk_insert(conn, m.DemoTruthPrice.__table__, market.truth_prices)
        bulk_insert(
            conn,
            m.DemoTruthError.__table__,
            market.truth_errors.select("report_id", "error_type", "detail"),
        )

    say(f"导入 {market.reports.height:,} 条报价 / importing reports")
    ctx = build_context(engine, catalog=catalog, today=cfg.end)
    outcome = import_frame(
        engine, market.reports, name="demo-market", who="demo", ctx=ctx, keep_standardized=True
    )

    say("异常值处理与编制 / outliers and compilation")
    run = run_pipeline(
        engine, who="demo", catalog=catalog, frame=_as_loaded(outcome.standardized), force=True
    )

    say("发布 / publishing")
    releases = publish_run(
        engine,
        who="demo",
        note="演示数据回填 / demo backfill",
        run_id=run.run_id,
        historical_timestamps=True,
        catalog=catalog,
    )
    say("指标 / indicators")
    publish_indicators(engine, market.indicators, who="demo", catalog=catalog)
    wb = import_worldbank(engine, who="demo") if with_worldbank else None
    return {
        "reports": market.reports.height,
        "accepted": outcome.accepted,
        "rejected": outcome.rejected,
        "flagged_on_import": outcome.flagged,
        "flagged": run.n_flagged,
        "assessments": run.n_assessments,
        "fallbacks": run.n_fallback,
        "releases": len(releases),
        "worldbank_series": wb["series"] if wb else 0,
        "run_id": run.run_id,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _as_loaded(standardized):  # type: ignore[no-untyped-def]
    """The in-memory standardized frame, shaped like `runner.load_standardized` returns."""
    from steelsage.pipeline.runner import STD_SCHEMA

    keep = [c for c in STD_SCHEMA if c in standardized.columns]
    extra = [c for c in ("flag_reason", "flag_message", "flag_score") if c in standardized.columns]
    return standardized.select(keep + extra)
