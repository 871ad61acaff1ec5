"""Stage 5, standardization: every verified report expressed in its assessment's basis.

Steps, in the order of docs/methodology.md, each written to ``std_adjustments``:
(1) unit scale (千元/吨 ×1000); (2) currency at the USD/CNY rate of the report date or the
latest earlier one (none → ``missing_fx``); (3) VAT at the rate of the report date
(:func:`vat_rate`; the seaborne USD CFR index is VAT-free, so a VAT-inclusive CNY price
feeding it is divided out); (4) wet ↔ dry tonnes with the brand's moisture; (5) weight
basis 理计 → 过磅; (6) spec differentials and, for ore brands feeding the 62% index, value
in use (Fe to 62% and brand differentials); (7) delivery term. A report whose unit cannot
be brought to the assessment's (``unit_mismatch``) or whose delivery term has no spread to
the assessment's (``delivery_mismatch``) is rejected.

Then the range check: a value outside the assessment product's plausible range is flagged
``out_of_range`` (kept, ``excluded=True``) — the ×1000 unit slip catcher.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from steelsage.catalog import Catalog
from steelsage.pipeline import reasons
from steelsage.pipeline.base import RunContext, StageResult, with_columns_where

FX_PAIR = "USDCNY"
# China's VAT rate on steel and ore by date (annex B): 17% → 16% (2018-05-01) → 13% (2019-04-01).
VAT_SCHEDULE: tuple[tuple[date, float], ...] = (
    (date(2019, 4, 1), 0.13),
    (date(2018, 5, 1), 0.16),
    (date(1994, 1, 1), 0.17),
)
FLAG_SCHEMA = {
    "flag_reason": pl.Utf8,
    "flag_message": pl.Utf8,
    "flag_score": pl.Float64,
    "excluded": pl.Boolean,
}


def vat_rate(on: pl.Expr) -> pl.Expr:
    """VAT rate in force on the date ``on`` (a Date expression)."""
    expr = pl.lit(VAT_SCHEDULE[-1][1])
    for start, rate in reversed(VAT_SCHEDULE[:-1]):
        expr = pl.when(on >= pl.lit(start)).then(pl.lit(rate)).otherwise(expr)
    return expr


class StandardizeStage:
    name = "standardize"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        cat = ctx.catalog
        columns = batch.columns
        work = _join_series_unit(batch, cat)
        work = _join_fx(work, ctx.fx_rates)
        work = work.join(
            _lookup_table(cat, work),
            on=_LOOKUP_KEYS,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        work = _convert(work)

        reject = (
            pl.when(pl.col("_per_ok").not_())
            .then(pl.lit("unit_mismatch"))
            .when(pl.col("_needs_fx") & pl.col("_fx").is_null())
            .then(pl.lit("missing_fx"))
            .when(pl.col("_delivery_diff").is_null())
            .then(pl.lit("delivery_mismatch"))
        )
        work = work.with_columns(reject.alias("reason"))
        rejected = _rejects(work.filter(pl.col("reason").is_not_null()), columns)
        kept = work.filter(pl.col("reason").is_null()) if rejected.height else work
        kept = _range_check(kept, cat)
        out_cols = [*columns, "value", "std_adjustments", *FLAG_SCHEMA]
        kept = kept.select(out_cols)
        flagged = kept.filter(pl.col("flag_reason").is_not_null())
        counters: dict[str, int | float] = {
            "rows_in": batch.height,
            "kept": kept.height,
            "rejected": rejected.height,
            "flagged_out_of_range": flagged.height,
            "adjusted": int(kept["std_adjustments"].is_not_null().sum()),
        }
        for code, n in rejected.group_by("reason").len().sort("reason").iter_rows():
            counters[f"rejected_{code}"] = n
        return StageResult(kept=kept, rejected=rejected, flagged=flagged, counters=counters)


# --------------------------------------------------------------------------- lookups


def _series_table(cat: Catalog, frame: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for code in frame["series_code"].drop_nulls().unique().to_list():
        a = cat.assessments.get(code)
        if a is None:
            continue
        target = cat.units[a.unit]
        low, high = cat.products[a.product].plausible_range
        rows.append(
            (code, a.product, a.unit, a.delivery, target.currency, target.per, target.vat,
             target.scale, low, high, cat.products[a.product].is_ore)
        )  # fmt: skip
    schema = {
        "series_code": pl.Utf8,
        "_a_product": pl.Utf8,
        "_a_unit": pl.Utf8,
        "_a_delivery": pl.Utf8,
        "_t_ccy": pl.Utf8,
        "_t_per": pl.Utf8,
        "_t_vat": pl.Utf8,
        "_t_scale": pl.Float64,
        "_range_low": pl.Float64,
        "_range_high": pl.Float64,
        "_is_ore": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _join_series_unit(frame: pl.DataFrame, cat: Catalog) -> pl.DataFrame:
    """The assessment's target unit and the report's unit, joined once per distinct (series,
    unit) pair, with the unit-scale note of the pair (the same as joining each table)."""
    pairs = frame.select("series_code", "unit_code").unique()
    table = (
        pairs.join(_series_table(cat, frame), on="series_code", how="left")
        .join(_unit_table(cat), on="unit_code", how="left")
        .with_columns(_scale_note().alias("_scale_note"))
    )
    return frame.join(
        table, on=["series_code", "unit_code"], how="left", nulls_equal=True, maintain_order="left"
    )


def _scale_note() -> pl.Expr:
    scale = pl.col("_u_scale") / pl.col("_t_scale")
    return pl.when(scale != 1).then(pl.format("{} ×{}", pl.col("_u_name"), _num(scale)))


def _unit_table(cat: Catalog) -> pl.DataFrame:
    return pl.DataFrame(
        [(u.code, u.currency, u.per, u.scale, u.name_zh) for u in cat.units.values()],
        schema={
            "unit_code": pl.Utf8,
            "_u_ccy": pl.Utf8,
            "_u_per": pl.Utf8,
            "_u_scale": pl.Float64,
            "_u_name": pl.Utf8,
        },
        orient="row",
    )


def _join_fx(frame: pl.DataFrame, fx: pl.DataFrame | None) -> pl.DataFrame:
    """USD/CNY rate of each report date, or of the latest earlier date (as-of join)."""
    needs = (pl.col("_u_ccy") != pl.col("_t_ccy")).alias("_needs_fx")
    if fx is None or fx.height == 0:
        return frame.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("_fx"),
            pl.lit(None, dtype=pl.Utf8).alias("_fx_text"),
            needs,
        )
    rates = (
        fx.filter(pl.col("pair") == FX_PAIR)
        .select(pl.col("date").cast(pl.Date).alias("_fx_date"), pl.col("rate").alias("_fx"))
        .drop_nulls()
        .unique("_fx_date", keep="last")
        .sort("_fx_date")
    )
    days = (
        frame.select(pl.col("report_date").cast(pl.Date)).unique().drop_nulls().sort("report_date")
    )
    table = days.join_asof(rates, left_on="report_date", right_on="_fx_date", strategy="backward")
    table = table.select("report_date", "_fx", _num(pl.col("_fx"), 4).alias("_fx_text"))
    return frame.join(table, on="report_date", how="left", maintain_order="left").with_columns(
        needs
    )


_LOOKUP_KEYS = ["_a_product", "product_code", "spec_attrs", "weight_basis_code", "delivery_code",
                "_a_delivery"]  # fmt: skip


def _lookup_table(cat: Catalog, frame: pl.DataFrame) -> pl.DataFrame:
    """Catalog answers (moisture, weight factor, spec and delivery differentials) computed
    once per distinct combination and joined back."""
    combos = frame.select(_LOOKUP_KEYS).unique().filter(pl.col("_a_product").is_not_null())
    rows = []
    for target, product, spec_json, weight_basis, delivery, a_delivery in combos.iter_rows():
        attrs = json.loads(spec_json) if spec_json else {}
        moisture = attrs.get("moisture_pct", cat.products[product].moisture_pct)
        w_mult, w_note = cat.weight_basis_multiplier(target, weight_basis)
        s_diff, s_note = cat.spec_differential(
            target, attrs, source_product=product, base_spec=None
        )
        d = cat.delivery_differential(target, delivery, a_delivery) if delivery else (0.0, "")
        d_diff, d_note = d if d is not None else (None, None)
        rows.append(
            (target, product, spec_json, weight_basis, delivery, a_delivery, moisture,
             w_mult, w_note or None, s_diff, s_note or None, d_diff, d_note or None)
        )  # fmt: skip
    schema = {
        **{k: pl.Utf8 for k in _LOOKUP_KEYS},
        "_moisture": pl.Float64,
        "_weight_mult": pl.Float64,
        "_weight_note": pl.Utf8,
        "_spec_diff": pl.Float64,
        "_spec_note": pl.Utf8,
        "_delivery_diff": pl.Float64,
        "_delivery_note": pl.Utf8,
    }
    table = pl.DataFrame(rows, schema=schema, orient="row")
    return table.with_columns(_num(pl.col("_moisture")).alias("_moisture_text"))


# --------------------------------------------------------------------------- conversion


def _convert(frame: pl.DataFrame) -> pl.DataFrame:
    x = pl.col("price_value")
    notes: list[pl.Expr] = []
    applies: list[pl.Expr] = []  # a note part is non-null only where its condition holds

    # Numbers in the notes were formatted once per distinct value, in the lookup tables.
    # (1) unit scale
    scale = pl.col("_u_scale") / pl.col("_t_scale")
    x = x * scale
    notes.append(pl.col("_scale_note"))
    applies.append(pl.col("_scale_note").is_not_null())
    # (2) currency
    usd_to_cny = (pl.col("_u_ccy") == "USD") & (pl.col("_t_ccy") == "CNY")
    cny_to_usd = (pl.col("_u_ccy") == "CNY") & (pl.col("_t_ccy") == "USD")
    fx = pl.col("_fx")
    x = pl.when(usd_to_cny).then(x * fx).when(cny_to_usd).then(x / fx).otherwise(x)
    notes.append(
        pl.when(usd_to_cny)
        .then(pl.format("USD→CNY ×{}", pl.col("_fx_text")))
        .when(cny_to_usd)
        .then(pl.format("CNY→USD ÷{}", pl.col("_fx_text")))
    )
    applies += [usd_to_cny, cny_to_usd]
    # (3) VAT by report date
    factor = 1 + vat_rate(pl.col("report_date"))
    basis = pl.col("tax_basis_code")
    add_vat = (pl.col("_t_vat") == "incl") & (basis == "excl")
    drop_vat = pl.col("_t_vat").is_in(["excl", "n/a"]) & (basis == "incl")
    x = pl.when(add_vat).then(x * factor).when(drop_vat).then(x / factor).otherwise(x)
    notes.append(
        pl.when(add_vat)
        .then(pl.format("excl→incl VAT ×{}", _num(factor)))
        .when(drop_vat)
        .then(pl.format("incl→excl VAT ÷{}", _num(factor)))
    )
    applies += [add_vat, drop_vat]
    # (4) wet ↔ dry tonnes
    per_u, per_t = pl.col("_u_per"), pl.col("_t_per")
    same_per = (per_u == per_t) | (pl.col("_is_ore") & ((per_u == "t") | (per_t == "t")))
    wet_to_dry = (per_u == "wmt") & (per_t == "dmt")
    dry_to_wet = (per_u == "dmt") & (per_t == "wmt")
    dry_share = 1 - pl.col("_moisture") / 100
    x = pl.when(wet_to_dry).then(x / dry_share).when(dry_to_wet).then(x * dry_share).otherwise(x)
    notes.append(
        pl.when(wet_to_dry)
        .then(pl.format("wet→dry ÷(1−{}%)", pl.col("_moisture_text")))
        .when(dry_to_wet)
        .then(pl.format("dry→wet ×(1−{}%)", pl.col("_moisture_text")))
    )
    applies += [wet_to_dry, dry_to_wet]
    per_ok = same_per | ((wet_to_dry | dry_to_wet) & pl.col("_moisture").is_not_null())
    # (5) weight basis, (6) spec and value in use, (7) delivery term
    x = x * pl.col("_weight_mult").fill_null(1.0)
    x = x + pl.col("_spec_diff").fill_null(0.0)
    x = x + pl.col("_delivery_diff").fill_null(0.0)
    for name in ("_weight_note", "_spec_note", "_delivery_note"):
        notes.append(pl.col(name))
        applies.append(pl.col(name).is_not_null())

    note = pl.concat_str(notes, separator="; ", ignore_nulls=True)
    out = frame.with_columns(x.alias("value"), per_ok.fill_null(False).alias("_per_ok"))
    # The text is formatted only on rows with an adjustment (most rows have none).
    return with_columns_where(
        out,
        pl.any_horizontal([a.fill_null(False) for a in applies]),
        [pl.when(note != "").then(note).alias("std_adjustments")],
    )


def _num(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    """A number as text without trailing zeros: 1.13, 1000, 7.1234."""
    text = expr.round(decimals).cast(pl.Utf8)
    return text.str.replace(r"\.0+$", "").str.replace(r"(\.\d*?)0+$", "$1")


# --------------------------------------------------------------------------- results


def _rejects(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    unit_msg = reasons.message_expr(
        "unit_mismatch",
        field="unit",
        value=pl.col("unit_code"),
        detail_zh=pl.format("评估单位 {}", "_a_unit"),
        detail_en=pl.format("assessment unit {}", "_a_unit"),
    )
    fx_msg = reasons.message_expr(
        "missing_fx",
        field="time",
        value=pl.col("report_date"),
        detail_zh=pl.lit(f"汇率 {FX_PAIR}"),
        detail_en=pl.lit(f"rate {FX_PAIR}"),
    )
    delivery_msg = reasons.message_expr(
        "delivery_mismatch",
        field="delivery",
        value=pl.col("delivery_code"),
        detail_zh=pl.format("评估交货方式 {}", "_a_delivery"),
        detail_en=pl.format("assessment term {}", "_a_delivery"),
    )
    reason = pl.col("reason")
    return frame.with_columns(
        pl.when(reason == "unit_mismatch")
        .then(pl.lit("unit"))
        .when(reason == "missing_fx")
        .then(pl.lit("time"))
        .otherwise(pl.lit("delivery"))
        .alias("field"),
        pl.when(reason == "unit_mismatch")
        .then(unit_msg)
        .when(reason == "missing_fx")
        .then(fx_msg)
        .otherwise(delivery_msg)
        .alias("message"),
    ).select(*columns, "reason", "field", "message")


def _range_check(frame: pl.DataFrame, cat: Catalog) -> pl.DataFrame:
    v, lo, hi = pl.col("value"), pl.col("_range_low"), pl.col("_range_high")
    outside = (v < lo) | (v > hi)
    score = pl.max_horizontal(v / hi, lo / v)
    detail_zh = pl.format("合理区间 {}–{}", _num(lo), _num(hi))
    detail_en = pl.format("plausible {}–{}", _num(lo), _num(hi))
    message = reasons.message_expr(
        "out_of_range", field="price", value=_num(v), detail_zh=detail_zh, detail_en=detail_en
    )
    # Format messages for the flagged rows only (number formatting of every row is slow).
    marked = frame.with_columns(outside.fill_null(False).alias("excluded"))
    return with_columns_where(
        marked,
        pl.col("excluded"),
        [
            pl.lit("out_of_range", pl.Utf8).alias("flag_reason"),
            message.alias("flag_message"),
            score.cast(pl.Float64).alias("flag_score"),
        ],
    )
