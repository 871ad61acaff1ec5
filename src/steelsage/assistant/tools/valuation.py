"""The arithmetic every data tool shares, as SEMANTICS.md defines it.

``value_at``, the base of a change, rounding per kind of number and the :class:`Source` of
each series live here once, so lookup, change, compare, rank, spread and stats can never
disagree about the same number. All reads go through :meth:`ToolContext.observations`, so
entitlements (history depth, publication delay) hold for every helper.

Rounding (what ``Value.decimals`` says and ``Value.value`` is rounded to, half away from
zero): levels, highs, lows and changes keep the series' natural precision (0 for CNY prices,
2 at most — US$ ore at 98.95 keeps its cents); averages, medians and standard deviations get
one decimal (two when the series itself has two); percentages and ratios two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from steelsage.assistant.answer import Source, ValueKind
from steelsage.assistant.tools.base import ToolContext
from steelsage.store import SeriesInfo

LOOKBACK_DAYS = 400
"""How far before a date the first read reaches: a year of monthly data and some slack.
Series with nothing in that window are read again without a lower bound."""

MAX_DECIMALS = 2
PCT_DECIMALS = 2
RATIO_DECIMALS = 2


# ------------------------------------------------------------------ observations
@dataclass(frozen=True, slots=True)
class Obs:
    """One current published value of a series, as a tool uses it."""

    series_code: str
    date: date
    value: float
    low: float | None = None
    high: float | None = None
    change: float | None = None
    version: int | None = None
    published_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Obs:
        return cls(
            series_code=row.get("series_code", ""),
            date=row["date"],
            value=row["value"],
            low=row.get("low"),
            high=row.get("high"),
            change=row.get("change"),
            version=row.get("version"),
            published_at=row.get("published_at"),
        )


def split_by_series(frame: pl.DataFrame, codes: Iterable[str]) -> dict[str, pl.DataFrame]:
    """Per-series frames sorted by date; every code gets one (possibly empty) frame."""
    frame = frame.filter(pl.col("value").is_not_null())
    out = {code: frame.clear() for code in codes}
    for (code,), part in frame.partition_by("series_code", as_dict=True).items():
        if code in out:
            out[code] = part.sort("date")
    return out


def rows(frame: pl.DataFrame) -> list[Obs]:
    return [Obs.from_row(r) for r in frame.iter_rows(named=True)]


def read_span(
    ctx: ToolContext, codes: Sequence[str], start: date, end: date
) -> dict[str, pl.DataFrame]:
    """Observations of ``codes`` around [start, end]: enough to find the value at ``end``
    and the last value strictly before ``start``.

    Reads [start - LOOKBACK_DAYS, end] first; a series with nothing before ``start`` there is
    read again without a lower bound; one with nothing up to ``end`` gets its first value
    after ``end`` (value_at's fallback). Entitlement windows apply to every read.
    """
    codes = list(dict.fromkeys(codes))
    for code in codes:  # unknown / not entitled: fail before any read
        ctx.info(code)
    lower = _minus_days(start, LOOKBACK_DAYS)
    frames = split_by_series(ctx.observations(codes, lower, end), codes)
    short = [c for c in codes if frames[c].filter(pl.col("date") < start).is_empty()]
    if short:
        frames.update(split_by_series(ctx.observations(short, None, end), short))
    empty = [c for c in codes if frames[c].is_empty()]
    if empty:
        after = split_by_series(ctx.observations(empty, end + timedelta(days=1), None), empty)
        frames.update({c: f.head(1) for c, f in after.items()})
    return frames


def _minus_days(d: date, days: int) -> date:
    try:
        return d - timedelta(days=days)
    except OverflowError:
        return date.min


def value_at(frame: pl.DataFrame, d: date) -> Obs | None:
    """The value with the greatest date <= ``d``; if none, the first value after ``d``."""
    if frame.is_empty():
        return None
    before = frame.filter(pl.col("date") <= d)
    if not before.is_empty():
        return Obs.from_row(before.row(-1, named=True))
    return Obs.from_row(frame.row(0, named=True))


def previous(frame: pl.DataFrame, obs: Obs) -> Obs | None:
    """The observation just before ``obs`` in ``frame`` (None at the start)."""
    before = frame.filter(pl.col("date") < obs.date)
    return None if before.is_empty() else Obs.from_row(before.row(-1, named=True))


def base_before(frame: pl.DataFrame, start: date, end: date) -> Obs | None:
    """The base of a change over [start, end]: the last value strictly before ``start``;
    if none, the first value inside the period; None when neither exists."""
    before = frame.filter(pl.col("date") < start)
    if not before.is_empty():
        return Obs.from_row(before.row(-1, named=True))
    inside = frame.filter(pl.col("date").is_between(start, end))
    return None if inside.is_empty() else Obs.from_row(inside.row(0, named=True))


def in_period(frame: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return frame.filter(pl.col("date").is_between(start, end))


# ------------------------------------------------------------------ rounding
def round_half_up(x: float, decimals: int) -> float:
    """Round half away from zero on the decimal text of ``x`` (3652.5 → 3653, not 3652)."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP))


def natural_decimals(values: Iterable[float | None], cap: int = MAX_DECIMALS) -> int:
    """The fewest decimals (<= ``cap``) that show every value exactly."""
    best = 0
    for v in values:
        if v is None:
            continue
        for d in range(best, cap + 1):
            if abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)):
                best = d
                break
        else:
            return cap
    return best


