"""The pipeline run: survey, sample library, outlier handling and compilation, persisted.

Import (stages 3–5) happens per file in :mod:`steelsage.pipeline.importer`; publication
(stage 8) in :mod:`steelsage.pipeline.release`. A run is one transaction: a crash leaves the
previous results in place and the run marked ``failed``. A run over unchanged inputs is a
no-op (same input fingerprint as the last complete run).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from steelsage.catalog import Catalog
from steelsage.pipeline.base import RunContext, StageResult
from steelsage.pipeline.compile import ASSESSMENT_SCHEMA, CompileStage, compile_indices
from steelsage.pipeline.context import build_context
from steelsage.pipeline.importer import flag_rows
from steelsage.pipeline.indices import load_index_defs
from steelsage.pipeline.outliers import OutlierStage
from steelsage.pipeline.sample_library import SOURCE_SCHEMA, SampleLibraryStage
from steelsage.pipeline.survey import MarketSurveyStage
from steelsage.store import bulk_insert
from steelsage.store import models as m
from steelsage.store.schemas import utc_now

METHOD_VERSION = "2026.11-1"
HISTORY_DAYS = 45
LOAD_CHUNK = 100_000

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    run_id: int | None
    status: str  # complete | no_op
    n_reports: int = 0
    n_flagged: int = 0
    n_assessments: int = 0
    n_fallback: int = 0
    stages: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _now() -> datetime:
    return utc_now().replace(microsecond=0)


def _fingerprint(engine: Engine, start: date | None, end: date | None) -> str:
    std = m.StandardizedReport.__table__
    flags = m.Flag.__table__
    ov = m.Override.__table__
    src = m.Source.__table__
    cov = m.SourceCoverage.__table__
    with engine.connect() as conn:
        n_std, max_std = conn.execute(select(func.count(), func.max(std.c.submission_id))).one()
        n_reviewed = conn.execute(select(func.count()).where(flags.c.status != "open")).scalar()
        max_override = conn.execute(select(func.max(ov.c.id))).scalar()
        # Source weights, types and activity feed stages 2, 6 and 7: a changed sample
        # library must not leave a stale run standing.
        sources = conn.execute(
            select(src.c.code, src.c.type, src.c.credibility_weight, src.c.active).order_by(
                src.c.code
            )
        ).all()
        coverage = conn.execute(
            select(cov.c.source_code, cov.c.series_code).order_by(
                cov.c.source_code, cov.c.series_code
            )
        ).all()
    library = hashlib.sha256(
        json.dumps([[list(r) for r in sources], [list(r) for r in coverage]]).encode()
    ).hexdigest()
    payload = [
        n_std,
        max_std,
        n_reviewed,
        max_override,
        library,
        str(start),
        str(end),
        METHOD_VERSION,
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _last_complete_run(engine: Engine) -> tuple[int, str | None] | None:
    runs = m.PipelineRun.__table__
    stmt = (
        select(runs.c.id, runs.c.input_fingerprint)
        .where(runs.c.status == "complete", runs.c.input_fingerprint.is_not(None))
        .order_by(runs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return (row[0], row[1]) if row else None


STD_SCHEMA = {
    "submission_id": pl.Int64,
    "source_code": pl.Utf8,
    "series_code": pl.Utf8,
    "date": pl.Date,
    "data_type": pl.Utf8,
    "price_value": pl.Float64,
    "value": pl.Float64,
    "volume_t": pl.Float64,
    "excluded": pl.Boolean,
    "std_adjustments": pl.Utf8,
}


def load_standardized(engine: Engine, start: date | None, end: date | None) -> pl.DataFrame:
    """Standardized reports in [start, end] joined with their source and range-check flags."""
    std = m.StandardizedReport.__table__
    cols = [
        std.c.submission_id,
        std.c.source_code,
        std.c.series_code,
        std.c.date,
        std.c.data_type,
        std.c.raw_value,
        std.c.value,
        std.c.volume_t,
        std.c.excluded,
        std.c.adjustments,
    ]
    stmt = select(*cols)
    if start:
        stmt = stmt.where(std.c.date >= start)
    if end:
        stmt = stmt.where(std.c.date <= end)
    with engine.connect() as conn:
        parts = _fetch_frames(conn, stmt)
        flags = m.Flag.__table__
        fstmt = select(flags.c.submission_id, flags.c.reason, flags.c.message, flags.c.score).where(
            flags.c.stage == "standardize"
        )
        if start:  # only the window's range-check flags, not every one ever raised
            fstmt = fstmt.where(flags.c.date >= start)
        if end:
            fstmt = fstmt.where(flags.c.date <= end)
        flag_rows = conn.execute(fstmt).all()
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=STD_SCHEMA)
    range_flags = pl.DataFrame(
        flag_rows,
        schema={
            "submission_id": pl.Int64,
            "flag_reason": pl.Utf8,
            "flag_message": pl.Utf8,
            "flag_score": pl.Float64,
        },
        orient="row",
    ).unique("submission_id", keep="first")
    return frame.join(range_flags, on="submission_id", how="left")


def _fetch_frames(conn: Connection, stmt) -> list[pl.DataFrame]:  # type: ignore[no-untyped-def]
    """Run ``stmt`` and build frames chunk by chunk (a million Row objects would cost ~1 GB).

    On SQLite the driver's cursor is read directly and dates are parsed by Polars: the
    ORM's per-value date conversion is the slowest part otherwise.
    """
    if conn.dialect.name != "sqlite":
        result = conn.execution_options(stream_results=True, yield_per=LOAD_CHUNK).execute(stmt)
        return [
            pl.DataFrame(chunk, schema=STD_SCHEMA, orient="row")
            for chunk in result.partitions(LOAD_CHUNK)
        ]
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    text_schema = {**STD_SCHEMA, "date": pl.Utf8, "excluded": pl.Int64}
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    parts = []
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(LOAD_CHUNK):
            parts.append(
                pl.DataFrame(rows, schema=text_schema, orient="row").with_columns(
                    pl.col("date").str.to_date("%Y-%m-%d"), pl.col("excluded").cast(pl.Boolean)
                )
            )
    finally:
        cursor.close()
    return parts


def enrich(frame: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
    """Add source type/weight and product/region codes that stages 6–7 use."""
    sources = ctx.sources.select(
        pl.col("code").alias("source_code"),
        pl.col("type").alias("source_type"),
        pl.col("credibility_weight").alias("source_weight"),
    )
    parts = pl.col("series_code").str.split_exact(".", 1)
    return frame.join(sources, on="source_code", how="left").with_columns(
        parts.struct.field("field_0").alias("product_code"),
        parts.struct.field("field_1").alias("region_code"),
    )


def _overrides(engine: Engine) -> pl.DataFrame:
    flags = m.Flag.__table__
    stmt = select(flags.c.submission_id, flags.c.status).where(
        flags.c.status.in_(["accepted", "rejected"])
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pl.DataFrame(rows, schema={"submission_id": pl.Int64, "status": pl.Utf8}, orient="row")
    return frame.select(
        "submission_id",
        pl.col("status")
        .replace_strict({"accepted": "accept", "rejected": "reject"})
        .alias("action"),
    ).unique("submission_id", keep="last")


def _previous_mids(engine: Engine, before: date | None) -> pl.DataFrame:
    """Last published mid per series before ``before`` (for change and fallback)."""
    schema = {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64}
    if before is None:
        return pl.DataFrame(schema=schema)
    obs = m.SeriesObservation.__table__
    stmt = select(obs.c.series_code, obs.c.date, obs.c.value).where(
        obs.c.superseded_at.is_(None), obs.c.date < before, obs.c.date >= before - timedelta(30)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.sort("date").group_by("series_code").last()


def _stage_row(name: str, n_in: int, res: StageResult, seconds: float) -> dict:
    return {
        "stage": name,
        "n_in": n_in,
        "n_kept": res.kept.height,
        "n_rejected": res.rejected.height,
        "n_flagged": res.flagged.height,
        "seconds": round(seconds, 3),
        "counters": {k: v for k, v in res.counters.items()},
    }


def run_pipeline(
    engine: Engine,
    *,
    start: date | None = None,
    end: date | None = None,
    force: bool = False,
    who: str = "system",
    catalog: Catalog | None = None,
    frame: pl.DataFrame | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Run stages 1, 2, 6 and 7 over the standardized reports in [start, end]."""
    say = progress or (lambda _msg: None)
    t_start = time.perf_counter()
    fingerprint = _fingerprint(engine, start, end)
    last = _last_complete_run(engine)
    if not force and last and last[1] == fingerprint:
        return RunSummary(run_id=last[0], status="no_op")

    runs = m.PipelineRun.__table__
    with engine.begin() as conn:
        res = conn.execute(
            insert(runs).values(
                started_at=_now(),
                status="running",
                input_fingerprint=None,
                params={"start": str(start), "end": str(end), "who": who, "method": METHOD_VERSION},
            )
        )
        run_id = int(res.inserted_primary_key[0])
    try:
        summary = _run(
            engine,
            run_id,
            start,
            end,
            catalog,
            frame,
            say,
        )
    except BaseException as exc:
        with engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status="failed", error=f"{type(exc).__name__}: {exc}"[:4000], finished_at=_now()
                )
            )
        raise
    with engine.begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(status="complete", finished_at=_now(), input_fingerprint=fingerprint)
        )
    summary.seconds = round(time.perf_counter() - t_start, 3)
    return summary


