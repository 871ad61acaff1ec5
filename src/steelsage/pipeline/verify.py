"""Stage 4, verification and classification: typed, checked reports or a reason per row.

Input: the import frame plus ``submission_id`` and ``batch_id``. Each row is checked in a
fixed order and rejected with the first reason that applies (see :data:`CHECK_ORDER`):
required fields, numbers, dates, the source (active in the sample library), product, region
and unit (catalog), positive prices, low ≤ high, no future date, an assessment for the
product × region, and no duplicate within the batch. Clean rows gain the typed columns of
the verified frame (docs/internals.md). All work is columnar; free text is resolved once per
distinct value.

Choices stated in docs/import-format.md and docs/methodology.md: low/high win over price; a
price written as a range ('3600-3650') is low/high; an enumerated field (data type, tax,
weight, delivery) we cannot read is ``missing_field``; a report dated on a non-working day
counts for the next working day (``date``; the date as written is ``report_date``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import polars as pl

from steelsage.catalog import Catalog, next_trading_day, normalize_text
from steelsage.pipeline import reasons
from steelsage.pipeline.base import RunContext, StageResult, with_columns_where
from steelsage.pipeline.ingest import VALUE_COLUMNS

TYPED_SCHEMA: dict[str, pl.DataType] = {
    "submission_id": pl.Int64(),
    "source_code": pl.Utf8(),
    "source_type": pl.Utf8(),
    "source_weight": pl.Float64(),
    "product_code": pl.Utf8(),
    "region_code": pl.Utf8(),
    "series_code": pl.Utf8(),
    "date": pl.Date(),
    "report_date": pl.Date(),
    "data_type": pl.Utf8(),
    "unit_code": pl.Utf8(),
    "tax_basis_code": pl.Utf8(),
    "weight_basis_code": pl.Utf8(),
    "delivery_code": pl.Utf8(),
    "price_low": pl.Float64(),
    "price_high": pl.Float64(),
    "price_value": pl.Float64(),
    "volume_t": pl.Float64(),
    "spec_attrs": pl.Utf8(),
}
CHECK_ORDER = (
    "missing_field", "bad_number", "bad_date", "unknown_source", "unknown_product",
    "unknown_region", "unknown_unit", "non_positive", "low_gt_high", "future_date",
    "not_assessed", "duplicate",
)  # fmt: skip
# Units whose name fixes the delivery term (a CFR price is CFR whatever the row says).
UNIT_DELIVERY = {"USD_DMT_CFR": "cfr"}
SERIAL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug folded in)

_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_UNSIGNED = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CURRENCY_PREFIX = r"^(?:[¥$]|rmb|cny|usd|us\$)\s*"
_CURRENCY_SUFFIX = (
    r"\s*(?:元(?:/(?:湿|干)?吨|/t|/wmt|/dmt)?|美元(?:/(?:湿|干)?吨)?|rmb|cny|usd|yuan)$"
)
_RANGE = rf"^({_UNSIGNED})\s*[-~—–至到]\s*({_UNSIGNED})$"
_ISO = (
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_CN = r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?(?:\s*(\d{1,2})[:时点](\d{2})?分?(?::(\d{2}))?)?$"
_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_SERIAL = r"^(\d{5})(?:\.\d+)?$"


class VerifyStage:
    name = "verify"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        frame = _conform(batch)
        raw_columns = frame.columns
        cat = ctx.catalog
        work = frame.with_columns(
            _by_unique(frame["low"], parse_number, pl.Float64).alias("_low_n"),
            _by_unique(frame["high"], parse_number, pl.Float64).alias("_high_n"),
            *_by_unique_many(
                frame["price"],
                {"_price_n": parse_number, "_range_low": _range_low, "_range_high": _range_high},
                pl.Float64,
            ),
            _by_unique(frame["volume"], parse_number, pl.Float64).alias("volume_t"),
            _by_unique(frame["time"], parse_date, pl.Date).alias("report_date"),
        )
        work = work.with_columns(_price_columns())
        work = _resolve_all(work, cat, ctx.sources)
        work = work.with_columns(
            ((pl.col("price_low") + pl.col("price_high")) / 2).alias("price_value"),
            _next_working_days(work["report_date"]).alias("date"),
        )
        today = ctx.today
        reason, field, message = _judge(today)
        # Messages are built for failing rows only: the chain of ~35 message templates costs
        # seconds per million rows when every row evaluates every branch.
        judged = work.with_columns(reason.alias("reason"), field)
        judged = with_columns_where(judged, pl.col("reason").is_not_null(), [message])
        judged = _mark_duplicates(judged)
        rejected = judged.filter(pl.col("reason").is_not_null()).select(
            *raw_columns, "reason", "field", "message"
        )
        typed = [c for c in TYPED_SCHEMA if c != "spec_attrs"]
        clean = (
            judged.lazy()
            .filter(pl.col("reason").is_null())
            .select(*dict.fromkeys([*raw_columns, *typed, "_dt_code"]))
            .collect()
        )
        clean = _add_spec_attrs(clean, cat).with_columns(pl.col("_dt_code").alias("data_type"))
        kept = clean.select(
            *(c for c in raw_columns if c not in TYPED_SCHEMA),
            *(pl.col(c).cast(t) for c, t in TYPED_SCHEMA.items()),
        )
        counters: dict[str, int | float] = {
            "rows_in": frame.height,
            "kept": kept.height,
            "rejected": rejected.height,
            "moved_to_next_working_day": int((kept["date"] != kept["report_date"]).sum()),
        }
        for code, n in rejected.group_by("reason").len().sort("reason").iter_rows():
            counters[f"rejected_{code}"] = n
        for dt, n in kept.group_by("data_type").len().sort("data_type").iter_rows():
            counters[f"type_{dt}"] = n
        return StageResult(kept=kept, rejected=rejected, counters=counters)


# --------------------------------------------------------------------------- parsing


def parse_number(expr: pl.Expr) -> pl.Expr:
    """Text → Float64: '3,650', '３６５０', '3650元', '¥3650', '3650.0'; else null.

    Null for empty text, words, NaN/inf, thousands groups in the wrong places ('1,23').
    """
    s = _clean_number_text(expr)
    valid = s.str.contains(f"^{_NUM}$")
    value = pl.when(valid).then(
        s.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    )
    return pl.when(value.is_finite()).then(value)


def _clean_number_text(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.Utf8).str.normalize("NFKC").str.strip_chars().str.to_lowercase()
    return s.str.replace(_CURRENCY_PREFIX, "").str.replace(_CURRENCY_SUFFIX, "").str.strip_chars()


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Text → Date (Beijing time): '2026-11-24', '2026/11/24', '2026年11月24日',
    '2026-11-24 14:30', ISO with 'T' and a UTC offset, '20261124', Excel serials
    (e.g. '46350'); null for anything else, including ambiguous '11/24/2026'."""
    s = expr.cast(pl.Utf8).str.normalize("NFKC").str.strip_chars()
    iso = s.str.extract_groups(_ISO)
    cn = s.str.extract_groups(_CN)
    compact = s.str.extract_groups(_COMPACT)
    parts = [
        pl.coalesce(iso.struct.field(f"{i}"), cn.struct.field(f"{i}"), compact.struct.field(f"{i}"))
        for i in (1, 2, 3)
    ]
    ymd = pl.format("{}-{}-{}", parts[0], parts[1].str.zfill(2), parts[2].str.zfill(2))
    day = ymd.str.to_date("%Y-%m-%d", strict=False)
    hour = pl.coalesce(iso.struct.field("4"), cn.struct.field("4")).cast(pl.Int32, strict=False)
    minute = pl.coalesce(iso.struct.field("5"), cn.struct.field("5")).cast(pl.Int32, strict=False)
    bad_time = (hour.fill_null(0) > 23) | (minute.fill_null(0) > 59)
    tz = iso.struct.field("7")
    offset_min = _utc_offset_minutes(tz)
    shifted = (
        day.cast(pl.Datetime("ms"))
        + pl.duration(hours=hour.fill_null(0), minutes=minute.fill_null(0))
        + pl.duration(minutes=8 * 60 - offset_min)
    ).dt.date()
    day = pl.when(tz.is_not_null()).then(shifted).otherwise(day)
    serial = s.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    serial_day = pl.when(serial.is_between(20000, 80000)).then(
        pl.lit(SERIAL_EPOCH) + pl.duration(days=serial)
    )
    return pl.when(bad_time).then(None).otherwise(pl.coalesce(day, serial_day.cast(pl.Date)))


