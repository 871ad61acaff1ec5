"""Stage 8, publication: the values to publish, and exports of what was published.

:class:`PublishStage` turns compiled assessments (and index values) into the ``values``
frame that :func:`steelsage.store.publish_values` writes as a versioned release; it refuses
a frame that must not be published. :func:`export_published` writes published values (as of
a moment, if asked) to CSV, Parquet or XLSX.

Export destination rule: a relative path (e.g. a bare name ``prices.csv``) is placed in the
export directory (``settings.export_dir``) and must stay inside it — ``../x.csv`` or
``a/../../x.csv`` are refused; an absolute path is used as given (the caller chose it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import Engine

from steelsage.pipeline.base import RunContext, StageResult
from steelsage.pipeline.release import PublishError
from steelsage.store import VALUE_SCHEMA

ExportFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
VALUES_SCHEMA = VALUE_SCHEMA  # the store's publish_values input
EXPORT_COLUMNS = (
    "code", "name_zh", "name_en", "unit", "date", "value", "low", "high", "change",
    "n_sources", "fallback", "version", "published_at",
)  # fmt: skip


class PublishRefusedError(PublishError, ValueError):
    """The frame cannot be published as it is (nothing to publish, or bad mids)."""


class PublishStage:
    """Stage 8. ``run(assessments, ctx)`` → ``kept`` = the values frame for publish_values.

    ``batch`` holds assessments (``mid``) and/or index values (``value``); more index values
    may come in ``ctx.params['index_values']`` (``series_code, date, value``).
    """

    name = "publish"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        parts = [_values(batch)]
        extra = ctx.params.get("index_values")
        if extra is not None and extra.height:
            parts.append(_values(extra))
        values = pl.concat(parts).sort("series_code", "date")
        _refuse_bad(values)
        counters: dict[str, int | float] = {
            "n_values": values.height,
            "n_series": values["series_code"].n_unique(),
            "n_fallback": int(values["fallback"].sum()),
            "n_index_values": values.filter(pl.col("series_code").str.starts_with("idx.")).height,
        }
        return StageResult(kept=values, counters=counters)


def _values(frame: pl.DataFrame) -> pl.DataFrame:
    """Map an assessment (or index-value) frame onto the values schema."""
    if frame.height == 0 and not frame.columns:
        return pl.DataFrame(schema=VALUES_SCHEMA)
    if "series_code" not in frame.columns or "date" not in frame.columns:
        raise PublishRefusedError(
            "发布数据需要 series_code 和 date 列 / the frame to publish needs series_code and "
            "date columns"
        )
    mid = "mid" if "mid" in frame.columns else "value"
    if mid not in frame.columns:
        raise PublishRefusedError(
            "发布数据缺少中间价列（mid 或 value）/ the frame to publish has no mid or value column"
        )
    ident = "assessment_id" if "assessment_id" in frame.columns else None
    if ident is None and "id" in frame.columns:
        ident = "id"
    sources = {
        "value": pl.col(mid),
        "low": pl.col("low") if "low" in frame.columns else None,
        "high": pl.col("high") if "high" in frame.columns else None,
        "change": pl.col("change") if "change" in frame.columns else None,
        "n_sources": pl.col("n_sources") if "n_sources" in frame.columns else None,
        "fallback": pl.col("fallback").fill_null(False) if "fallback" in frame.columns else False,
        "assessment_id": pl.col(ident) if ident else None,
    }
    exprs = [pl.col("series_code").cast(pl.Utf8), pl.col("date").cast(pl.Date)]
    for name, expr in sources.items():
        dtype = VALUES_SCHEMA[name]
        if isinstance(expr, pl.Expr):
            exprs.append(expr.cast(dtype).alias(name))
        else:
            exprs.append(pl.lit(expr, dtype=dtype).alias(name))
    return frame.select(exprs)


def _examples(frame: pl.DataFrame, n: int = 5) -> str:
    rows = frame.head(n).select("series_code", "date", "value").rows()
    more = " …" if frame.height > n else ""
    return ", ".join(f"{c} {d} ({v})" for c, d, v in rows) + more


def _refuse_bad(values: pl.DataFrame) -> None:
    if values.height == 0:
        raise PublishRefusedError(
            "没有可发布的数据：评估结果为空 / nothing to publish: the assessment frame is empty "
            "(run the pipeline first, or check the date range)"
        )
    bad = values.filter(pl.col("value").is_null() | pl.col("value").is_nan())
    if bad.height:
        raise PublishRefusedError(
            f"{bad.height} 个中间价为空，拒绝发布 / refusing to publish {bad.height} null mids: "
            f"{_examples(bad)}; fix the assessments (or drop those rows) and publish again"
        )
    bad = values.filter(pl.col("value") <= 0)
    if bad.height:
        raise PublishRefusedError(
            f"{bad.height} 个中间价不是正数，拒绝发布 / refusing to publish {bad.height} "
            f"non-positive mids: {_examples(bad)}"
        )
    dup = values.select("series_code", "date").is_duplicated()
    if dup.any():
        raise PublishRefusedError(
            f"同一序列同一日期出现多次 / {int(dup.sum())} rows repeat a (series, date): "
            f"{_examples(values.filter(dup))}"
        )


# --------------------------------------------------------------------------- exports
def resolve_destination(dest: Path | str, fmt: str, export_dir: Path) -> Path:
    """Where an export goes (see the module docstring for the rule)."""
    if fmt not in FORMATS:
        raise ValueError(
            f"不支持的导出格式 {fmt!r} / unsupported export format {fmt!r}; use one of {FORMATS}"
        )
    if str(dest).strip() in ("", "."):
        raise ValueError("导出文件名为空 / the export file name is empty")
    path = Path(dest)
    if not path.is_absolute():
        root = export_dir.resolve()
        path = (root / path).resolve()
        if path == root or not path.is_relative_to(root):
            raise ValueError(
                f"导出路径 {dest!r} 越出导出目录 {root} / the export path {str(dest)!r} escapes "
                f"the export directory {root}; give a plain file name, or an absolute path"
            )
    if not path.suffix:
        return path.with_name(f"{path.name}.{fmt}")
    if path.suffix.lower() != f".{fmt}":
        raise ValueError(
            f"文件扩展名 {path.suffix} 与格式 {fmt} 不符 / the file extension {path.suffix} does "
            f"not match the format {fmt}; name it *.{fmt} or pick another format"
        )
    return path


def published_frame(
    engine: Engine,
    *,
    codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    as_of: date | datetime | None = None,
) -> pl.DataFrame:
    """Published values in long format with series metadata (the export's columns)."""
    from steelsage.store import get_observations_many, list_series

    series = list_series(engine)
    meta = pl.DataFrame(
        [(s.code, s.name_zh, s.name_en, s.unit) for s in series],
        schema={"code": pl.Utf8, "name_zh": pl.Utf8, "name_en": pl.Utf8, "unit": pl.Utf8},
        orient="row",
    )
    wanted = list(codes) if codes is not None else meta["code"].to_list()
    unknown = sorted(set(wanted) - set(meta["code"].to_list()))
    if unknown:
        raise ValueError(
            f"未知序列 / unknown series {unknown[:10]}; list them with `steelsage series list`"
        )
    obs = get_observations_many(engine, wanted, start=start, end=end, as_of=as_of)
    frame = obs.rename({"series_code": "code"}).join(meta, on="code", how="left")
    return frame.select(EXPORT_COLUMNS).sort("code", "date")


def export_published(
    engine: Engine,
    dest: Path | str,
    fmt: ExportFormat,
    *,
    codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    as_of: date | datetime | None = None,
    export_dir: Path | None = None,
) -> Path:
    """Write published values to ``dest`` as ``fmt`` and return the path written.

    Long format, one row per series and date: code, name_zh, name_en, unit, date, value,
    low, high, change, n_sources, fallback, version, published_at. ``as_of`` gives what was
    published at that moment (a date means the end of that day).
    """
    from steelsage.config import get_settings

    root = export_dir if export_dir is not None else get_settings().export_dir
    path = resolve_destination(dest, fmt, root)
    frame = published_frame(engine, codes=codes, start=start, end=end, as_of=as_of)
    if frame.height == 0:
        raise ValueError(
            "没有符合条件的已发布数据 / no published values match these filters (codes, dates, "
            "as_of); nothing was written"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(path, include_bom=True)  # BOM: Excel opens the Chinese names right
    elif fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_excel(path, worksheet="published", autofit=True)
    return path