def _run(
    engine: Engine,
    run_id: int,
    start: date | None,
    end: date | None,
    catalog: Catalog | None,
    frame: pl.DataFrame | None,
    say: Progress,
) -> RunSummary:
    ctx = build_context(engine, catalog=catalog)
    stages: list[dict] = []

    say("market survey / 市场调查")
    coverage = _coverage(engine)
    t0 = time.perf_counter()
    survey = MarketSurveyStage().run(coverage, ctx)
    stages.append(_stage_row("survey", coverage.height, survey, time.perf_counter() - t0))

    say("sample library / 样本库")
    t0 = time.perf_counter()
    registry = _registry(engine, coverage)
    library = SampleLibraryStage().run(registry, ctx)
    stages.append(_stage_row("sample_library", registry.height, library, time.perf_counter() - t0))

    say("loading standardized reports / 读取标准化报价")
    if frame is None:
        frame = load_standardized(engine, start, end)
    reports = enrich(frame, ctx)
    first_day = reports["date"].min() if reports.height else None
    if start is not None and first_day is not None:
        hist = load_standardized(engine, start - timedelta(HISTORY_DAYS), start - timedelta(1))
        ctx.history = enrich(hist, ctx)
    ctx.params["overrides"] = _overrides(engine)

    say("outlier handling / 异常值处理")
    t0 = time.perf_counter()
    out = OutlierStage().run(reports, ctx)
    stages.append(_stage_row("outliers", reports.height, out, time.perf_counter() - t0))

    say("compilation / 编制")
    ctx.history = _previous_mids(engine, first_day)
    t0 = time.perf_counter()
    comp = CompileStage().run(out.kept, ctx)
    defs = load_index_defs()
    index_values = compile_indices(comp.kept, defs, base_prices=_stored_index_bases(engine, defs))
    stages.append(_stage_row("compile", out.kept.height, comp, time.perf_counter() - t0))

    say("saving / 保存结果")
    assessments = _assessment_rows(comp.kept, index_values, run_id)
    assessments = _mark_judgement(assessments, reports, ctx.params["overrides"])
    with engine.begin() as conn:
        _persist_flags(conn, out, run_id, reports)
        bulk_insert(conn, m.Assessment.__table__, assessments)
        _persist_index_defs(conn, defs, index_values)
        for seq, row in enumerate(stages, start=1):
            conn.execute(insert(m.StageStat.__table__).values(run_id=run_id, seq=seq, **row))
    n_fallback = int(comp.kept["fallback"].sum()) if comp.kept.height else 0
    return RunSummary(
        run_id=run_id,
        status="complete",
        n_reports=reports.height,
        n_flagged=out.flagged.height,
        n_assessments=comp.kept.height,
        n_fallback=n_fallback,
        stages=stages,
    )