def _utc_offset_minutes(tz: pl.Expr) -> pl.Expr:
    digits = tz.str.replace(":", "", literal=True)
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    hh = digits.str.slice(1, 2).cast(pl.Int32, strict=False)
    mm = digits.str.slice(3, 2).cast(pl.Int32, strict=False)
    return pl.when(tz == "Z").then(0).otherwise(sign * (hh * 60 + mm)).fill_null(0)


def _range_low(expr: pl.Expr) -> pl.Expr:
    return parse_number(_clean_number_text(expr).str.extract(_RANGE, 1))


def _range_high(expr: pl.Expr) -> pl.Expr:
    return parse_number(_clean_number_text(expr).str.extract(_RANGE, 2))


def _price_columns() -> list[pl.Expr]:
    """price_low / price_high: low/high when given, else a price range, else the price."""
    given = pl.col("low").is_not_null() | pl.col("high").is_not_null()
    is_range = ~given & pl.col("_range_low").is_not_null()
    low = (
        pl.when(given)
        .then(pl.col("_low_n"))
        .when(is_range)
        .then(pl.col("_range_low"))
        .otherwise(pl.col("_price_n"))
    )
    high = (
        pl.when(given)
        .then(pl.col("_high_n"))
        .when(is_range)
        .then(pl.col("_range_high"))
        .otherwise(pl.col("_price_n"))
    )
    return [low.alias("price_low"), high.alias("price_high")]


