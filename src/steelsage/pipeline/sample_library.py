"""Stage 2, sample library: validate the registry of price sources.

Input: one row per source with ``code, name, type, region_code, credibility_weight, active,
coverage`` (coverage: list of series codes). A source is rejected, with the first reason that
applies, when its code or name is empty (``missing_field``), its code repeats an earlier row
(``duplicate_source``), its type is not one of :data:`SOURCE_TYPES` (``bad_source_type``),
its weight is outside (0, 3] (``bad_source_weight``), its region is not in the catalog
(``unknown_source_region``; an empty region is allowed for external providers) or it covers
a series the catalog does not define (``unknown_series``). ``kept`` holds the clean sources.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from steelsage.pipeline import reasons
from steelsage.pipeline.base import RunContext, StageResult

SOURCE_TYPES = ("mill", "trader", "end_user", "port_agent", "broker", "external")
MAX_WEIGHT = 3.0
SOURCE_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.Utf8(),
    "name": pl.Utf8(),
    "type": pl.Utf8(),
    "region_code": pl.Utf8(),
    "credibility_weight": pl.Float64(),
    "active": pl.Boolean(),
    "coverage": pl.List(pl.Utf8()),
}
_TRUE = {"true", "1", "yes", "y", "是", "t", "active", "启用"}
_FALSE = {"false", "0", "no", "n", "否", "f", "inactive", "停用"}


class SampleLibraryStage:
    name = "sample_library"

    def run(self, batch: pl.DataFrame, ctx: RunContext) -> StageResult:
        frame = _conform(batch).with_row_index("_idx")
        regions = list(ctx.catalog.regions)
        series = list(ctx.catalog.assessments)
        unknown_cov = (
            frame.select("_idx", "coverage")
            .explode("coverage")
            .filter(pl.col("coverage").is_not_null() & ~pl.col("coverage").is_in(series))
            .group_by("_idx", maintain_order=True)
            .agg(pl.col("coverage").str.join(", ").alias("_bad_series"))
        )
        frame = frame.join(unknown_cov, on="_idx", how="left", maintain_order="left")
        first_idx = pl.col("_idx").min().over("code")
        weight = pl.col("credibility_weight")
        checks: list[tuple[pl.Expr, str, str, pl.Expr]] = [
            (_blank("code"), "missing_field", "code", pl.col("code")),
            (_blank("name"), "missing_field", "name", pl.col("name")),
            (pl.col("_idx") != first_idx, "duplicate_source", "code", pl.col("code")),
            (
                pl.col("type").is_null() | ~pl.col("type").is_in(SOURCE_TYPES),
                "bad_source_type",
                "type",
                pl.col("type"),
            ),
            (
                weight.is_null() | weight.is_nan() | (weight <= 0) | (weight > MAX_WEIGHT),
                "bad_source_weight",
                "credibility_weight",
                weight,
            ),
            (
                pl.col("region_code").is_not_null() & ~pl.col("region_code").is_in(regions),
                "unknown_source_region",
                "region_code",
                pl.col("region_code"),
            ),
            (
                pl.col("_bad_series").is_not_null(),
                "unknown_series",
                "coverage",
                pl.col("_bad_series"),
            ),
        ]
        reason = pl.lit(None, dtype=pl.Utf8)
        fld = pl.lit(None, dtype=pl.Utf8)
        msg = pl.lit(None, dtype=pl.Utf8)
        for mask, code, field, value in reversed(checks):
            text = reasons.message_expr(
                code,
                field=field,
                value=value,
                row=pl.col("_idx") + 1,
                detail_zh=pl.format("来源 {}", pl.col("code").fill_null("?")),
                detail_en=pl.format("source {}", pl.col("code").fill_null("?")),
            )
            hit = mask.fill_null(False)
            reason = pl.when(hit).then(pl.lit(code)).otherwise(reason)
            fld = pl.when(hit).then(pl.lit(field)).otherwise(fld)
            msg = pl.when(hit).then(text).otherwise(msg)
        judged = frame.with_columns(
            reason.alias("reason"), fld.alias("field"), msg.alias("message")
        )
        rejected = judged.filter(pl.col("reason").is_not_null()).drop("_idx", "_bad_series")
        kept = judged.filter(pl.col("reason").is_null()).select(list(SOURCE_SCHEMA))
        counters: dict[str, int | float] = {
            "sources": frame.height,
            "kept": kept.height,
            "active": int(kept["active"].sum()),
            **{f"type_{t}": int((kept["type"] == t).sum()) for t in SOURCE_TYPES},
            **{f"rejected_{code}": n for code, n in rejected.group_by("reason").len().iter_rows()},
        }
        return StageResult(kept=kept, rejected=rejected, counters=counters)


def _blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")


def _conform(batch: pl.DataFrame) -> pl.DataFrame:
    """Registry columns with their types; missing optional ones filled with defaults."""
    out = batch
    if "coverage" not in out.columns:
        out = out.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("coverage"))
    if "active" not in out.columns:
        out = out.with_columns(pl.lit(True).alias("active"))
    for col, dtype in SOURCE_SCHEMA.items():
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dtype).alias(col))
    out = out.with_columns(
        pl.col("code").cast(pl.Utf8).str.strip_chars(),
        pl.col("type").cast(pl.Utf8).str.strip_chars().str.to_lowercase(),
        pl.col("region_code").cast(pl.Utf8).str.strip_chars().replace("", None),
        pl.col("credibility_weight").cast(pl.Float64, strict=False),
        pl.col("active").cast(pl.Boolean).fill_null(True),
        pl.col("coverage").cast(pl.List(pl.Utf8)).fill_null([]),
    )
    return out


def load_sources_file(path: Path) -> pl.DataFrame:
    """Read a sources registry from CSV or YAML into the stage's input frame.

    Columns / keys: ``code`` (required, unique), ``name`` (required), ``type`` (mill | trader
    | end_user | port_agent | broker | external), ``region_code`` (catalog region, may be
    empty), ``credibility_weight`` (default 1.0, in (0, 3]), ``active`` (true/false, 是/否,
    1/0; default true), ``coverage`` (series codes; in CSV separated by ``;``, ``|``, ``,``
    inside quotes or spaces; in YAML a list). Chinese headers 代码/名称/类型/地区/权重/
    启用/覆盖 are accepted. YAML: a list of mappings or ``{sources: [...]}``. Values are
    not validated here; :class:`SampleLibraryStage` does that and says what is wrong.
    """
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        records = _yaml_records(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        records = _csv_records(path)
    else:
        raise ValueError(
            f"{path.name}：来源文件应为 CSV 或 YAML / {path.name}: sources file must be CSV or YAML"
        )
    rows = [_source_row(path.name, i, r) for i, r in enumerate(records, start=1)]
    return pl.DataFrame(rows, schema=SOURCE_SCHEMA, orient="row") if rows else _empty()


_KEYS = {
    "code": "code",
    "代码": "code",
    "来源代码": "code",
    "name": "name",
    "名称": "name",
    "type": "type",
    "类型": "type",
    "region_code": "region_code",
    "region": "region_code",
    "地区": "region_code",
    "credibility_weight": "credibility_weight",
    "weight": "credibility_weight",
    "权重": "credibility_weight",
    "可信度权重": "credibility_weight",
    "active": "active",
    "启用": "active",
    "coverage": "coverage",
    "覆盖": "coverage",
    "覆盖序列": "coverage",
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SOURCE_SCHEMA)


def _yaml_records(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: YAML 格式错误 / invalid YAML: {exc}") from None
    if isinstance(doc, dict) and "sources" in doc:
        doc = doc["sources"]
    if doc is None:
        return []
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise ValueError(
            f"{path.name}：应为来源列表或 {{sources: [...]}}"
            f" / {path.name}: expected a list of sources or {{sources: [...]}}"
        )
    return doc


def _csv_records(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return list(csv.DictReader(io.StringIO(text)))


def _source_row(file: str, line: int, record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in record.items():
        canon = _KEYS.get(str(key).strip().lower()) if key is not None else None
        if canon and canon not in row:
            row[canon] = value
    if "code" not in row:
        raise ValueError(
            f"{file}：第{line}条缺少 code（代码） / {file}: entry {line} has no 'code' column"
        )
    return {
        "code": _text(row.get("code")),
        "name": _text(row.get("name")),
        "type": _text(row.get("type")),
        "region_code": _text(row.get("region_code")),
        "credibility_weight": _weight(row.get("credibility_weight")),
        "active": _flag(row.get("active")),
        "coverage": _coverage(row.get("coverage")),
    }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _weight(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1.0  # a new source starts at 1.0 (methodology, annex B)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # rejected by the stage as bad_source_weight


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if not text or text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"active 取值无法识别 / cannot read active={value!r} (use true/false)")


def _coverage(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in json.loads(text)]
        except json.JSONDecodeError:
            pass
    for sep in (";", "|", ","):
        text = text.replace(sep, " ")
    return [part for part in text.split() if part]
