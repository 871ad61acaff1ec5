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