def _coverage(engine: Engine) -> pl.DataFrame:
    t = m.SourceCoverage.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.source_code, t.c.series_code)).all()
    return pl.DataFrame(rows, schema={"source_code": pl.Utf8, "series_code": pl.Utf8}, orient="row")


def _registry(engine: Engine, coverage: pl.DataFrame) -> pl.DataFrame:
    """The sample library as the sample-library stage reads it (coverage as a list)."""
    s = m.Source.__table__
    columns = [c for c in SOURCE_SCHEMA if c != "coverage"]
    with engine.connect() as conn:
        rows = conn.execute(select(*(s.c[c] for c in columns))).all()
    frame = pl.DataFrame(rows, schema={c: SOURCE_SCHEMA[c] for c in columns}, orient="row")
    cov = coverage.group_by("source_code").agg(pl.col("series_code").alias("coverage"))
    return frame.join(cov, left_on="code", right_on="source_code", how="left").with_columns(
        pl.col("coverage").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
    )


def _persist_flags(conn: Connection, out: StageResult, run_id: int, reports: pl.DataFrame) -> None:
    """Replace open outlier flags of these reports; reviewed flags stay as they are.

    The run covers the dates of ``reports``, so flags and exclusions are replaced in that date
    window (not by submission-id range: ids of a later import can be older dates).
    """
    flags = m.Flag.__table__
    std = m.StandardizedReport.__table__
    dates = reports["date"]
    lo, hi = (dates.min(), dates.max()) if dates.len() else (None, None)
    if lo is not None:
        conn.execute(
            delete(flags).where(
                and_(
                    flags.c.stage == "outliers",
                    flags.c.status == "open",
                    flags.c.date >= lo,
                    flags.c.date <= hi,
                )
            )
        )
    reviewed = {
        r[0]
        for r in conn.execute(
            select(flags.c.submission_id).where(
                flags.c.stage == "outliers", flags.c.status != "open"
            )
        )
    }
    created = _now()
    new_flags = out.flagged.filter(
        ~pl.col("submission_id").is_in(list(reviewed)) & (pl.col("flag_reason") != "out_of_range")
    )
    rows = flag_rows(new_flags, stage="outliers", created=created, run_id=run_id)
    bulk_insert(conn, flags, rows)
    # Write only the exclusions that changed (a full rewrite of 1M rows costs seconds).
    if lo is not None:
        before = reports.select("submission_id", pl.col("excluded").fill_null(False).alias("_old"))
        changed = (
            out.kept.select("submission_id", pl.col("excluded").fill_null(False))
            .join(before, on="submission_id", how="left")
            .filter(pl.col("_old").is_null() | (pl.col("excluded") != pl.col("_old")))
        )
        for value in (True, False):
            ids = changed.filter(pl.col("excluded") == value)["submission_id"].to_list()
            for i in range(0, len(ids), 5000):
                chunk = ids[i : i + 5000]
                conn.execute(
                    update(std).where(std.c.submission_id.in_(chunk)).values(excluded=value)
                )


