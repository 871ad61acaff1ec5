"""ECharts option dicts for tool answers: plain JSON, no JavaScript functions.

The web UI hands the dict to ``echarts.setOption`` as it is; the CLI prints it with
``--json``. Everything in it is JSON-serialisable (dates as ISO strings) so an ``Answer``
survives ``json.dumps`` and the OpenAI-compatible API unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any


def _title(title: str, unit: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"text": title, "left": "center"}
    if unit:
        out["subtext"] = unit
    return out


def _number(value: float | None) -> float | None:
    """A float JSON accepts: NaN and infinities become ``None`` (a gap in the line)."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)


def line_chart(
    series: Mapping[str, Sequence[tuple[date, float | None]]],
    title: str,
    unit: str | None = None,
) -> dict[str, Any]:
    """A time-axis line chart: one line per label, points as ``[ISO date, value]``.

    A time axis (not a category axis) lets series with different dates, e.g. a daily price
    and a weekly inventory, share one chart without inventing values on missing days.
    """
    lines = [
        {
            "name": label,
            "type": "line",
            "showSymbol": False,
            "connectNulls": False,
            "data": [[d.isoformat(), _number(v)] for d, v in points],
        }
        for label, points in series.items()
    ]
    return {
        "title": _title(title, unit),
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(series), "top": "bottom"},
        "grid": {"left": 60, "right": 30, "top": 60, "bottom": 60},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "value", "name": unit or "", "scale": True},
        "series": lines,
    }


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    unit: str | None = None,
) -> dict[str, Any]:
    """A category bar chart: one bar per label, in the order given (e.g. rank order)."""
    if len(labels) != len(values):
        raise ValueError(f"bar_chart needs one value per label ({len(labels)} != {len(values)})")
    return {
        "title": _title(title, unit),
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [title], "top": "bottom"},
        "grid": {"left": 60, "right": 30, "top": 60, "bottom": 60},
        "xAxis": {"type": "category", "data": list(labels)},
        "yAxis": {"type": "value", "name": unit or "", "scale": True},
        "series": [{"name": title, "type": "bar", "data": [_number(v) for v in values]}],
    }
