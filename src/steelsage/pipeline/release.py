"""Publication (stage 8), persisted: versioned releases per assessment date, corrections.

Every assessment date is a release ``assessments:YYYY-MM-DD``. Publishing a run again only
writes the values that changed, as a new version of that date's release; an editor's
correction of a single value is also a new version, and it stands: a later publication of a
recomputed value for that series and date is skipped (correct it again to change it). Nothing
published is ever overwritten: older versions stay readable with ``as_of``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import polars as pl
from sqlalchemy import Engine, select

from steelsage.catalog import Catalog, load_catalog
from steelsage.config import MARKET_TZ
from steelsage.pipeline.context import build_context
from steelsage.store import audit, publish_many, publish_values, record_override, upsert_series
from steelsage.store import models as m

PUBLISH_TIME = time(17, 30, tzinfo=MARKET_TZ)  # the store keeps it as naive UTC (09:30)


class PublishError(RuntimeError):
    """Raised when there is nothing valid to publish."""


def _run_status(engine: Engine, run_id: int) -> str | None:
    runs = m.PipelineRun.__table__
    with engine.connect() as conn:
        return conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()


def _has_complete_run(engine: Engine) -> bool:
    runs = m.PipelineRun.__table__
    stmt = select(runs.c.id).where(
        runs.c.status == "complete", runs.c.input_fingerprint.is_not(None)
    )
    with engine.connect() as conn:
        return conn.execute(stmt.limit(1)).first() is not None


def latest_run_id(engine: Engine) -> int | None:
    runs = m.PipelineRun.__table__
    a = m.Assessment.__table__
    stmt = (
        select(runs.c.id)
        .where(runs.c.status == "complete", runs.c.id.in_(select(a.c.run_id).distinct()))
        .order_by(runs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def load_assessments(engine: Engine, run_id: int) -> pl.DataFrame:
    a = m.Assessment.__table__
    stmt = select(
        a.c.id,
        a.c.series_code,
        a.c.date,
        a.c.low,
        a.c.high,
        a.c.mid,
        a.c.change,
        a.c.change_pct,
        a.c.n_sources,
        a.c.n_reports,
        a.c.fallback,
        a.c.method,
    ).where(a.c.run_id == run_id)
    schema = {
        "assessment_id": pl.Int64,
        "series_code": pl.Utf8,
        "date": pl.Date,
        "low": pl.Float64,
        "high": pl.Float64,
        "mid": pl.Float64,
        "change": pl.Float64,
        "change_pct": pl.Float64,
        "n_sources": pl.Int64,
        "n_reports": pl.Int64,
        "fallback": pl.Boolean,
        "method": pl.Utf8,
    }
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def series_metadata(catalog: Catalog, codes: list[str]) -> list[dict]:
    """Rows for the ``series`` table for assessment and index codes."""
    from steelsage.pipeline.indices import load_index_defs

    index_defs = {d.code: d for d in load_index_defs()}
    rows: list[dict] = []
    for code in codes:
        if code in index_defs:
            d = index_defs[code]
            rows.append(
                {
                    "code": code,
                    "kind": "index",
                    "name_zh": d.name_zh,
                    "name_en": d.name_en,
                    "commodity": None,
                    "product": None,
                    "region": "national",
                    "unit": "INDEX",
                    "frequency": "daily",
                    "method": d.method,
                    "source": "steelsage",
                    "licence": None,
                    "meta": {"base_value": d.base_value},
                }
            )
            continue
        a = catalog.assessments.get(code)
        if a is None:
            continue
        product = catalog.products[a.product]
        rows.append(
            {
                "code": code,
                "kind": "assessment",
                "name_zh": catalog.series_name(code, "zh"),
                "name_en": catalog.series_name(code, "en"),
                "commodity": product.commodity,
                "product": a.product,
                "region": a.region,
                "unit": a.unit,
                "frequency": "daily",
                "method": "weighted_median:deal>bid/offer>indication",
                "source": "steelsage",
                "licence": None,
                "meta": {"min_sources": a.min_sources, "benchmark": a.benchmark},
            }
        )
    return rows


def publish_run(
    engine: Engine,
    *,
    who: str,
    note: str | None = None,
    run_id: int | None = None,
    dates: list[date] | None = None,
    historical_timestamps: bool = False,
    catalog: Catalog | None = None,
) -> list[dict]:
    """Publish the assessments of ``run_id`` (default: the latest complete run).

    Returns one entry per release written (release, version, kind, n_values, n_unchanged).
    With ``historical_timestamps`` each date is stamped as published at 17:30 that day (used
    to backfill a history, so ``as_of`` queries behave as they would have).
    """
    from steelsage.pipeline.publish import PublishStage

    catalog = catalog or load_catalog()
    run_id = run_id or latest_run_id(engine)
    if run_id is None:
        if _has_complete_run(engine):
            raise PublishError(
                "最近的运行没有产生评估（来源不足或没有报价）/ nothing to publish: the pipeline "
                "runs produced no assessments (too few sources or no reports); import more "
                "reports and run `steelsage pipeline run` again"
            )
        raise PublishError(
            "没有可发布的评估结果，请先运行 `steelsage pipeline run` / "
            "nothing to publish: run `steelsage pipeline run` first"
        )
    status = _run_status(engine, run_id)
    if status != "complete":
        raise PublishError(
            f"运行 {run_id} 的状态是 {status or '不存在'}，只能发布已完成的运行 / run {run_id} is "
            f"{status or 'missing'}: only a complete run can be published"
        )
    frame = load_assessments(engine, run_id)
    if dates:
        frame = frame.filter(pl.col("date").is_in(dates))
    if frame.height == 0:
        raise PublishError(f"运行 {run_id} 没有评估结果 / run {run_id} has no assessments")
    ctx = build_context(engine, catalog=catalog)
    values = PublishStage().run(frame, ctx).kept
    values, n_kept_corrections = _without_corrected(engine, values)
    values = _changed_only(engine, values)
    with engine.begin() as conn:
        upsert_series(conn, series_metadata(catalog, values["series_code"].unique().to_list()))
        parts = [
            (
                f"assessments:{day.isoformat()}",
                part,
                datetime.combine(day, PUBLISH_TIME) if historical_timestamps else None,
            )
            for (day,), part in values.sort("date").group_by(["date"], maintain_order=True)
        ]
        infos = publish_many(conn, parts, who=who, note=note, run_id=run_id)
        written = [i.model_dump(mode="json") for i in infos if i.n_values]
        audit(
            conn,
            who,
            "publish",
            "run",
            str(run_id),
            {
                "releases": len(written),
                "values": sum(w["n_values"] for w in written),
                "kept_corrections": n_kept_corrections,
            },
        )
    return written


def _current_values(engine: Engine, values: pl.DataFrame) -> pl.DataFrame:
    """Current published (series_code, date, value, low, high) for the dates of ``values``."""
    obs = m.SeriesObservation.__table__
    schema = {
        "series_code": pl.Utf8,
        "date": pl.Date,
        "cur_value": pl.Float64,
        "cur_low": pl.Float64,
        "cur_high": pl.Float64,
    }
    if values.height == 0:
        return pl.DataFrame(schema=schema)
    stmt = select(obs.c.series_code, obs.c.date, obs.c.value, obs.c.low, obs.c.high).where(
        obs.c.superseded_at.is_(None),
        obs.c.date >= values["date"].min(),
        obs.c.date <= values["date"].max(),
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _changed_only(engine: Engine, values: pl.DataFrame) -> pl.DataFrame:
    """Drop values equal to the current published ones (value, low, high), so publishing an
    unchanged run writes no empty versions."""
    current = _current_values(engine, values)
    joined = values.join(current, on=["series_code", "date"], how="left")
    same = (
        pl.col("cur_value").is_not_null()
        & pl.col("value").eq_missing(pl.col("cur_value"))
        & pl.col("low").eq_missing(pl.col("cur_low"))
        & pl.col("high").eq_missing(pl.col("cur_high"))
    )
    return joined.filter(~same).select(values.columns)


def _without_corrected(engine: Engine, values: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Drop (series, date) pairs whose current value is an editor's correction: a recomputed
    value must not silently undo a logged judgement (correct the value again to change it)."""
    obs = m.SeriesObservation.__table__
    pub = m.Publication.__table__
    ov = m.Override.__table__
    if values.height == 0:
        return values, 0
    stmt = (
        select(obs.c.series_code, obs.c.date)
        .select_from(obs.join(pub, pub.c.id == obs.c.publication_id))
        .where(
            obs.c.superseded_at.is_(None),
            pub.c.kind == "correction",
            pub.c.run_id.is_(None),
            obs.c.date >= values["date"].min(),
            obs.c.date <= values["date"].max(),
        )
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            return values, 0
        overridden = {
            r[0]
            for r in conn.execute(
                select(ov.c.target_id).where(
                    ov.c.target == "assessment", ov.c.action == "set_value"
                )
            )
        }
    corrected = pl.DataFrame(
        [r for r in rows if f"{r[0]}@{r[1].isoformat()}" in overridden],
        schema={"series_code": pl.Utf8, "date": pl.Date},
        orient="row",
    )
    kept = values.join(corrected, on=["series_code", "date"], how="anti")
    return kept, values.height - kept.height


def correct_value(
    engine: Engine,
    *,
    series_code: str,
    day: date,
    value: float,
    who: str,
    why: str,
    low: float | None = None,
    high: float | None = None,
) -> dict:
    """An editor's correction of one published value: logged, then published as a new version."""
    from steelsage.store import get_observations

    if not math.isfinite(value) or value <= 0:
        raise PublishError(
            f"更正值必须是正数，收到 {value} / the corrected value must be a positive number, "
            f"got {value}"
        )
    current = get_observations(engine, series_code, start=day, end=day)
    if current.height == 0:
        raise PublishError(
            f"{series_code} 在 {day} 没有已发布的值，无法更正 / "
            f"no published value for {series_code} on {day} to correct"
        )
    old = current.row(0, named=True)
    release = _release_of_current(engine, series_code, day)
    # The change is against the previous published value; the next value's change moves too.
    around = get_observations(
        engine, series_code, start=day - timedelta(days=31), end=day + timedelta(days=31)
    )
    before = around.filter(pl.col("date") < day).tail(1)
    after = around.filter(pl.col("date") > day).head(1)
    change = round(value - before.item(0, "value"), 6) if before.height else old["change"]
    row = {
        "series_code": [series_code],
        "date": [day],
        "value": [float(value)],
        "low": [low if low is not None else min(old["low"] or value, value)],
        "high": [high if high is not None else max(old["high"] or value, value)],
        "change": [change],
        "n_sources": [old["n_sources"]],
        "fallback": [old["fallback"]],
        "assessment_id": [None],
    }
    values = pl.DataFrame(
        row,
        schema={
            "series_code": pl.Utf8,
            "date": pl.Date,
            "value": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "change": pl.Float64,
            "n_sources": pl.Int64,
            "fallback": pl.Boolean,
            "assessment_id": pl.Int64,
        },
    )
    with engine.begin() as conn:
        record_override(
            conn,
            target="assessment",
            target_id=f"{series_code}@{day.isoformat()}",
            action="set_value",
            old_value=str(old["value"]),
            new_value=str(value),
            who=who,
            why=why,
        )
        info = publish_values(
            conn,
            release=release,
            kind="correction",
            values=values,
            who=who,
            note=why,
        )
        if after.height:
            nxt = after.row(0, named=True)
            publish_values(
                conn,
                release=_release_of_current(engine, series_code, nxt["date"]),
                kind="correction",
                values=values.with_columns(
                    pl.lit(nxt["date"]).alias("date"),
                    pl.lit(nxt["value"]).alias("value"),
                    pl.lit(nxt["low"], pl.Float64).alias("low"),
                    pl.lit(nxt["high"], pl.Float64).alias("high"),
                    pl.lit(round(nxt["value"] - value, 6)).alias("change"),
                    pl.lit(nxt["n_sources"], pl.Int64).alias("n_sources"),
                    pl.lit(nxt["fallback"]).alias("fallback"),
                ),
                who=who,
                note=f"涨跌随前一日更正重算 / change restated after the correction of {day}",
            )
    return info.model_dump(mode="json")


def _release_of_current(engine: Engine, series_code: str, day: date) -> str:
    """The release holding the current value (``assessments:DATE`` for assessments, the
    import's release for external or indicator series)."""
    obs = m.SeriesObservation.__table__
    pub = m.Publication.__table__
    stmt = (
        select(pub.c.release)
        .select_from(obs.join(pub, pub.c.id == obs.c.publication_id))
        .where(obs.c.series_code == series_code, obs.c.date == day, obs.c.superseded_at.is_(None))
    )
    with engine.connect() as conn:
        release = conn.execute(stmt).scalar()
    return release or f"assessments:{day.isoformat()}"
