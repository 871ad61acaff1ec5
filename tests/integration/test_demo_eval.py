"""The demo build (generator → import → run → publish) and its evaluation against the truth."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine, select

from steelsage.demo.build import build_demo
from steelsage.demo.evaluate import evaluate_assessments, evaluate_outliers
from steelsage.demo.market import DemoConfig
from steelsage.pipeline.release import latest_run_id
from steelsage.store import get_observations
from steelsage.store import models as m

from .integration_support import SMALL, SMALL_SERIES, count, table_counts


def test_small_demo_builds_and_scores_on_each_backend(engine: Engine, backend: str):
    with_wb = backend == "sqlite"  # the World Bank file once is enough
    result = build_demo(engine, SMALL, with_worldbank=with_wb)

    assert (
        result["reports"] == result["accepted"] + result["rejected"] + result["flagged_on_import"]
    )
    assert result["rejected"] > 0 and result["flagged"] > result["flagged_on_import"]
    days = count(engine, m.DemoTruthPrice) // len(SMALL_SERIES)
    assert result["releases"] == days > 50
    assert result["assessments"] == days * len(SMALL_SERIES)
    assert result["fallbacks"] <= result["assessments"] * 0.05
    assert result["worldbank_series"] == (26 if with_wb else 0)
    assert latest_run_id(engine) == result["run_id"]
    assert count(engine, m.RawSubmission) == result["reports"]
    assert count(engine, m.Reject) == result["rejected"]

    outliers = evaluate_outliers(engine)
    assert outliers["precision"] >= 0.9 and outliers["recall"] >= 0.9
    assert outliers["f1"] >= 0.9
    assert outliers["planted"] > 100
    assert outliers["bad_rows_rejected"] == outliers["bad_rows"] == result["rejected"]
    accuracy = evaluate_assessments(engine)
    assert accuracy["median_ape_pct"] <= 0.3
    assert accuracy["n"] == result["assessments"] and accuracy["coverage"] == 1.0
    assert set(accuracy["by_product"]) == {s.split(".")[0] for s in SMALL_SERIES}


def test_the_demo_is_deterministic(copy_db, small_demo_file, sqlite_engine: Engine):
    again = build_demo(sqlite_engine, SMALL, with_worldbank=False)
    first = copy_db(small_demo_file)

    for code in ("rebar.shanghai", "iron_ore_62.cfr_china", "idx.ore_62"):
        a = get_observations(first, code).select("date", "value", "low", "high")
        b = get_observations(sqlite_engine, code).select("date", "value", "low", "high")
        assert a.height > 50 and a.equals(b)
    assert again["flagged"] == evaluate_outliers(first)["flagged"]


def test_a_bad_config_fails_before_the_database_is_emptied(copy_db, small_demo_file):
    engine = copy_db(small_demo_file)
    before = table_counts(engine)
    for cfg in (
        replace(SMALL, series=["rebar.atlantis"]),
        replace(SMALL, years=0.001),
        replace(SMALL, years=-1.0),
    ):
        with pytest.raises(ValueError):
            build_demo(engine, cfg)
    assert table_counts(engine) == before


def test_evaluation_counts_editor_rejections_not_acceptances(copy_db, small_demo_file):
    """Accepting a flagged planted error means the platform no longer catches it."""
    engine = copy_db(small_demo_file)
    baseline = evaluate_outliers(engine)
    f = m.Flag.__table__
    with engine.begin() as conn:
        flags = pl.DataFrame(
            conn.execute(select(f.c.id, f.c.submission_id)).all(),
            schema=["id", "submission_id"],
            orient="row",
        )
        alone = flags.filter(pl.len().over("submission_id") == 1)  # its only flag
        conn.execute(f.update().where(f.c.id == alone["id"][0]).values(status="accepted"))
    after = evaluate_outliers(engine)
    assert after["flagged"] == baseline["flagged"] - 1


@pytest.mark.slow
def test_one_year_full_catalog_meets_the_issue_goals(sqlite_engine: Engine):
    cfg = DemoConfig(end=date(2026, 11, 24), years=1.0)
    result = build_demo(sqlite_engine, cfg, with_worldbank=False)
    assert result["reports"] > 200_000

    outliers = evaluate_outliers(sqlite_engine)
    assert outliers["precision"] >= 0.95
    assert outliers["recall"] >= 0.95
    assert outliers["f1"] >= 0.95
    accuracy = evaluate_assessments(sqlite_engine)
    assert accuracy["median_ape_pct"] <= 0.3
    assert accuracy["coverage"] >= 0.99
    by_type = pl.DataFrame([{"type": k, **v} for k, v in outliers["by_type"].items()]).filter(
        pl.col("recall") < 0.9
    )
    assert by_type.height == 0, by_type
