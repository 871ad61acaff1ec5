"""External and indicator series: long-format files through the same batch/reject path.

The World Bank Pink Sheet subset ships with the package (CC BY 4.0); its rows become
``wb.<CODE>`` series, monthly, with source and licence recorded on each series.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, insert, select, update

from steelsage.catalog import Catalog, load_catalog
from steelsage.pipeline import reasons
from steelsage.store import audit, bulk_insert, publish_values, upsert_series
from steelsage.store import models as m
from steelsage.store.schemas import utc_now

WB_SOURCE = "World Bank Commodity Price Data (The Pink Sheet), monthly"
WB_LICENCE = (
    "CC BY 4.0 — Source: The World Bank: World Bank Commodity Price Data (The Pink Sheet), "
    "monthly prices (CMO-Historical-Data-Monthly.xlsx, updated 3 Dec 2024); reshaped and subset."
)
REQUIRED = ["series_code", "series_name", "unit", "value"]


class ExternalImportError(ValueError):
    """The file cannot be imported at all (missing, unreadable, wrong columns)."""


def default_worldbank_file() -> Path:
    return Path(
        str(
            resources.files("steelsage")
            / "data"
            / "worldbank"
            / "pinksheet_monthly_energy_metals.csv"
        )
    )


def _read(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise ExternalImportError(f"{path}: 文件不存在 / file not found")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several error types for malformed CSV
        raise ExternalImportError(f"{path}: 无法解析 CSV / cannot parse CSV: {exc}") from exc
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing or not ({"month", "date"} & set(frame.columns)):
        raise ExternalImportError(
            f"{path}: 缺少列 {missing or ['month|date']} / missing columns; expected "
            "series_code, series_name, unit, month|date, value"
        )
    return frame.with_row_index("row_number", offset=1)


def _validate(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    when_col = "month" if "month" in frame.columns else "date"
    when = pl.col(when_col)
    typed = frame.with_columns(
        pl.coalesce(
            (when + "-01").str.to_date("%Y-%m-%d", strict=False),
            when.str.to_date("%Y-%m-%d", strict=False),
        ).alias("_date"),
        pl.col("value").str.strip_chars().cast(pl.Float64, strict=False).alias("_value"),
    )

    def blank(col: str) -> pl.Expr:
        return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")

    reason = (
        pl.when(blank("series_code"))
        .then(pl.lit("missing_field|series_code"))
        .when(blank("series_name"))
        .then(pl.lit("missing_field|series_name"))
        .when(blank("unit"))
        .then(pl.lit("missing_field|unit"))
        .when(pl.col("_date").is_null())
        .then(pl.lit(f"bad_date|{when_col}"))
        .when(
            pl.col("_value").is_null() | pl.col("_value").is_nan() | pl.col("_value").is_infinite()
        )
        .then(pl.lit("bad_number|value"))
        .otherwise(None)
    )
    typed = typed.with_columns(reason.alias("_why"))
    bad = typed.filter(pl.col("_why").is_not_null())
    good = typed.filter(pl.col("_why").is_null())
    dup = good.select(["series_code", "_date"]).is_duplicated()
    dup_rows = good.filter(dup & (pl.int_range(pl.len()).over(["series_code", "_date"]) > 0))
    good = good.unique(["series_code", "_date"], keep="first", maintain_order=True)
    bad = pl.concat(
        [bad, dup_rows.with_columns(pl.lit(f"duplicate|{when_col}").alias("_why"))],
        how="vertical_relaxed",
    )
    return good, bad


def _messages(bad: pl.DataFrame) -> list[str]:
    """Bilingual reject messages naming the row, the field and the value received."""
    out = []
    for r in bad.iter_rows(named=True):
        code, field = r["_why"].split("|")
        value = None if code in ("missing_field", "duplicate") else r.get(field)
        out.append(reasons.message(code, row=r["row_number"], field=field, value=value))
    return out


def import_series_file(
    engine: Engine,
    path: Path,
    *,
    prefix: str,
    source: str,
    licence: str | None,
    frequency: str = "monthly",
    who: str = "system",
) -> dict:
    """Import a long-format series file; idempotent on the file's bytes."""
    data = path.read_bytes() if path.is_file() else b""
    sha = hashlib.sha256(data).hexdigest()
    frame = _read(path)
    batches = m.ImportBatch.__table__
    with engine.connect() as conn:
        prev = conn.execute(
            select(batches.c.id).where(batches.c.sha256 == sha, batches.c.status == "complete")
        ).scalar()
    if prev is not None:
        return {
            "file": str(path),
            "status": "duplicate_file",
            "batch_id": prev,
            "series": 0,
            "accepted": 0,
            "rejected": 0,
            "rejects": [],
        }
    good, bad = _validate(frame)
    now = utc_now().replace(microsecond=0)
    with engine.begin() as conn:
        batch_id = conn.execute(
            insert(batches).values(
                file_name=str(path),
                sha256=sha,
                format="external",
                encoding="utf-8",
                size_bytes=len(data),
                status="started",
                started_at=now,
                imported_by=who,
            )
        ).inserted_primary_key[0]
        meta = good.group_by("series_code", maintain_order=True).agg(
            pl.col("series_name").first(), pl.col("unit").first()
        )
        upsert_series(
            conn,
            [
                {
                    "code": f"{prefix}{r['series_code']}",
                    "kind": "external",
                    "name_zh": r["series_name"],
                    "name_en": r["series_name"],
                    "commodity": None,
                    "product": None,
                    "region": "world",
                    "unit": r["unit"],
                    "frequency": frequency,
                    "method": source,
                    "source": source,
                    "licence": licence,
                    "meta": {"original_code": r["series_code"]},
                }
                for r in meta.iter_rows(named=True)
            ],
        )
        values = good.select(
            (pl.lit(prefix) + pl.col("series_code")).alias("series_code"),
            pl.col("_date").alias("date"),
            pl.col("_value").alias("value"),
        )
        info = (
            publish_values(
                conn,
                release=f"external:{prefix.rstrip('.')}",
                kind="import",
                values=values,
                who=who,
                note=source,
            )
            if values.height
            else None  # every row was rejected: keep the batch and its rejects, publish nothing
        )
        rejects = bad.select(
            pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
            pl.lit(str(path)).alias("file_name"),
            pl.col("row_number").cast(pl.Int64),
            pl.col("_why").str.split("|").list.get(1).alias("field"),
            pl.col("_why").str.split("|").list.get(0).alias("reason"),
            pl.Series("message", _messages(bad), dtype=pl.Utf8),
            pl.lit(now, dtype=pl.Datetime("us")).alias("created_at"),
        )
        bulk_insert(conn, m.Reject.__table__, rejects)
        conn.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(
                status="complete",
                finished_at=now,
                n_rows=frame.height,
                n_accepted=good.height,
                n_rejected=bad.height,
            )
        )
    return {
        "file": str(path),
        "status": "imported",
        "batch_id": batch_id,
        "series": meta.height,
        "accepted": info.n_values if info else 0,
        "rejected": bad.height,
        "rejects": [
            {
                "file": str(path),
                "row": r["row_number"],
                "field": r["field"],
                "reason": r["reason"],
                "message": r["message"],
            }
            for r in rejects.sort("row_number").head(100).iter_rows(named=True)
        ],
    }


