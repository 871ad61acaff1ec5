"""Stage 7, compilation: one assessment per series and day, plus the composite indices.

The mid is the weighted median of the accepted (not excluded) reports, low/high the
weighted 10th/90th percentiles, with report weight = data-type weight × source credibility
× (1 + log1p(volume_t / 1000)) (:mod:`steelsage.pipeline.weights`). The 62% Fe seaborne
series gives deals, bids and offers fixed shares of the day's weight (60/20/20).

Weighted quantile q of values x₁ ≤ … ≤ xₙ with weights wᵢ (total W): the smallest xₖ whose
cumulative weight reaches q·W; for the median, when the cumulative weight hits exactly W/2
the mid is the average of that value and the next.

Minimum-data rule: a day with fewer distinct sources than the series' ``min_sources`` gets a
marked fallback instead — the previous mid × (1 + median % change that day of the same
product's other normal assessments), ``fallback=True``, ``fallback_reason=
'insufficient_sources'``, no low/high; with no peer change that day the previous mid is
carried forward; without a previous mid there is no assessment that day. Consecutive
fallback days chain on the unrounded fallback mid. ``change``/``change_pct`` (percent)
compare with the series' previous assessment (the previous trading day's in daily
operation), the first day of a batch with the last published mid
(``ctx.params['previous_mids']`` or ``ctx.history``: a frame ``series_code, date, value``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from steelsage.pipeline.base import RunContext, StageResult
from steelsage.pipeline.weights import report_weight

if TYPE_CHECKING:
    from steelsage.pipeline.indices import IndexDef

LOW_Q, HIGH_Q = 0.10, 0.90
DEFAULT_MIN_SOURCES, PORT_MIN_SOURCES = 3, 2
# Quote step of the published mid per unit; other CNY units 10, other USD units 0.05.
ROUNDING: dict[str, float] = {
    "CNY_T_VAT": 10.0,
    "CNY_T_EXVAT": 10.0,
    "CNY_WMT_VAT": 1.0,  # port ore trades in whole yuan per wet tonne
    "KCNY_T_VAT": 0.01,
    "USD_DMT_CFR": 0.05,
    "USD_T": 0.05,
}
TYPE_GROUP_SHARES: dict[str, dict[str, float]] = {
    "iron_ore_62.cfr_china": {"deal": 0.6, "bid": 0.2, "offer": 0.2},
}
METHOD_DEFAULT = "weighted_median:deal>bid/offer>indication"
METHOD_FALLBACK = "fallback:prev_mid×(1+peer_median_change)"
METHOD_CARRY = "fallback:carry_forward(no_peer_change)"
KEY = ["series_code", "date"]
EPS = 1e-9
PEER_MAX_GAP_DAYS = 10

ASSESSMENT_SCHEMA: dict[str, pl.DataType] = {
    "series_code": pl.Utf8(),
    "date": pl.Date(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "mid": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "n_sources": pl.Int64(),
    "n_reports": pl.Int64(),
    "n_deals": pl.Int64(),
    "n_excluded": pl.Int64(),
    "method": pl.Utf8(),
    "fallback": pl.Boolean(),
    "fallback_reason": pl.Utf8(),
}


def shares_method(shares: Mapping[str, float]) -> str:
    """'weighted_median:deal60/bid20/offer20' for a type-share scheme."""
    parts = "/".join(f"{t}{round(s * 100)}" for t, s in shares.items())
    return f"weighted_median:{parts}"


def rounding_step(unit: str | None) -> float:
    """Publication step of a unit: 10 CNY/t, 0.05 USD, … (0.01 when unknown)."""
    if unit in ROUNDING:
        return ROUNDING[unit]
    if unit and unit.startswith("CNY"):
        return 10.0
    if unit and unit.startswith("USD"):
        return 0.05
    return 0.01


def round_to(x: pl.Expr, step: pl.Expr) -> pl.Expr:
    return ((x / step).round(0) * step).round(4)


class CompileStage:
    """Stage 7. ``run(flagged_frame, ctx)`` → the assessment frame (``kept``)."""

    name = "compile"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        _check(batch)
        if batch.height == 0:
            return StageResult(kept=pl.DataFrame(schema=ASSESSMENT_SCHEMA), counters={"n_in": 0})
        shares = {**TYPE_GROUP_SHARES, **ctx.params.get("type_group_shares", {})}
        meta = _series_meta(ctx, batch["series_code"].unique().to_list())
        reports = _weights(batch, shares)
        counts = _counts(reports)
        estimates = _estimates(reports.filter(pl.col("_accepted") & (pl.col("_w") > 0)))
        days = counts.join(estimates, on="_sd", how="left").join(meta, on="series_code", how="left")
        days = days.with_columns(
            (pl.col("n_sources") >= pl.col("min_sources")).alias("_enough"),
            pl.col("series_code")
            .replace_strict(
                {c: shares_method(s) for c, s in shares.items()},
                default=METHOD_DEFAULT,
                return_dtype=pl.Utf8,
            )
            .alias("_method"),
        )
        previous = _previous_mids(ctx)
        out = _with_fallbacks(days, previous)
        out = _with_change(out, previous)
        kept = out.select([pl.col(c).cast(t).alias(c) for c, t in ASSESSMENT_SCHEMA.items()]).sort(
            KEY
        )
        n_days = days.height
        counters: dict[str, int | float] = {
            "n_in": batch.height,
            "n_accepted": int(reports["_accepted"].sum()),
            "n_excluded": int((~reports["_accepted"]).sum()),
            "n_series": kept["series_code"].n_unique(),
            "n_assessments": kept.height,
            "n_fallback": int(kept["fallback"].sum()),
            "n_no_assessment": n_days - kept.height,
        }
        return StageResult(kept=kept, counters=counters)


REQUIRED = ("series_code", "date", "value", "source_code")


def _check(batch: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in batch.columns]
    if missing:
        raise ValueError(
            f"编制需要异常值处理后的报价列 {missing} / compilation needs the flagged frame's "
            f"columns {missing}; run outlier handling (stage 6) first"
        )


def _series_meta(ctx: RunContext, codes: Sequence[str]) -> pl.DataFrame:
    """series_code → unit, rounding step, min_sources, product (catalog, else defaults)."""
    assessments = getattr(ctx.catalog, "assessments", None) or {}
    products = getattr(ctx.catalog, "products", None) or {}
    rows = []
    for code in codes:
        product, _, region = code.partition(".")
        a = assessments.get(code)
        if a is not None:
            unit, min_sources = a.unit, a.min_sources
        else:
            p = products.get(product)
            unit = getattr(p, "unit", None)
            min_sources = PORT_MIN_SOURCES if region.endswith("_port") else DEFAULT_MIN_SOURCES
        rows.append((code, product, unit, rounding_step(unit), int(min_sources)))
    schema = {
        "series_code": pl.Utf8,
        "product_code": pl.Utf8,
        "unit": pl.Utf8,
        "step": pl.Float64,
        "min_sources": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _weights(batch: pl.DataFrame, shares: Mapping[str, Mapping[str, float]]) -> pl.DataFrame:
    """Accepted flag and report weight ``_w`` (type-share schemes applied per series-day)."""
    frame = batch
    for name, dtype, default in (
        ("excluded", pl.Boolean, False),
        ("data_type", pl.Utf8, "indication"),
        ("source_weight", pl.Float64, 1.0),
        ("volume_t", pl.Float64, None),
    ):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(default, dtype=dtype).alias(name))
    # Only what compilation reads: the type-share split below moves whole rows.
    frame = frame.select(
        "series_code", "date", "value", "source_code", "excluded", "data_type", "source_weight",
        "volume_t",
    )  # fmt: skip
    v = pl.col("value")
    accepted = ~pl.col("excluded").fill_null(False) & v.is_not_null() & v.is_finite() & (v > 0)
    ser = pl.col("series_code").cast(pl.Categorical).to_physical().cast(pl.Int64)
    frame = frame.with_columns(
        accepted.alias("_accepted"),
        report_weight().alias("_w"),
        (ser * 1_000_000 + pl.col("date").cast(pl.Int32)).alias("_sd"),  # one integer key
    )
    for code, scheme in shares.items():
        mine = pl.col("series_code") == code
        part = frame.filter(mine)
        if part.height:
            frame = pl.concat([frame.filter(~mine), _apply_shares(part, scheme)])
    return frame


def _apply_shares(frame: pl.DataFrame, scheme: Mapping[str, float]) -> pl.DataFrame:
    """Within each day of one series, give each data type its share of the total weight.

    Shares of types absent that day are spread over the present ones; indications count
    only on days without any deal, bid or offer.
    """
    in_scheme = pl.col("data_type").is_in(list(scheme))
    mine = pl.col("_accepted")
    has_typed = (mine & in_scheme).any().over(KEY)
    type_total = pl.col("_w").filter(mine).sum().over([*KEY, "data_type"])
    share = pl.col("data_type").replace_strict(dict(scheme), default=0.0, return_dtype=pl.Float64)
    present = (
        pl.struct("data_type", share.alias("_s"))
        .filter(mine & in_scheme)
        .unique()
        .struct.field("_s")
        .sum()
        .over(KEY)
    )
    scaled = pl.col("_w") / type_total * share / present
    new_w = (
        pl.when(~mine)
        .then(pl.col("_w"))
        .when(has_typed & in_scheme)
        .then(scaled)
        .when(has_typed)
        .then(0.0)
        .otherwise(pl.col("_w"))
    )
    return frame.with_columns(new_w.alias("_w"))


def _counts(reports: pl.DataFrame) -> pl.DataFrame:
    acc = pl.col("_accepted")
    src = pl.col("source_code").cast(pl.Categorical).to_physical().alias("_src")
    return (
        reports.with_columns(src)
        .group_by("_sd")
        .agg(
            pl.col("series_code").first(),
            pl.col("date").first(),
            # Only sources that weigh in the estimate count towards the minimum-data rule
            # (indications carry no weight on days the 62% Fe scheme has firm data).
            pl.col("_src")
            .filter(acc & (pl.col("_w") > 0))
            .n_unique()
            .cast(pl.Int64)
            .alias("n_sources"),
            acc.sum().cast(pl.Int64).alias("n_reports"),
            (acc & (pl.col("data_type") == "deal")).sum().cast(pl.Int64).alias("n_deals"),
            (~acc).sum().cast(pl.Int64).alias("n_excluded"),
        )
    )


def _estimates(accepted: pl.DataFrame) -> pl.DataFrame:
    """Weighted median and 10th/90th percentiles per series-day (``_sd`` key).

    On the frame sorted by key and value, the q-quantile is the row where the cumulative
    weight first reaches q·W — found with shifts, no per-group Python.
    """
    schema = {"_sd": pl.Int64, "mid_raw": pl.Float64, "low_raw": pl.Float64}
    if accepted.height == 0:
        return pl.DataFrame(schema={**schema, "high_raw": pl.Float64})
    f = accepted.select("_sd", "value", "_w").sort("_sd", "value")
    first = (pl.col("_sd") != pl.col("_sd").shift(1)).fill_null(True)
    f = f.with_columns(
        pl.col("_w").cum_sum().over("_sd").alias("_cw"),
        pl.col("_w").sum().over("_sd").alias("_W"),
        pl.col("value").shift(-1).alias("_next"),
    ).with_columns(pl.when(first).then(0.0).otherwise(pl.col("_cw").shift(1)).alias("_prev"))
    tol = EPS * pl.col("_W")

    def crossing(q: float) -> pl.Expr:
        target = q * pl.col("_W") - tol
        return (pl.col("_cw") >= target) & (pl.col("_prev") < target)

    tie = (pl.col("_cw") - 0.5 * pl.col("_W")).abs() <= tol
    mid = pl.when(tie).then((pl.col("value") + pl.col("_next")) / 2).otherwise(pl.col("value"))
    out = f.filter(crossing(0.5)).select("_sd", mid.alias("mid_raw"))
    for name, q in (("low_raw", LOW_Q), ("high_raw", HIGH_Q)):
        part = f.filter(crossing(q)).select("_sd", pl.col("value").alias(name))
        out = out.join(part, on="_sd", how="left")
    return out


def _previous_mids(ctx: RunContext) -> pl.DataFrame:
    """Last published mids before the batch: ``series_code, date, value``."""
    schema = {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64}
    prev = ctx.params.get("previous_mids")
    if prev is None and ctx.history is not None:
        cols = set(ctx.history.columns)
        if {"series_code", "date", "value"} <= cols and "source_code" not in cols:
            prev = ctx.history
    if prev is None or prev.height == 0:
        return pl.DataFrame(schema=schema)
    return prev.select(
        pl.col("series_code").cast(pl.Utf8),
        pl.col("date").cast(pl.Date),
        pl.col("value").cast(pl.Float64),
    ).filter(pl.col("value").is_not_null() & (pl.col("value") > 0))


def _peer_change(real: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Median % change that day of each product's normal assessments.

    A series' change is against its previous normal mid in the batch, or its last published
    mid before the batch, when that is at most ``PEER_MAX_GAP_DAYS`` calendar days old.
    """
    prior = previous.join(real.select("series_code", "product_code").unique(), on="series_code")
    seq = pl.concat(
        [
            prior.select("series_code", "product_code", "date", pl.col("value").alias("mid_raw"),
                         pl.lit(True).alias("_prior")),
            real.select("series_code", "product_code", "date", "mid_raw",
                        pl.lit(False).alias("_prior")),
        ]
    ).sort(KEY)  # fmt: skip
    seq = seq.with_columns(
        pl.col("mid_raw").shift(1).over("series_code").alias("_prev_mid"),
        pl.col("date").shift(1).over("series_code").alias("_prev_date"),
    )
    gap = (pl.col("date") - pl.col("_prev_date")).dt.total_days()
    chg = seq.filter(~pl.col("_prior") & (gap <= PEER_MAX_GAP_DAYS)).with_columns(
        (pl.col("mid_raw") / pl.col("_prev_mid") - 1).alias("_chg")
    )
    return chg.group_by("product_code", "date").agg(pl.col("_chg").median().alias("peer_change"))


