"""Accuracy against the demo market's ground truth (reads the configured database)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from steelsage.store import models as m

PRICE_ERRORS_EXCLUDED = {"bad_row"}


class NoGroundTruthError(RuntimeError):
    pass


def _frame(engine: Engine, stmt, schema: dict) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return pl.DataFrame(conn.execute(stmt).all(), schema=schema, orient="row")


def evaluate_outliers(engine: Engine) -> dict:
    """Precision/recall/F1 of 'flagged or rejected' vs planted price errors."""
    te = m.DemoTruthError.__table__
    raw = m.RawSubmission.__table__
    flags = m.Flag.__table__
    rej = m.Reject.__table__
    truth = _frame(
        engine,
        select(te.c.report_id, te.c.error_type),
        {"report_id": pl.Utf8, "error_type": pl.Utf8},
    )
    if truth.height == 0:
        raise NoGroundTruthError(
            "数据库中没有演示真值；先运行 `steelsage demo build` / no demo ground truth"
        )
    subs = _frame(
        engine, select(raw.c.id, raw.c.report_id), {"submission_id": pl.Int64, "report_id": pl.Utf8}
    )
    flagged = _frame(
        engine,
        select(flags.c.submission_id).where(flags.c.status != "accepted"),
        {"submission_id": pl.Int64},
    )
    rejected = _frame(
        engine,
        select(rej.c.submission_id).where(
            rej.c.submission_id.is_not(None), rej.c.reason != "duplicate"
        ),
        {"submission_id": pl.Int64},
    )
    caught_ids = pl.concat([flagged, rejected]).unique()
    caught = subs.join(caught_ids, on="submission_id", how="semi").select("report_id").unique()
    bad_rows = truth.filter(pl.col("error_type").is_in(list(PRICE_ERRORS_EXCLUDED)))
    planted = truth.filter(~pl.col("error_type").is_in(list(PRICE_ERRORS_EXCLUDED)))
    predicted = caught.join(bad_rows, on="report_id", how="anti")
    tp = predicted.join(planted, on="report_id", how="semi").height
    precision = tp / predicted.height if predicted.height else 0.0
    recall = tp / planted.height if planted.height else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_type = {}
    hit = planted.join(caught, on="report_id", how="semi")
    for (etype,), part in planted.group_by(["error_type"], maintain_order=True):
        n_hit = hit.filter(pl.col("error_type") == etype).height
        by_type[etype] = {
            "planted": part.height,
            "caught": n_hit,
            "recall": round(n_hit / part.height, 4),
        }
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "planted": planted.height,
        "flagged": predicted.height,
        "true_positives": tp,
        "by_type": dict(sorted(by_type.items())),
        "bad_rows_rejected": bad_rows.join(caught, on="report_id", how="semi").height,
        "bad_rows": bad_rows.height,
    }


def evaluate_assessments(engine: Engine) -> dict:
    """Median absolute % error of current published mids vs the true mids."""
    tp = m.DemoTruthPrice.__table__
    obs = m.SeriesObservation.__table__
    truth = _frame(
        engine,
        select(tp.c.series_code, tp.c.date, tp.c.true_mid),
        {"series_code": pl.Utf8, "date": pl.Date, "true_mid": pl.Float64},
    )
    if truth.height == 0:
        raise NoGroundTruthError(
            "数据库中没有演示真值；先运行 `steelsage demo build` / no demo ground truth"
        )
    published = _frame(
        engine,
        select(obs.c.series_code, obs.c.date, obs.c.value, obs.c.fallback).where(
            obs.c.superseded_at.is_(None)
        ),
        {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64, "fallback": pl.Boolean},
    )
    joined = published.join(truth, on=["series_code", "date"], how="inner").with_columns(
        ((pl.col("value") - pl.col("true_mid")).abs() / pl.col("true_mid") * 100).alias("ape")
    )
    if joined.height == 0:
        return {"median_ape_pct": None, "n": 0}
    by_product = (
        joined.with_columns(pl.col("series_code").str.split(".").list.first().alias("product"))
        .group_by("product")
        .agg(pl.col("ape").median().round(4).alias("median_ape_pct"), pl.len().alias("n"))
        .sort("product")
    )
    return {
        "median_ape_pct": round(float(joined["ape"].median()), 4),
        "n": joined.height,
        "p90_ape_pct": round(float(joined["ape"].quantile(0.9)), 4),
        "max_ape_pct": round(float(joined["ape"].max()), 4),
        "fallback_share": round(float(joined["fallback"].mean()), 4),
        "coverage": round(joined.height / truth.height, 4),
        "by_product": {
            r["product"]: {"median_ape_pct": r["median_ape_pct"], "n": r["n"]}
            for r in by_product.iter_rows(named=True)
        },
    }