def import_worldbank(engine: Engine, path: Path | None = None, *, who: str = "system") -> dict:
    return import_series_file(
        engine,
        path or default_worldbank_file(),
        prefix="wb.",
        source=WB_SOURCE,
        licence=WB_LICENCE,
        who=who,
    )


def publish_indicators(
    engine: Engine,
    frame: pl.DataFrame,
    *,
    who: str = "system",
    catalog: Catalog | None = None,
    release: str = "indicators",
) -> dict:
    """Publish indicator observations (``series_code, date, value``) defined in the catalog."""
    catalog = catalog or load_catalog()
    codes = frame["series_code"].unique().sort().to_list()
    indicators = {c: ind for ind in catalog.indicators.values() for c in ind.series_codes()}
    unknown = [c for c in codes if c not in indicators]
    if unknown:
        raise ExternalImportError(
            f"未在目录中定义的指标 / indicators not in the catalog: {unknown[:5]}"
        )
    rows = []
    for code in codes:
        ind = indicators[code]
        scope = code.split(".", 1)[1]
        rows.append(
            {
                "code": code,
                "kind": "indicator",
                "name_zh": catalog.series_name(code, "zh"),
                "name_en": catalog.series_name(code, "en"),
                "commodity": None,
                "product": scope if scope in catalog.products else None,
                "region": "national",
                "unit": ind.unit,
                "frequency": ind.frequency,
                "method": f"{ind.method_zh} / {ind.method_en}",
                "source": "steelsage",
                "licence": None,
                "meta": {"indicator": ind.code, "scope": scope},
            }
        )
    with engine.begin() as conn:
        upsert_series(conn, rows)
        info = publish_values(
            conn,
            release=release,
            kind="import",
            values=frame.select("series_code", "date", "value"),
            who=who,
        )
    return {"series": len(codes), "values": info.n_values if info else 0}


def import_fx_rates(engine: Engine, path: Path, *, who: str = "system") -> dict:
    """Load FX rates (CSV: ``date, pair, rate``, e.g. ``2026-11-24,USDCNY,7.1012``).

    Rows replace the stored rate for the same date and pair; bad rows are listed, not stored.
    """
    if not path.is_file():
        raise ExternalImportError(f"{path}: 文件不存在 / file not found")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several error types for malformed CSV
        raise ExternalImportError(f"{path}: 无法解析 CSV / cannot parse CSV: {exc}") from exc
    missing = [c for c in ("date", "pair", "rate") if c not in frame.columns]
    if missing:
        raise ExternalImportError(
            f"{path}: 缺少列 {missing} / missing columns {missing}; expected date, pair, rate"
        )
    typed = frame.with_row_index("row", offset=1).with_columns(
        pl.col("date").str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias("d"),
        pl.col("pair").str.strip_chars().str.to_uppercase().alias("p"),
        pl.col("rate").str.strip_chars().cast(pl.Float64, strict=False).alias("r"),
    )
    ok = (
        pl.col("d").is_not_null()
        & pl.col("p").str.contains(r"^[A-Z]{6}$").fill_null(False)
        & pl.col("r").is_finite().fill_null(False)
        & (pl.col("r") > 0)
    )
    good = typed.filter(ok).unique(["d", "p"], keep="last")
    bad = typed.filter(~ok)
    table = m.FxRate.__table__
    with engine.begin() as conn:
        for (pair,), part in good.group_by(["p"]):
            days = part["d"].to_list()
            for i in range(0, len(days), 5000):
                conn.execute(
                    table.delete().where(table.c.pair == pair, table.c.date.in_(days[i : i + 5000]))
                )
        bulk_insert(
            conn,
            table,
            good.select(
                pl.col("d").alias("date"), pl.col("p").alias("pair"), pl.col("r").alias("rate")
            ),
        )
        audit(conn, who, "fx.import", "fx_rates", None, {"file": str(path), "rows": good.height})
    return {
        "file": str(path),
        "accepted": good.height,
        "rejected": bad.height,
        "rejects": [
            {"row": r["row"], "message": "日期、币对或汇率无效 / bad date, pair or rate"}
            for r in bad.head(100).iter_rows(named=True)
        ],
    }
