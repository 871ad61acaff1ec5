"""Publication (stage 8, persisted): per-date releases, versions, corrections, as-of reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from steelsage.demo.market import DemoMarket
from steelsage.pipeline import runner
from steelsage.pipeline.release import PublishError, correct_value, latest_run_id, publish_run
from steelsage.pipeline.review import list_flags, resolve_flag
from steelsage.pipeline.runner import run_pipeline
from steelsage.store import get_engine, get_observations, init_db, publications
from steelsage.store import models as m

from .integration_support import count, load_market, sqlite_url, table_counts


def run_values(engine: Engine, run_id: int) -> pl.DataFrame:
    a = m.Assessment.__table__
    stmt = select(a.c.series_code, a.c.date, a.c.mid, a.c.low, a.c.high).where(a.c.run_id == run_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    schema = ["series_code", "date", "mid", "low", "high"]
    return pl.DataFrame(rows, schema=schema, orient="row")


@pytest.fixture
def published(imported: Engine) -> tuple[Engine, int, list[dict]]:
    """The small market imported, run and published once (both backends)."""
    run = run_pipeline(imported, who="test")
    written = publish_run(imported, who="editor", note="first", run_id=run.run_id)
    return imported, run.run_id, written


@pytest.fixture(scope="module")
def published_file(tmp_path_factory: pytest.TempPathFactory, small_market: DemoMarket) -> Path:
    """The same on SQLite, built once per module (tests write to copies)."""
    path = tmp_path_factory.mktemp("published") / "published.db"
    get_engine.cache_clear()
    engine = get_engine(sqlite_url(path))
    try:
        init_db(engine)
        load_market(engine, small_market)
        run = run_pipeline(engine, who="test")
        publish_run(engine, who="editor", note="first", run_id=run.run_id)
    finally:
        engine.dispose()
        get_engine.cache_clear()
    return path


@pytest.fixture
def published_copy(copy_db, published_file: Path) -> tuple[Engine, int, None]:
    engine = copy_db(published_file)
    return engine, latest_run_id(engine), None


def test_one_release_per_date_each_at_version_1(published):
    engine, run_id, written = published
    values = run_values(engine, run_id)
    days = values["date"].unique().sort()

    assert [w["release"] for w in written] == [f"assessments:{d.isoformat()}" for d in days]
    assert {(w["version"], w["kind"]) for w in written} == {(1, "initial")}
    per_day = values.group_by("date").len()
    assert sum(w["n_values"] for w in written) == values.height == per_day["len"].sum()
    assert count(engine, m.Publication) == len(days)
    assert count(engine, m.SeriesObservation) == values.height
    obs = get_observations(engine, "rebar.shanghai")
    expected = values.filter(pl.col("series_code") == "rebar.shanghai").sort("date")
    assert obs["value"].to_list() == expected["mid"].to_list()
    assert obs["version"].unique().to_list() == [1]


def test_publishing_again_without_changes_writes_nothing(published):
    engine, run_id, _ = published
    before = table_counts(engine)

    assert publish_run(engine, who="editor") == []
    assert publish_run(engine, who="editor", run_id=run_id) == []
    assert table_counts(engine) == before


def test_an_override_then_rerun_publishes_corrections_for_changed_values_only(published):
    engine, first_run, _ = published
    for flag in list_flags(engine, series="rebar.hangzhou", limit=10_000):
        resolve_flag(engine, flag["id"], "accept", who="editor", why="all checked by phone")
    second = run_pipeline(engine)
    assert second.status == "complete"
    old, new = run_values(engine, first_run), run_values(engine, second.run_id)
    diff = old.join(new, on=["series_code", "date"], suffix="_new").filter(
        pl.col("mid").ne_missing(pl.col("mid_new"))
        | pl.col("low").ne_missing(pl.col("low_new"))
        | pl.col("high").ne_missing(pl.col("high_new"))
    )
    assert diff.height > 0  # accepting outliers moves some hangzhou mids
    n_pubs, n_obs = count(engine, m.Publication), count(engine, m.SeriesObservation)

    written = publish_run(engine, who="editor", note="after review")

    changed_days = sorted(diff["date"].unique().to_list())
    assert [w["release"] for w in written] == [f"assessments:{d.isoformat()}" for d in changed_days]
    assert {(w["version"], w["kind"]) for w in written} == {(2, "correction")}
    assert sum(w["n_values"] for w in written) == diff.height
    assert count(engine, m.Publication) == n_pubs + len(changed_days)
    assert count(engine, m.SeriesObservation) == n_obs + diff.height
    one = diff.row(0, named=True)
    current = get_observations(engine, one["series_code"], start=one["date"], end=one["date"])
    assert current.item(0, "value") == one["mid_new"] and current.item(0, "version") == 2


def test_a_correction_needs_a_reason(published_copy):
    engine, _, _ = published_copy
    day = get_observations(engine, "rebar.shanghai")["date"].max()
    before = table_counts(engine)
    for why in ("", "   "):
        with pytest.raises(ValueError, match="why"):
            correct_value(
                engine, series_code="rebar.shanghai", day=day, value=4000.0, who="ed", why=why
            )
    assert table_counts(engine) == before


def test_a_correction_must_be_a_positive_number(published_copy):
    engine, _, _ = published_copy
    day = get_observations(engine, "rebar.shanghai")["date"].max()
    before = table_counts(engine)
    for value in (0.0, -10.0, float("nan"), float("inf")):
        with pytest.raises(PublishError, match="positive"):
            correct_value(
                engine, series_code="rebar.shanghai", day=day, value=value, who="e", why="x"
            )
    assert table_counts(engine) == before


def test_a_correction_is_a_new_version_with_override_and_audit(published):
    engine, _, _ = published
    obs = get_observations(engine, "rebar.shanghai")
    day, old_value = obs["date"][-1], obs["value"][-1]
    release = f"assessments:{day.isoformat()}"
    (first,) = publications(engine, release)

    info = correct_value(
        engine,
        series_code="rebar.shanghai",
        day=day,
        value=old_value + 50,
        who="editor",
        why="a deal reported late, confirmed by both sides",
    )

    assert (info["release"], info["version"], info["kind"]) == (release, 2, "correction")
    assert info["n_values"] == 1
    now = get_observations(engine, "rebar.shanghai", start=day, end=day)
    assert (now.item(0, "value"), now.item(0, "version")) == (old_value + 50, 2)
    ov = m.Override.__table__
    au = m.AuditLog.__table__
    with engine.connect() as conn:
        (override,) = conn.execute(select(ov)).all()
        audits = conn.execute(select(au).where(au.c.action == "override")).all()
    assert override.target == "assessment"
    assert override.target_id == f"rebar.shanghai@{day.isoformat()}"
    assert (override.who, override.action) == ("editor", "set_value")
    assert float(override.old_value) == old_value
    assert float(override.new_value) == old_value + 50
    assert "late" in override.why
    assert [a.detail["override_id"] for a in audits] == [override.id]

    then = get_observations(engine, "rebar.shanghai", start=day, end=day, as_of=first.published_at)
    assert (then.item(0, "value"), then.item(0, "version")) == (old_value, 1)
    _, second = publications(engine, release)
    then = get_observations(engine, "rebar.shanghai", start=day, end=day, as_of=second.published_at)
    assert then.item(0, "value") == old_value + 50


def test_a_rerun_does_not_undo_an_editors_correction(published_copy):
    engine, _, _ = published_copy
    day = get_observations(engine, "rebar.shanghai")["date"].max()
    correct_value(
        engine, series_code="rebar.shanghai", day=day, value=5000.0, who="ed", why="judgement"
    )
    run = run_pipeline(engine)
    assert run.status == "complete"  # an override is an input

    assert publish_run(engine, who="editor") == []
    now = get_observations(engine, "rebar.shanghai", start=day, end=day)
    assert (now.item(0, "value"), now.item(0, "version")) == (5000.0, 2)


def test_nothing_is_published_from_a_failed_run(
    published_copy, small_market: DemoMarket, monkeypatch: pytest.MonkeyPatch
):
    engine, first_run, _ = published_copy
    more = small_market.reports.head(50).with_columns(pl.col("report_id") + "-late")
    load_market(engine, small_market, reports=more, name="late", with_sources=False)

    def crash(self, batch, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.OutlierStage, "run", crash)
    with pytest.raises(RuntimeError):
        run_pipeline(engine)
    runs = m.PipelineRun.__table__
    with engine.connect() as conn:
        failed_id = conn.execute(select(runs.c.id).where(runs.c.status == "failed")).scalar_one()
    before = table_counts(engine)

    assert publish_run(engine, who="editor") == []  # the previous run, already published
    with pytest.raises(PublishError, match="failed"):
        publish_run(engine, who="editor", run_id=failed_id)
    assert table_counts(engine) == before
    assert first_run != failed_id


def test_publish_refuses_when_the_only_run_failed(
    imported_sqlite: Engine, monkeypatch: pytest.MonkeyPatch
):
    imported = imported_sqlite

    def crash(self, batch, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.OutlierStage, "run", crash)
    with pytest.raises(RuntimeError):
        run_pipeline(imported)
    with pytest.raises(PublishError, match="pipeline run"):
        publish_run(imported, who="editor")
    assert count(imported, m.Publication) == count(imported, m.SeriesObservation) == 0


def test_publishing_one_date_only(imported_sqlite: Engine):
    imported = imported_sqlite
    run = run_pipeline(imported)
    day = run_values(imported, run.run_id)["date"].max()
    written = publish_run(imported, who="editor", dates=[day])
    assert [w["release"] for w in written] == [f"assessments:{day.isoformat()}"]
    assert count(imported, m.Publication) == 1
    with pytest.raises(PublishError):
        publish_run(imported, who="editor", dates=[day + timedelta(days=1)])


def test_a_correction_restates_its_change_and_the_next_days_change(published_copy):
    engine, _, _ = published_copy
    obs = get_observations(engine, "rebar.shanghai")
    prev_value, day, old_value, next_day, next_value = (
        obs["value"][-3],
        obs["date"][-2],
        obs["value"][-2],
        obs["date"][-1],
        obs["value"][-1],
    )
    correct_value(
        engine,
        series_code="rebar.shanghai",
        day=day,
        value=old_value + 40,
        who="editor",
        why="keying error in the compiled mid",
    )
    after = get_observations(engine, "rebar.shanghai", start=day)
    assert after.item(0, "change") == pytest.approx(old_value + 40 - prev_value)
    assert after.item(1, "value") == next_value  # the next value itself stands
    assert after.item(1, "change") == pytest.approx(next_value - (old_value + 40))
    assert after.item(1, "version") == 2
    (_, restated) = publications(engine, f"assessments:{next_day.isoformat()}")
    assert restated.kind == "correction"
