"""``sql_query``: the long-tail tool a language model may call with its own SELECT.

Registered only when a model is configured. The model writes SQL over the views described
by :func:`steelsage.assistant.sql.semantic.describe`; the guard, the entitlement rewrite and
the read-only connection do the rest. Every numeric cell comes back as a :class:`Value`, so
the verifier can trace the model's numbers to this result like any other tool's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from steelsage.assistant.answer import Source, Value, ValueKind
from steelsage.assistant.sql.errors import SqlQueryError
from steelsage.assistant.sql.guard import DEFAULT_LIMIT, MAX_SQL_CHARS
from steelsage.assistant.sql.run import SqlResult, run_sql
from steelsage.assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput
from steelsage.assistant.tools.valuation import source_for
from steelsage.store import SeriesInfo

MAX_VALUES = 200
MAX_DECIMALS = 4
# Columns that carry the series' unit; other numbers (counts, versions) have none.
_MEASURES: dict[str, ValueKind] = {
    "value": "value",
    "low": "low",
    "high": "high",
    "change": "change",
}
_NOT_NUMBERS = frozenset({"fallback"})  # 0/1 on SQLite, a boolean really


class SqlQueryInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(
        ...,
        min_length=1,
        max_length=MAX_SQL_CHARS,
        description="One read-only SELECT over the views v_series and v_observations, "
        "without comments. 只读 SELECT，只能查询 v_series 和 v_observations。",
    )


def shown(value: float | int) -> tuple[float, int]:
    """``value`` as shown in the data (at most 4 decimals) and its number of decimals."""
    if isinstance(value, int):
        return float(value), 0
    rounded = round(value, MAX_DECIMALS)
    exponent = Decimal(repr(rounded)).normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return rounded, min(decimals, MAX_DECIMALS)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _source(info: SeriesInfo, rows: list[dict[str, Any]]) -> Source:
    return source_for(
        info,
        dates=[d for r in rows if (d := _as_date(r.get("date"))) is not None],
        versions=[
            v for r in rows if isinstance(v := r.get("version"), int) and not isinstance(v, bool)
        ],
    )


def to_output(result: SqlResult, series: Mapping[str, SeriesInfo]) -> ToolOutput:
    """The tool output for a query result: rows as data, numbers as values, sources."""
    records: list[dict[str, Any]] = []
    display_rows: list[list[Any]] = []
    for row in result.rows:
        cells = [shown(v)[0] if _is_number(v) and isinstance(v, float) else v for v in row]
        display_rows.append(cells)
        records.append(dict(zip(result.columns, cells, strict=False)))

    values: list[Value] = []
    capped = False
    for i, record in enumerate(records):
        code = record.get("series_code")
        info = series.get(code) if isinstance(code, str) else None
        for column, cell in record.items():
            if column in _NOT_NUMBERS or not _is_number(cell):
                continue
            if len(values) >= MAX_VALUES:
                capped = True
                break
            number, decimals = shown(cell)
            kind = _MEASURES.get(column)
            values.append(
                Value(
                    label=f"{column}[{i}]",
                    value=number,
                    decimals=decimals,
                    kind=kind or "value",
                    unit=info.unit if info is not None and kind else None,
                    series_code=info.code if info is not None else None,
                    date=_as_date(record.get("date")),
                )
            )

    sources: list[Source] = []
    if "series_code" in result.columns:
        by_code: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            code = record.get("series_code")
            if isinstance(code, str):
                by_code.setdefault(code, []).append(record)
        sources = [_source(series[c], rows) for c, rows in by_code.items() if c in series]
    units = {s.unit for s in sources}

    notes: list[dict[str, Any]] = []
    if result.truncated:
        notes.append({"code": "truncated", "limit": result.limit})
    if capped:
        notes.append({"code": "values_capped", "max": MAX_VALUES})
    return ToolOutput(
        values=values,
        unit=units.pop() if len(units) == 1 else None,
        sources=sources,
        notes=notes,
        data={
            "columns": result.columns,
            "rows": display_rows,
            "row_count": len(display_rows),
            "truncated": result.truncated,
            "executed_sql": result.executed_sql,
        },
    )


class SqlQueryTool(Tool):
    """Run one model-written SELECT over the assistant's views, within the caller's rights."""

    name: ClassVar[str] = "sql_query"
    description_zh: ClassVar[str] = (
        "对只读视图 v_series（序列目录）和 v_observations（已发布数值）执行一条 SELECT，"
        "用于其他工具回答不了的问题。最多返回 200 行，只含有权限的数据。"
    )
    description_en: ClassVar[str] = (
        "Run one read-only SELECT over the views v_series (series catalog) and "
        "v_observations (published values) for questions the other tools cannot answer. "
        "At most 200 rows, only data the caller may see."
    )
    Input: ClassVar[type[BaseModel]] = SqlQueryInput

    def __init__(self, *, limit: int = DEFAULT_LIMIT, timeout_s: float = 2.0) -> None:
        self.limit = limit
        self.timeout_s = timeout_s

    def run(self, args: SqlQueryInput, ctx: ToolContext) -> ToolOutput:
        try:
            result = run_sql(
                ctx.engine,
                args.sql,
                ctx.principal,
                ctx.market_today(),
                limit=self.limit,
                timeout_s=self.timeout_s,
                series=ctx.series.values(),
            )
        except SqlQueryError as exc:
            raise ToolError(
                exc.code,
                f"{exc.message_zh}\n{exc.message_en}",
                message_zh=exc.message_zh,
                message_en=exc.message_en,
                sql=args.sql,
            ) from exc
        return to_output(result, ctx.series)
