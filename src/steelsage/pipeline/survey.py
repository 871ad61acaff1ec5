"""Stage 1, market survey: does every assessment have enough sources covering it?

Input: the source-coverage frame (``source_code, series_code``). Output ``kept``: one row per
catalog assessment with ``series_code, n_sources_covering, min_sources, status`` where status
is ``ok``, ``thin`` (fewer than twice the minimum) or ``uncovered`` (below the minimum). Only
active sources of ``ctx.sources`` count. Thin and uncovered series are also ``flagged``.
Coverage rows naming a series or source we do not know are ``rejected``.
"""

from __future__ import annotations

import polars as pl

from steelsage.pipeline import reasons
from steelsage.pipeline.base import RunContext, StageResult

SURVEY_SCHEMA = {
    "series_code": pl.Utf8,
    "n_sources_covering": pl.Int64,
    "min_sources": pl.Int64,
    "status": pl.Utf8,
}


class MarketSurveyStage:
    name = "survey"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        assessments = pl.DataFrame(
            [(code, a.min_sources) for code, a in ctx.catalog.assessments.items()],
            schema={"series_code": pl.Utf8, "min_sources": pl.Int64},
            orient="row",
        )
        coverage = batch.select(
            pl.col("source_code").cast(pl.Utf8), pl.col("series_code").cast(pl.Utf8)
        ).unique(maintain_order=True)
        unknown_series = ~pl.col("series_code").is_in(assessments["series_code"].implode())
        coverage, rej_series = _reject(coverage, unknown_series, "unknown_series", "series_code")
        inactive = 0
        rejected = [rej_series]
        if ctx.sources is not None:
            known = ctx.sources.select(
                pl.col("code").alias("source_code"), pl.col("active").alias("_active")
            )
            coverage = coverage.join(known, on="source_code", how="left", maintain_order="left")
            coverage, rej_source = _reject(
                coverage, pl.col("_active").is_null(), "unknown_source", "source_code"
            )
            rejected.append(rej_source.drop("_active"))
            inactive = coverage.filter(~pl.col("_active")).height
            coverage = coverage.filter(pl.col("_active")).drop("_active")
        counts = coverage.group_by("series_code").agg(
            pl.col("source_code").n_unique().cast(pl.Int64).alias("n_sources_covering")
        )
        kept = (
            assessments.join(counts, on="series_code", how="left", maintain_order="left")
            .with_columns(pl.col("n_sources_covering").fill_null(0))
            .with_columns(
                pl.when(pl.col("n_sources_covering") < pl.col("min_sources"))
                .then(pl.lit("uncovered"))
                .when(pl.col("n_sources_covering") < 2 * pl.col("min_sources"))
                .then(pl.lit("thin"))
                .otherwise(pl.lit("ok"))
                .alias("status")
            )
            .select(list(SURVEY_SCHEMA))
            .sort("series_code")
        )
        flagged = _flags(kept.filter(pl.col("status") != "ok"))
        rej = pl.concat(rejected, how="diagonal_relaxed")
        counters: dict[str, int | float] = {
            "series": kept.height,
            "ok": int((kept["status"] == "ok").sum()),
            "thin": int((kept["status"] == "thin").sum()),
            "uncovered": int((kept["status"] == "uncovered").sum()),
            "coverage_rows": batch.height,
            "inactive_source_rows": inactive,
            "unknown_series": rej_series.height,
            "unknown_source": rej.height - rej_series.height,
        }
        return StageResult(kept=kept, rejected=rej, flagged=flagged, counters=counters)


def _reject(
    frame: pl.DataFrame, mask: pl.Expr, code: str, field: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rejected = frame.filter(mask).with_columns(
        pl.lit(code).alias("reason"),
        pl.lit(field).alias("field"),
        reasons.message_expr(code, field=field, value=pl.col(field), row=pl.lit(None)).alias(
            "message"
        ),
    )
    return frame.filter(~mask), rejected


def _flags(frame: pl.DataFrame) -> pl.DataFrame:
    code = pl.when(pl.col("status") == "uncovered").then(pl.lit("uncovered"))
    code = code.otherwise(pl.lit("thin_coverage"))
    detail_zh = pl.format("{} 个来源，最少 {} 个", "n_sources_covering", "min_sources")
    detail_en = pl.format("{} sources, minimum {}", "n_sources_covering", "min_sources")
    msg = {
        c: reasons.message_expr(
            c,
            value=pl.col("series_code"),
            row=pl.lit(None),
            detail_zh=detail_zh,
            detail_en=detail_en,
        )
        for c in ("uncovered", "thin_coverage")
    }
    return frame.with_columns(
        code.alias("flag_reason"),
        pl.when(pl.col("status") == "uncovered")
        .then(msg["uncovered"])
        .otherwise(msg["thin_coverage"])
        .alias("flag_message"),
        (pl.col("n_sources_covering") / pl.col("min_sources")).alias("flag_score"),
    )