def _mark_judgement(
    assessments: pl.DataFrame, reports: pl.DataFrame, overrides: pl.DataFrame
) -> pl.DataFrame:
    """``judgement`` = an editor accepted or rejected a report of that series-day (daily
    disclosure: whether judgement was applied)."""
    if overrides.height == 0:
        return assessments
    judged = (
        reports.join(overrides.select("submission_id"), on="submission_id", how="semi")
        .select("series_code", "date")
        .unique()
        .with_columns(pl.lit(True).alias("_judged"))
    )
    return (
        assessments.join(judged, on=["series_code", "date"], how="left")
        .with_columns(pl.col("_judged").fill_null(False).alias("judgement"))
        .drop("_judged")
    )


def _assessment_rows(comp: pl.DataFrame, index_values: pl.DataFrame, run_id: int) -> pl.DataFrame:
    cols = ASSESSMENT_SCHEMA
    main = comp.select(
        [
            pl.col(c).cast(t) if c in comp.columns else pl.lit(None, t).alias(c)
            for c, t in cols.items()
        ]
    )
    if index_values.height:
        idx = index_values.sort("series_code", "date").with_columns(
            pl.col("value").alias("mid"),
            (pl.col("value") - pl.col("value").shift(1).over("series_code")).alias("change"),
            pl.lit("index").alias("method"),
        )
        idx = idx.with_columns(
            (pl.col("change") / (pl.col("mid") - pl.col("change")) * 100).alias("change_pct")
        )
        idx = idx.select(
            [
                pl.col(c).cast(t) if c in idx.columns else pl.lit(None, t).alias(c)
                for c, t in cols.items()
            ]
        ).with_columns(
            pl.col("n_sources").fill_null(0),
            pl.col("n_reports").fill_null(0),
            pl.col("n_deals").fill_null(0),
            pl.col("n_excluded").fill_null(0),
            pl.col("fallback").fill_null(False),
        )
        main = pl.concat([main, idx])
    return main.with_columns(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(False).alias("judgement"),
    )


