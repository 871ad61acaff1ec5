"""Helpers shared by the stages (steelsage.pipeline.base)."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from steelsage.pipeline.base import with_columns_where


def test_with_columns_where_equals_when_then() -> None:
    frame = pl.DataFrame({"x": [1, None, 3, 4, 5], "y": ["a", "b", None, "d", "e"]})
    mask = pl.col("x") > 2
    exprs = [
        pl.format("{}-{}", "x", "y").alias("text"),
        pl.lit("hit").alias("tag"),
        (pl.col("x") * 1.5).alias("x"),  # replaces a column, as with_columns does
    ]
    expected = frame.with_columns(pl.when(mask).then(e).alias(e.meta.output_name()) for e in exprs)
    assert_frame_equal(with_columns_where(frame, mask, exprs), expected)


def test_with_columns_where_no_rows_and_empty_frame() -> None:
    frame = pl.DataFrame({"x": [1, 2]})
    out = with_columns_where(frame, pl.col("x") > 5, [pl.lit("hit").alias("tag")])
    assert out["tag"].dtype == pl.String and out["tag"].null_count() == 2
    empty = frame.clear()
    assert with_columns_where(empty, pl.col("x") > 0, [pl.lit("t").alias("tag")]).height == 0
