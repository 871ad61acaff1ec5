"""The pipeline run (stages 1, 2, 6, 7, persisted): no-op on unchanged inputs, editor
overrides, crash safety, statistics, indices and date-ranged runs."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, select, update

from steelsage.demo.market import DemoMarket
from steelsage.pipeline import runner
from steelsage.pipeline.library import register_sources
from steelsage.pipeline.release import latest_run_id, publish_run
from steelsage.pipeline.review import list_flags, resolve_flag
from steelsage.pipeline.runner import run_pipeline
from steelsage.store import models as m

from .integration_support import count, load_market, table_counts


def assessments(engine: Engine, run_id: int) -> pl.DataFrame:
    a = m.Assessment.__table__
    stmt = select(
        a.c.series_code,
        a.c.date,
        a.c.mid,
        a.c.low,
        a.c.high,
        a.c.n_excluded,
        a.c.fallback,
        a.c.judgement,
    ).where(a.c.run_id == run_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    schema = ["series_code", "date", "mid", "low", "high", "n_excluded", "fallback", "judgement"]
    return pl.DataFrame(rows, schema=schema, orient="row").sort("series_code", "date")


def run_row(engine: Engine, run_id: int) -> dict:
    runs = m.PipelineRun.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(runs).where(runs.c.id == run_id)).one()._mapping)


def excluded_of(engine: Engine, submission_id: int) -> bool:
    std = m.StandardizedReport.__table__
    with engine.connect() as conn:
        return conn.execute(
            select(std.c.excluded).where(std.c.submission_id == submission_id)
        ).scalar_one()


def outlier_flags(engine: Engine) -> pl.DataFrame:
    f = m.Flag.__table__
    stmt = select(f.c.submission_id, f.c.date, f.c.reason, f.c.status).where(
        f.c.stage == "outliers"
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    schema = ["submission_id", "date", "reason", "status"]
    return pl.DataFrame(rows, schema=schema, orient="row").sort("submission_id")


# --------------------------------------------------------------------------- runs


def test_run_after_import_then_an_unchanged_rerun_is_a_no_op(imported: Engine):
    first = run_pipeline(imported, who="test")

    assert first.status == "complete"
    assert first.n_reports > 7000 and first.n_assessments > 0
    assert first.n_flagged > 0
    row = run_row(imported, first.run_id)
    assert row["status"] == "complete" and row["input_fingerprint"]
    got = assessments(imported, first.run_id)
    is_index = pl.col("series_code").str.starts_with("idx.")
    assert got.filter(~is_index).height == first.n_assessments  # index values come on top
    assert got.filter(is_index).height > 0
    assert {"rebar.shanghai", "iron_ore_62.cfr_china", "idx.ore_62"} <= set(got["series_code"])

    before = table_counts(imported)
    second = run_pipeline(imported, who="test")
    assert (second.status, second.run_id) == ("no_op", first.run_id)
    assert table_counts(imported) == before


def test_stage_statistics_are_written_for_each_stage(imported: Engine):
    summary = run_pipeline(imported)
    stats = m.StageStat.__table__
    with imported.connect() as conn:
        rows = conn.execute(
            select(stats).where(stats.c.run_id == summary.run_id).order_by(stats.c.seq)
        ).all()

    assert [r.stage for r in rows] == ["survey", "sample_library", "outliers", "compile"]
    by_stage = {r.stage: r for r in rows}
    assert by_stage["outliers"].n_in == summary.n_reports
    assert by_stage["outliers"].n_flagged == summary.n_flagged
    assert by_stage["compile"].n_kept == summary.n_assessments
    assert by_stage["sample_library"].n_kept == 220
    assert all(r.seconds >= 0 and r.counters is not None for r in rows)


def test_accepting_a_flag_makes_the_next_run_use_the_report(imported: Engine):
    first = run_pipeline(imported)
    flags = list_flags(imported, series="rebar.hangzhou", limit=1000)
    flag = next(f for f in flags if f["stage"] == "outliers")
    assert excluded_of(imported, flag["submission_id"]) is True
    n_excluded_before = (
        assessments(imported, first.run_id)
        .filter(pl.col("series_code") == "rebar.hangzhou", pl.col("date") == flag["date"])
        .item(0, "n_excluded")
    )

    resolve_flag(imported, flag["id"], "accept", who="editor", why="confirmed with the trader")
    second = run_pipeline(imported)

    assert second.status == "complete" and second.run_id != first.run_id
    assert excluded_of(imported, flag["submission_id"]) is False
    after = assessments(imported, second.run_id).filter(
        pl.col("series_code") == "rebar.hangzhou", pl.col("date") == flag["date"]
    )
    assert after.item(0, "n_excluded") == n_excluded_before - 1
    assert after.item(0, "judgement") is True  # disclosed: an editor's judgement was applied
    others = assessments(imported, second.run_id).filter(pl.col("judgement"))
    assert others.select("series_code", "date").rows() == [("rebar.hangzhou", flag["date"])]
    accepted = list_flags(imported, status="accepted", limit=10_000)
    assert [f["id"] for f in accepted] == [flag["id"]]  # the run keeps the editor's decision
    assert run_pipeline(imported).status == "no_op"


def test_an_editor_can_reverse_a_decision(imported: Engine):
    run_pipeline(imported)
    flag = next(f for f in list_flags(imported, limit=1000) if f["stage"] == "outliers")
    resolve_flag(imported, flag["id"], "accept", who="editor", why="looked fine at first")
    run_pipeline(imported)
    assert excluded_of(imported, flag["submission_id"]) is False

    resolve_flag(imported, flag["id"], "reject", who="editor", why="the trader withdrew it")
    assert run_pipeline(imported).status == "complete"  # same number reviewed, new override
    assert excluded_of(imported, flag["submission_id"]) is True


def test_changing_the_sample_library_reruns(imported: Engine, small_market: DemoMarket):
    run_pipeline(imported)
    assert run_pipeline(imported).status == "no_op"
    heavier = small_market.sources.head(1).with_columns(pl.lit(2.5).alias("credibility_weight"))
    register_sources(imported, heavier, who="test")
    assert run_pipeline(imported).status == "complete"


def test_a_crash_in_the_outlier_stage_keeps_the_previous_run(
    imported: Engine, monkeypatch: pytest.MonkeyPatch
):
    first = run_pipeline(imported)
    before = table_counts(imported)
    flags_before = outlier_flags(imported)
    kept = assessments(imported, first.run_id)

    def crash(self, batch, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("outlier model exploded")

    monkeypatch.setattr(runner.OutlierStage, "run", crash)
    with pytest.raises(RuntimeError, match="outlier model exploded"):
        run_pipeline(imported, force=True)

    runs = m.PipelineRun.__table__
    with imported.connect() as conn:
        failed = conn.execute(select(runs).where(runs.c.status == "failed")).one()
    assert "RuntimeError" in failed.error and "outlier model exploded" in failed.error
    assert failed.finished_at is not None and failed.input_fingerprint is None
    assert count(imported, m.Assessment, m.Assessment.run_id == failed.id) == 0
    assert count(imported, m.StageStat, m.StageStat.run_id == failed.id) == 0
    assert assessments(imported, first.run_id).equals(kept)
    assert outlier_flags(imported).equals(flags_before)
    after = table_counts(imported)
    assert after == {**before, "pipeline_runs": before["pipeline_runs"] + 1}
    assert latest_run_id(imported) == first.run_id

    monkeypatch.undo()
    assert run_pipeline(imported).status == "no_op"  # the first run still stands for its inputs
    assert run_pipeline(imported, force=True).status == "complete"


# --------------------------------------------------------------------------- indices


def test_indices_are_recorded_with_base_date_and_weights(imported: Engine):
    summary = run_pipeline(imported)
    idx = m.IndexDef.__table__
    weights = m.IndexWeight.__table__
    with imported.connect() as conn:
        defs = {r.code: r for r in conn.execute(select(idx))}
        ore_weights = conn.execute(
            select(weights.c.component, weights.c.weight).where(
                weights.c.index_code == "idx.ore_62"
            )
        ).all()
        steel_weights = conn.execute(
            select(weights.c.weight).where(weights.c.index_code == "idx.steel_composite")
        ).all()

    assert set(defs) == {"idx.ore_62", "idx.steel_composite"}
    ore_values = assessments(imported, summary.run_id).filter(pl.col("series_code") == "idx.ore_62")
    first_day = ore_values["date"].min()
    assert defs["idx.ore_62"].base_date == first_day
    assert defs["idx.ore_62"].base_value == 100.0
    assert ore_values.filter(pl.col("date") == first_day).item(0, "mid") == 100.0
    assert ore_weights == [("iron_ore_62.cfr_china", 1.0)]
    assert sum(w for (w,) in steel_weights) == pytest.approx(1.0)
    # The small market lacks most steel products: the composite has no value and no base yet.
    assert defs["idx.steel_composite"].base_date is None


@pytest.mark.parametrize("published", [True, False], ids=["published", "unpublished"])
def test_a_date_ranged_run_continues_the_index(imported: Engine, published: bool):
    full = run_pipeline(imported)
    if published:
        publish_run(imported, who="test", run_id=full.run_id)
    full_idx = assessments(imported, full.run_id).filter(pl.col("series_code") == "idx.ore_62")
    start = full_idx["date"].sort()[full_idx.height // 2]

    part = run_pipeline(imported, start=start)

    assert part.status == "complete"
    part_idx = assessments(imported, part.run_id).filter(pl.col("series_code") == "idx.ore_62")
    assert part_idx["date"].min() == start
    both = full_idx.join(part_idx, on=["series_code", "date"], suffix="_part")
    assert both.height == part_idx.height > 10
    assert (both["mid"] - both["mid_part"]).abs().max() <= 0.01
    assert part_idx.filter(pl.col("date") == start).item(0, "mid") != 100.0
    idx = m.IndexDef.__table__
    with imported.connect() as conn:
        base = conn.execute(select(idx.c.base_date).where(idx.c.code == "idx.ore_62")).scalar()
    assert base == full_idx["date"].min()


def test_a_date_ranged_run_leaves_earlier_flags_alone(sqlite_engine: Engine, small_market):
    """Reports imported later can carry earlier dates (and higher submission ids): a run over
    the last weeks must not touch the flags and exclusions of the weeks before."""
    reports = small_market.reports.with_row_index("_i")
    half = reports.height // 2
    late = reports.filter(pl.col("_i") >= half)
    load_market(sqlite_engine, small_market, reports=late.filter(pl.col("_i") % 2 == 0).drop("_i"))
    load_market(
        sqlite_engine,
        small_market,
        reports=reports.filter(pl.col("_i") < half).drop("_i"),
        name="early",
        with_sources=False,
    )
    load_market(
        sqlite_engine,
        small_market,
        reports=late.filter(pl.col("_i") % 2 == 1).drop("_i"),
        name="late-odd",
        with_sources=False,
    )
    std = m.StandardizedReport.__table__
    with sqlite_engine.connect() as conn:
        early_last = conn.execute(
            select(std.c.date).where(std.c.batch_id == 2).order_by(std.c.date.desc()).limit(1)
        ).scalar_one()
    start = early_last + timedelta(days=1)
    run_pipeline(sqlite_engine)
    early_flags = outlier_flags(sqlite_engine).filter(pl.col("date") < start)
    with sqlite_engine.connect() as conn:
        early_excluded = conn.execute(
            select(std.c.submission_id)
            .where(std.c.date < start, std.c.excluded)
            .order_by(std.c.submission_id)
        ).all()
    assert early_flags.height > 5 and len(early_excluded) >= early_flags.height

    part = run_pipeline(sqlite_engine, start=start)

    assert part.status == "complete"
    assert outlier_flags(sqlite_engine).filter(pl.col("date") < start).equals(early_flags)
    with sqlite_engine.connect() as conn:
        assert (
            conn.execute(
                select(std.c.submission_id)
                .where(std.c.date < start, std.c.excluded)
                .order_by(std.c.submission_id)
            ).all()
            == early_excluded
        )


def test_a_run_marked_failed_stays_failed(imported: Engine):
    """A run row left 'running' by a killed process never counts as the last complete run."""
    first = run_pipeline(imported)
    runs = m.PipelineRun.__table__
    with imported.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == first.run_id).values(status="running"))
    assert latest_run_id(imported) is None
    assert run_pipeline(imported).status == "complete"