def _stored_index_bases(engine: Engine, defs: list) -> dict[str, dict[str, float]]:
    """Base-date mids of each stored index's member series, read from publications (else
    from the latest complete run that assessed the base date, when nothing was published
    yet), so an incremental run continues the index instead of re-basing it on its own first
    day."""
    idx = m.IndexDef.__table__
    obs = m.SeriesObservation.__table__
    a = m.Assessment.__table__
    runs = m.PipelineRun.__table__
    bases: dict[str, dict[str, float]] = {}
    with engine.connect() as conn:
        stored = dict(conn.execute(select(idx.c.code, idx.c.base_date)).all())
        for d in defs:
            base_date = stored.get(d.code)
            if base_date is None:
                continue
            rows = conn.execute(
                select(obs.c.series_code, obs.c.value).where(
                    obs.c.date == base_date, obs.c.superseded_at.is_(None)
                )
            ).all()
            if not rows:
                last_run = (
                    select(func.max(a.c.run_id))
                    .select_from(a.join(runs, runs.c.id == a.c.run_id))
                    .where(a.c.date == base_date, runs.c.status == "complete")
                    .scalar_subquery()
                )
                rows = conn.execute(
                    select(a.c.series_code, a.c.mid).where(
                        a.c.date == base_date, a.c.run_id == last_run
                    )
                ).all()
            members = {
                code: value
                for code, value in rows
                if any(
                    code == c.series or (c.product and code.startswith(f"{c.product}."))
                    for c in d.components
                )
            }
            if members:
                bases[d.code] = members
    return bases


def _persist_index_defs(conn: Connection, defs: list, index_values: pl.DataFrame) -> None:
    """Record each index's definition, base date and weights (first run fixes the base)."""
    idx = m.IndexDef.__table__
    weights = m.IndexWeight.__table__
    stored = dict(conn.execute(select(idx.c.code, idx.c.base_date)).all())
    for d in defs:
        values = index_values.filter(pl.col("series_code") == d.code)
        base_date = stored.get(d.code) or d.base_date
        if base_date is None and values.height:
            base_date = values["date"].min()
        conn.execute(delete(weights).where(weights.c.index_code == d.code))
        conn.execute(delete(idx).where(idx.c.code == d.code))
        conn.execute(
            insert(idx).values(
                code=d.code,
                name_zh=d.name_zh,
                name_en=d.name_en,
                base_date=base_date,
                base_value=d.base_value,
                method=d.method,
            )
        )
        for key, weight in d.weights.items():
            conn.execute(insert(weights).values(index_code=d.code, component=key, weight=weight))