def mean_decimals(natural: int) -> int:
    """Averages, medians, stdevs: one decimal, or two when the series has two."""
    return min(MAX_DECIMALS, max(1, natural))


def pct(change: float, base: float) -> float | None:
    """Percent change against ``base``; None when the base is zero."""
    return None if base == 0 else change / base * 100


# ------------------------------------------------------------------ kinds, units, sources
def level_kind(ctx: ToolContext, info: SeriesInfo) -> ValueKind:
    """ "price" for assessments and external prices, "value" for indicators and indices."""
    if info.kind == "assessment":
        return "price"
    if info.kind == "external":
        unit = ctx.catalog.units.get(info.unit)
        if unit is not None:
            return "price" if unit.kind == "price" else "value"
        return "price" if "/" in info.unit else "value"
    return "value"


def unit_label(ctx: ToolContext, unit: str | None, lang: str = "zh") -> str | None:
    """A unit code as people read it ('CNY_T_VAT' → '元/吨（含税）'); unknown codes as is."""
    if unit is None:
        return None
    known = ctx.catalog.units.get(unit)
    if known is None:
        return unit
    return known.name_zh if lang == "zh" else known.name_en


def common_unit(infos: Iterable[SeriesInfo]) -> str | None:
    units = {i.unit for i in infos}
    return units.pop() if len(units) == 1 else None


def make_source(info: SeriesInfo, used: Sequence[Obs]) -> Source:
    """The citation of ``info`` over the observations actually used."""
    return source_for(
        info,
        dates=[o.date for o in used],
        versions=[o.version for o in used if o.version is not None],
        published=[o.published_at for o in used if o.published_at is not None],
    )


def source_for(
    info: SeriesInfo,
    *,
    dates: Sequence[date],
    versions: Sequence[int],
    published: Sequence[datetime] = (),
) -> Source:
    """The citation of ``info`` over these dates, publication versions and times."""
    external = info.kind == "external"
    return Source(
        series_code=info.code,
        name=info.name_zh,
        unit=info.unit,
        start=min(dates) if dates else None,
        end=max(dates) if dates else None,
        method=info.method,
        version=max(versions) if versions else None,
        published_at=max(published) if published else None,
        source=info.source if external else None,
        licence=info.licence if external else None,
    )


class SourceBook:
    """Collects the observations each series contributed; one Source per series, in the
    order the series were first used."""

    def __init__(self) -> None:
        self._infos: dict[str, SeriesInfo] = {}
        self._used: dict[str, dict[date, Obs]] = {}

    def use(self, info: SeriesInfo, used: Iterable[Obs | None]) -> None:
        self._infos.setdefault(info.code, info)
        bucket = self._used.setdefault(info.code, {})
        for obs in used:
            if obs is not None:
                bucket[obs.date] = obs

    def use_frame(self, info: SeriesInfo, frame: pl.DataFrame) -> None:
        self.use(info, rows(frame))

    def sources(self) -> list[Source]:
        return [
            make_source(info, list(self._used[code].values()))
            for code, info in self._infos.items()
            if self._used[code]
        ]


# ------------------------------------------------------------------ notes
def nearest_note(code: str, requested: date, used: date) -> dict[str, Any]:
    return {
        "code": "nearest_date",
        "series": code,
        "requested": requested.isoformat(),
        "used": used.isoformat(),
    }


def no_data_note(code: str, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {"code": "no_data", "series": code}
    if start is not None:
        note["start"] = start.isoformat()
    if end is not None:
        note["end"] = end.isoformat()
    return note


def points(frame: pl.DataFrame, column: str = "value") -> list[tuple[date, float]]:
    """(date, value) pairs for a chart line."""
    return list(zip(frame["date"].to_list(), frame[column].to_list(), strict=True))