def _by_unique(
    column: pl.Series, parse: Callable[[pl.Expr], pl.Expr], dtype: type[pl.DataType]
) -> pl.Series:
    """Apply a text parser to each distinct value once and map the results back."""
    return _by_unique_many(column, {column.name: parse}, dtype)[0]


def _by_unique_many(
    column: pl.Series, parsers: dict[str, Callable[[pl.Expr], pl.Expr]], dtype: type[pl.DataType]
) -> list[pl.Series]:
    """Several parsers of one text column, each distinct value parsed once: a Series per
    parser, named by its key."""
    distinct = column.drop_nulls().unique()
    parsed = pl.DataFrame({"k": distinct}).select(
        [parse(pl.col("k")).cast(dtype).alias(name) for name, parse in parsers.items()]
    )
    if len(parsers) == 1:
        return [
            column.replace_strict(
                distinct, parsed.to_series(), default=None, return_dtype=dtype
            ).alias(next(iter(parsers)))
        ]
    joined = column.to_frame("k").join(
        parsed.with_columns(k=distinct), on="k", how="left", maintain_order="left"
    )
    return [joined[name] for name in parsers]


# --------------------------------------------------------------------------- resolution


def _resolve_all(frame: pl.DataFrame, cat: Catalog, sources: pl.DataFrame | None) -> pl.DataFrame:
    out = frame.with_columns(
        _lookup(frame["product"], cat.alias_table("product"), cat.resolve_product).alias(
            "product_code"
        ),
        _lookup(frame["unit"], cat.alias_table("unit"), cat.resolve_unit).alias("_unit0"),
        _lookup(frame["data_type"], cat.alias_table("data_type"), cat.resolve_data_type).alias(
            "_data_type"
        ),
        _lookup(frame["tax_basis"], cat.alias_table("tax_basis"), cat.resolve_tax_basis).alias(
            "_tax"
        ),
        _lookup(
            frame["weight_basis"], cat.alias_table("weight_basis"), cat.resolve_weight_basis
        ).alias("weight_basis_code"),
        _lookup(frame["delivery"], cat.alias_table("delivery"), cat.resolve_delivery).alias(
            "_delivery"
        ),
    )
    out = _join_regions_series(out, cat)
    out = _join_units(out, cat)
    return _join_sources(out, sources)


