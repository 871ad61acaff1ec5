"""The Stage contract shared by the eight pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steelsage.catalog import Catalog

REJECT_COLUMNS = {"reason": pl.Utf8, "field": pl.Utf8, "message": pl.Utf8}
FLAG_COLUMNS = {"flag_reason": pl.Utf8, "flag_message": pl.Utf8, "flag_score": pl.Float64}


@dataclass
class RunContext:
    """What a stage may read besides its input frame. Stages never write."""

    catalog: Catalog
    engine: Engine | None = None
    fx_rates: pl.DataFrame | None = None  # date, pair, rate
    sources: pl.DataFrame | None = None  # code, type, region_code, credibility_weight, active
    history: pl.DataFrame | None = None  # earlier standardized reports / published mids
    today: date | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageResult:
    kept: pl.DataFrame
    rejected: pl.DataFrame = field(default_factory=pl.DataFrame)
    flagged: pl.DataFrame = field(default_factory=pl.DataFrame)
    counters: dict[str, int | float] = field(default_factory=dict)


class Stage(Protocol):
    name: str

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult: ...


def reject_rows(
    frame: pl.DataFrame, mask: pl.Expr, reason: str, field_name: str | None, message: pl.Expr | str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` by ``mask`` into (kept, rejected-with-reason)."""
    msg = pl.lit(message) if isinstance(message, str) else message
    rejected = frame.filter(mask).with_columns(
        pl.lit(reason).alias("reason"),
        pl.lit(field_name, dtype=pl.Utf8).alias("field"),
        msg.cast(pl.Utf8).alias("message"),
    )
    return frame.filter(~mask), rejected


def with_columns_where(frame: pl.DataFrame, mask: pl.Expr, exprs: list[pl.Expr]) -> pl.DataFrame:
    """Add ``exprs`` computed on the rows where ``mask`` holds only (null on the others).

    For costly expressions that matter on few rows (message formatting): ``when/then``
    evaluates both branches on every row, and filtering, concatenating and re-sorting the
    frame moves every column. Here only the columns ``exprs`` read are filtered, and the
    results are scattered back into place.
    """
    keep = mask.fill_null(False)
    idx = frame.select(pl.arg_where(keep)).to_series()
    names = [e.meta.output_name() for e in exprs]
    part = frame.lazy().filter(keep).with_columns(exprs).select(names).collect()
    return frame.with_columns(
        [
            pl.repeat(None, frame.height, dtype=part.schema[c], eager=True)
            .scatter(idx, part[c])
            .alias(c)
            for c in names
        ]
    )
