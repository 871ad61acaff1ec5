"""Report weights of the methodology: data type × source credibility × volume."""

from __future__ import annotations

import polars as pl

DATA_TYPE_WEIGHTS = {"deal": 1.0, "bid": 0.5, "offer": 0.5, "indication": 0.25}


def report_weight(
    data_type: str = "data_type", source_weight: str = "source_weight", volume: str = "volume_t"
) -> pl.Expr:
    """Weight of one report: data-type weight × credibility × (1 + log1p(volume_t / 1000))."""
    type_w = pl.col(data_type).replace_strict(
        DATA_TYPE_WEIGHTS, default=0.25, return_dtype=pl.Float64
    )
    vol = (pl.col(volume).fill_null(0.0).clip(lower_bound=0.0) / 1000.0).log1p()
    return type_w * pl.col(source_weight).fill_null(1.0) * (1.0 + vol)