def _lookup(
    column: pl.Series, table: dict[str, str], resolve: Callable[[str], str | None]
) -> pl.Series:
    """Map a text column to codes: the alias table first, the resolver for its misses,
    each distinct value once."""
    mapping: dict[str, str | None] = {}
    for text in column.drop_nulls().unique().to_list():
        code = table.get(text) or table.get(normalize_text(text))
        mapping[text] = code if code is not None else resolve(text)
    return column.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def _join_regions_series(frame: pl.DataFrame, cat: Catalog) -> pl.DataFrame:
    """region_code and the series a report feeds, resolved once per (region text, product):
    a name shared by a city and a port is settled by the product."""
    pairs = frame.select("region", "product_code").unique().drop_nulls("region")
    rows = []
    for text, product in pairs.iter_rows():
        region = cat.resolve_region(text, product)
        a = cat.assessment_for(product, region) if product and region else None
        series = (a.code, a.delivery, a.unit) if a is not None else (None, None, None)
        rows.append((text, product, region, *series))
    table = pl.DataFrame(
        rows,
        schema={
            "region": pl.Utf8,
            "product_code": pl.Utf8,
            "region_code": pl.Utf8,
            "series_code": pl.Utf8,
            "_series_delivery": pl.Utf8,
            "_series_unit": pl.Utf8,
        },
        orient="row",
    )
    return frame.join(
        table, on=["region", "product_code"], how="left", nulls_equal=True, maintain_order="left"
    )


def _join_units(frame: pl.DataFrame, cat: Catalog) -> pl.DataFrame:
    """unit_code and tax_basis_code: '元/吨' + 不含税 is CNY_T_EXVAT; USD units are 'n/a'."""
    units = pl.DataFrame(
        [(u.code, u.kind, u.currency, u.vat) for u in cat.units.values()],
        schema={"_unit0": pl.Utf8, "_unit_kind": pl.Utf8, "_ccy": pl.Utf8, "_unit_vat": pl.Utf8},
        orient="row",
    )
    out = frame.join(units, on="_unit0", how="left", maintain_order="left")
    tax = (
        pl.when(pl.col("_tax").is_not_null())
        .then(pl.col("_tax"))
        .when(pl.col("_unit_vat").is_in(["incl", "excl"]))
        .then(pl.col("_unit_vat"))
        .otherwise(pl.lit("n/a"))
    )
    unit = (
        pl.when(pl.col("_unit0").is_in(["CNY_T_VAT", "CNY_T_EXVAT"]) & tax.is_in(["incl", "excl"]))
        .then(pl.when(tax == "excl").then(pl.lit("CNY_T_EXVAT")).otherwise(pl.lit("CNY_T_VAT")))
        .otherwise(pl.col("_unit0"))
    )
    delivery = pl.coalesce(
        pl.col("_delivery"),
        pl.col("_unit0").replace_strict(UNIT_DELIVERY, default=None, return_dtype=pl.Utf8),
        pl.col("_series_delivery"),
    )
    return out.with_columns(
        tax.alias("tax_basis_code"),
        pl.when(pl.col("_unit_kind") == "price").then(unit).alias("unit_code"),
        delivery.alias("delivery_code"),
        pl.col("_data_type").alias("_dt_code"),
    )


def _join_sources(frame: pl.DataFrame, sources: pl.DataFrame | None) -> pl.DataFrame:
    if sources is None:  # no sample library given: the source text is taken as its code
        return frame.with_columns(
            pl.col("source").alias("source_code"),
            pl.lit(None, dtype=pl.Utf8).alias("source_type"),
            pl.lit(1.0).alias("source_weight"),
            pl.lit(True).alias("_source_active"),
        )
    lib = sources.select(
        pl.col("code").alias("source_code"),
        pl.col("code").str.strip_chars().str.to_lowercase().alias("_skey"),
        pl.col("type").alias("source_type"),
        pl.col("credibility_weight").cast(pl.Float64).alias("source_weight"),
        pl.col("active").cast(pl.Boolean).fill_null(True).alias("_source_active"),
    ).unique("_skey", keep="first")
    key = _by_unique(frame["source"], _source_key, pl.Utf8)
    return frame.with_columns(key.alias("_skey")).join(
        lib, on="_skey", how="left", maintain_order="left"
    )