def _with_fallbacks(days: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Normal assessments where the data suffice, chained fallbacks where they do not."""
    step = pl.col("step")
    real = days.filter(pl.col("_enough") & pl.col("mid_raw").is_not_null())
    short = days.filter(~(pl.col("_enough") & pl.col("mid_raw").is_not_null()))
    normal = real.with_columns(
        round_to(pl.col("mid_raw"), step).alias("mid"),
        round_to(pl.col("low_raw"), step).alias("low"),
        round_to(pl.col("high_raw"), step).alias("high"),
        pl.lit(False).alias("fallback"),
        pl.lit(None, pl.Utf8).alias("fallback_reason"),
        pl.col("_method").alias("method"),
    )
    if short.height == 0:
        return normal
    peers = _peer_change(real, previous)
    short = short.join(peers, on=["product_code", "date"], how="left")
    anchors = previous.join(days.select("series_code").unique(), on="series_code", how="semi")
    seq = pl.concat(
        [
            anchors.select("series_code", "date", pl.col("value").alias("_anchor")),
            real.select("series_code", "date", pl.col("mid_raw").alias("_anchor")),
            short.select("series_code", "date", pl.lit(None, pl.Float64).alias("_anchor")),
        ],
        how="diagonal_relaxed",
    ).join(short.select(*KEY, "peer_change"), on=KEY, how="left")
    seq = seq.sort(KEY).with_columns(
        pl.col("_anchor").is_not_null().cum_sum().over("series_code").alias("_seg")
    )
    factor = (1 + pl.col("peer_change").fill_null(0.0)).cum_prod().over("series_code", "_seg")
    seq = seq.with_columns(
        (pl.col("_anchor").first().over("series_code", "_seg") * factor).alias("_fb_mid")
    ).filter(pl.col("_anchor").is_null() & (pl.col("_seg") > 0))
    fb = short.join(seq.select(*KEY, "_fb_mid"), on=KEY, how="inner").with_columns(
        round_to(pl.col("_fb_mid"), step).alias("mid"),
        pl.lit(None, pl.Float64).alias("low"),
        pl.lit(None, pl.Float64).alias("high"),
        pl.lit(True).alias("fallback"),
        pl.lit("insufficient_sources").alias("fallback_reason"),
        pl.when(pl.col("peer_change").is_null())
        .then(pl.lit(METHOD_CARRY))
        .otherwise(pl.lit(METHOD_FALLBACK))
        .alias("method"),
    )
    return pl.concat([normal, fb], how="diagonal_relaxed")


def _with_change(out: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Change vs the series' previous assessment (or last published mid before the batch)."""
    prior = previous.rename({"value": "mid"}).with_columns(pl.lit(True).alias("_prior"))
    both = pl.concat(
        [prior, out.with_columns(pl.lit(False).alias("_prior"))], how="diagonal_relaxed"
    ).sort([*KEY, "_prior"], descending=[False, False, True])
    prev_mid = pl.col("mid").shift(1).over("series_code")
    both = both.with_columns(
        (pl.col("mid") - prev_mid).round(4).alias("change"),
        ((pl.col("mid") / prev_mid - 1) * 100).round(4).alias("change_pct"),
    )
    return both.filter(~pl.col("_prior"))


# --------------------------------------------------------------------------- indices
INDEX_SCHEMA = {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64}


def compile_indices(
    assessments: pl.DataFrame,
    defs: Sequence[IndexDef],
    *,
    base_prices: Mapping[str, Mapping[str, float]] | None = None,
) -> pl.DataFrame:
    """Index values (``series_code`` = index code, ``date``, ``value``) from assessments.

    ``value = base_value × Σ wᵢ · Σⱼ midⱼ,t / Σⱼ midⱼ,base`` where component i is one series
    or the national average of a product's regional series (j runs over the series assessed
    on both the base date and t, so a missing city does not move the index). The base date
    is the definition's, else the first date every component exists. ``base_prices``
    ({index code: {series code: base mid}}) continues an index whose base date is not in
    ``assessments`` (incremental runs).
    """
    price = "mid" if "mid" in assessments.columns else "value"
    frame = assessments.select(
        "series_code", "date", pl.col(price).cast(pl.Float64).alias("p")
    ).filter(pl.col("p").is_not_null() & (pl.col("p") > 0))
    parts = [_one_index(frame, d, (base_prices or {}).get(d.code)) for d in defs]
    parts = [p for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema=INDEX_SCHEMA)
    return pl.concat(parts).sort("series_code", "date")


def _members(frame: pl.DataFrame, d: IndexDef) -> pl.DataFrame:
    """Rows of every component: component key, series_code, date, price."""
    rows = []
    for comp in d.components:
        if comp.series:
            rows.append(frame.filter(pl.col("series_code") == comp.series))
        else:
            mask = pl.col("series_code").str.starts_with(f"{comp.product}.")
            if comp.regions:
                mask = pl.col("series_code").is_in([f"{comp.product}.{r}" for r in comp.regions])
            rows.append(frame.filter(mask))
        rows[-1] = rows[-1].with_columns(pl.lit(comp.key).alias("component"))
    return pl.concat(rows) if rows else frame.clear().with_columns(pl.lit("").alias("component"))


def _one_index(frame: pl.DataFrame, d: IndexDef, base: Mapping[str, float] | None) -> pl.DataFrame:
    members = _members(frame, d)
    keys = [c.key for c in d.components]
    weights = {c.key: c.weight for c in d.components}
    complete = (
        members.group_by("date")
        .agg(pl.col("component").n_unique().alias("_n"))
        .filter(pl.col("_n") == len(keys))
        .select("date")
    )
    if base:
        base_frame = pl.DataFrame(
            {"series_code": list(base), "p_base": [float(v) for v in base.values()]},
            schema={"series_code": pl.Utf8, "p_base": pl.Float64},
        )
    else:
        base_date = _base_date(d.base_date, complete)
        if base_date is None:
            return pl.DataFrame(schema=INDEX_SCHEMA)
        base_frame = members.filter(pl.col("date") == base_date).select(
            "series_code", pl.col("p").alias("p_base")
        )
    rel = (
        members.join(complete, on="date", how="semi")
        .join(base_frame, on="series_code", how="inner")
        .group_by("date", "component")
        .agg((pl.col("p").sum() / pl.col("p_base").sum()).alias("_rel"))
    )
    w = pl.col("component").replace_strict(weights, return_dtype=pl.Float64)
    values = (
        rel.group_by("date")
        .agg((pl.col("_rel") * w).sum().alias("_v"), pl.len().alias("_n"))
        .filter(pl.col("_n") == len(keys))
    )
    return values.select(
        pl.lit(d.code).alias("series_code"),
        "date",
        (pl.col("_v") * d.base_value).round(2).alias("value"),
    ).sort("date")


def _base_date(wanted: date | None, complete: pl.DataFrame) -> date | None:
    if complete.height == 0:
        return None
    dates = complete["date"].sort()
    if wanted is None:
        return dates[0]
    if wanted in set(dates.to_list()):
        return wanted
    raise ValueError(
        f"指数基期 {wanted} 不在编制数据中 / the index base date {wanted} is not among the "
        "assessed dates; pass base_prices (the base-date mids) to continue the index"
    )


def index_base_prices(assessments: pl.DataFrame, d: IndexDef) -> dict[str, float]:
    """The base-date mids of every component series (to store and continue an index)."""
    price = "mid" if "mid" in assessments.columns else "value"
    frame = assessments.select("series_code", "date", pl.col(price).alias("p"))
    members = _members(frame, d)
    complete = (
        members.group_by("date")
        .agg(pl.col("component").n_unique().alias("_n"))
        .filter(pl.col("_n") == len(d.components))
        .select("date")
    )
    base_date = _base_date(d.base_date, complete)
    if base_date is None:
        return {}
    rows = members.filter(pl.col("date") == base_date).select("series_code", "p").rows()
    return {code: float(p) for code, p in rows}