def _source_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.normalize("NFKC").str.strip_chars().str.to_lowercase()


# --------------------------------------------------------------------------- checks


def _judge(today: date | None) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The first failing check per row: (reason, field, message) expressions."""
    Detail = tuple[str, str] | None
    checks: list[tuple[pl.Expr, str, str | None, pl.Expr | None, Detail]] = []

    def add(mask: pl.Expr, code: str, fld: str | None, value: pl.Expr | None = None,
            detail: Detail = None) -> None:  # fmt: skip
        checks.append((mask, code, fld, value, detail))

    def blank(c: str) -> pl.Expr:
        return pl.col(c).is_null()

    not_read = ("无法识别", "not recognised")
    for c in ("source", "product", "region", "unit", "data_type", "time"):
        add(blank(c), "missing_field", c)
    has_low, has_high = ~blank("low"), ~blank("high")
    add(has_low & ~has_high, "missing_field", "high", detail=("只给了最低价", "low only"))
    add(has_high & ~has_low, "missing_field", "low", detail=("只给了最高价", "high only"))
    add(blank("price") & ~has_low & ~has_high, "missing_field", "price")
    add(pl.col("_dt_code").is_null(), "missing_field", "data_type", pl.col("data_type"), not_read)
    for c, code in (("tax_basis", "_tax"), ("weight_basis", "weight_basis_code")):
        add(~blank(c) & pl.col(code).is_null(), "missing_field", c, pl.col(c), not_read)
    add(~blank("delivery") & pl.col("_delivery").is_null(), "missing_field", "delivery",
        pl.col("delivery"), not_read)  # fmt: skip
    for c in ("low", "high"):
        add((has_low | has_high) & pl.col(f"price_{c}").is_null(), "bad_number", c, pl.col(c))
    add(~(has_low | has_high) & pl.col("price_low").is_null(), "bad_number", "price",
        pl.col("price"))  # fmt: skip
    add(~blank("volume") & pl.col("volume_t").is_null(), "bad_number", "volume", pl.col("volume"))
    add(pl.col("report_date").is_null(), "bad_date", "time", pl.col("time"))
    add(pl.col("_source_active").is_null(), "unknown_source", "source", pl.col("source"))
    add(~pl.col("_source_active").fill_null(True), "unknown_source", "source", pl.col("source"),
        ("来源已停用", "source inactive"))  # fmt: skip
    add(pl.col("product_code").is_null(), "unknown_product", "product", pl.col("product"))
    add(pl.col("region_code").is_null(), "unknown_region", "region", pl.col("region"))
    add(pl.col("unit_code").is_null(), "unknown_unit", "unit", pl.col("unit"))
    for c, v in (("price", "price_low"), ("price", "price_high")):
        add(pl.col(v) <= 0, "non_positive", c, pl.col(v))
    add(pl.col("volume_t") <= 0, "non_positive", "volume", pl.col("volume"))
    add(pl.col("price_low") > pl.col("price_high"), "low_gt_high", "low",
        pl.format("{}>{}", pl.col("price_low"), pl.col("price_high")))  # fmt: skip
    if today is not None:
        add(pl.col("report_date") > pl.lit(today), "future_date", "time", pl.col("time"),
            (f"今天是 {today.isoformat()}", f"today is {today.isoformat()}"))  # fmt: skip
    add(pl.col("series_code").is_null(), "not_assessed", "region",
        pl.format("{}.{}", "product_code", "region_code"))  # fmt: skip

    reason = pl.lit(None, dtype=pl.Utf8)
    fld = pl.lit(None, dtype=pl.Utf8)
    msg = pl.lit(None, dtype=pl.Utf8)
    for mask, code, field_name, value, detail in reversed(checks):
        hit = mask.fill_null(False)
        text = reasons.message_expr(
            code,
            field=field_name,
            value=value,
            detail_zh=pl.lit(detail[0]) if detail else None,
            detail_en=pl.lit(detail[1]) if detail else None,
        )
        reason = pl.when(hit).then(pl.lit(code)).otherwise(reason)
        fld = pl.when(hit).then(pl.lit(field_name, dtype=pl.Utf8)).otherwise(fld)
        msg = pl.when(hit).then(text).otherwise(msg)
    return reason, fld.alias("field"), msg.alias("message")


def _mark_duplicates(frame: pl.DataFrame) -> pl.DataFrame:
    """Second and later copies within the batch: the same report_id from the same source, or
    (without a report_id) the same source × series × date × data type × value.

    Only clean rows take part. Rows whose key occurs once among them cannot be copies, so
    the first-copy search runs on the few rows whose key repeats.
    """
    by_id = ["source_code", "report_id"]
    by_content = ["source_code", "series_code", "date", "_dt_code", "price_value"]
    has_id = pl.col("report_id").is_not_null()
    clean = (
        frame.lazy()
        .with_row_index("_order")
        .filter(pl.col("reason").is_null())
        .select("_order", "row_number", *dict.fromkeys([*by_id, *by_content]))
        .collect()
    )
    order = pl.col("_order")
    first = pl.when(has_id).then(order.min().over(by_id)).otherwise(order.min().over(by_content))
    repeats = clean.filter(
        (has_id & pl.struct(by_id).is_duplicated()) | pl.struct(by_content).is_duplicated()
    ).with_columns(first.alias("_first"))
    dups = (
        repeats.lazy()
        .filter(pl.col("_first") != order)
        .join(
            repeats.lazy().select(
                pl.col("_order").alias("_first"), pl.col("row_number").alias("_row1")
            ),
            on="_first",
            how="left",
        )
        .sort("_order")
        .select(
            "_order",
            pl.lit("duplicate").alias("reason"),
            pl.when(has_id).then(pl.lit("report_id")).alias("field"),
            reasons.message_expr(
                "duplicate",
                detail_zh=pl.format("同第{}行", "_row1"),
                detail_en=pl.format("same as row {}", "_row1"),
            ).alias("message"),
        )
        .collect()
    )
    if dups.height == 0:
        return frame
    idx = dups["_order"]
    return frame.with_columns(
        [frame[c].cast(pl.Utf8).scatter(idx, dups[c]) for c in ("reason", "field", "message")]
    )


def _add_spec_attrs(frame: pl.DataFrame, cat: Catalog) -> pl.DataFrame:
    pairs = frame.select("product_code", "spec").unique()
    rows = [
        (p, s, json.dumps(cat.parse_spec(p, s), ensure_ascii=False, sort_keys=True))
        for p, s in pairs.iter_rows()
    ]
    table = pl.DataFrame(
        rows, schema={"product_code": pl.Utf8, "spec": pl.Utf8, "spec_attrs": pl.Utf8}, orient="row"
    )
    return frame.join(
        table, on=["product_code", "spec"], how="left", nulls_equal=True, maintain_order="left"
    )


def _next_working_days(days: pl.Series) -> pl.Series:
    """Each date, or the next Chinese working day when it falls on a weekend or holiday."""
    mapping = {d: next_working_day(d) for d in days.drop_nulls().unique().to_list()}
    return days.replace_strict(mapping, default=None, return_dtype=pl.Date)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a market day, else the next one (holidays and make-up
    weekends are closed; see :mod:`steelsage.catalog.calendar`)."""
    return next_trading_day(day)


def _conform(batch: pl.DataFrame) -> pl.DataFrame:
    """Add absent import columns as null text; number the rows when nobody did."""
    out = batch.with_columns(
        [pl.lit(None, dtype=pl.Utf8).alias(c) for c in VALUE_COLUMNS if c not in batch.columns]
    )
    out = out.with_columns([pl.col(c).cast(pl.Utf8) for c in VALUE_COLUMNS])
    if "row_number" not in out.columns:
        out = out.with_row_index("row_number", offset=1)
    if "submission_id" not in out.columns:
        out = out.with_columns(pl.col("row_number").cast(pl.Int64).alias("submission_id"))
    return out.with_columns(pl.col("row_number").cast(pl.Int64))
