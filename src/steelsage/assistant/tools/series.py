"""The series tools: lookup, change, compare, rank, spread/ratio and stats.

Each is a typed function over the store, computed exactly as SEMANTICS.md says (the
shared arithmetic lives in :mod:`valuation`). They return numbers, dates, notes and a chart
spec — never prose. Conventions the composer relies on:

- ``Value.label`` is the series code for a level (``"rebar.shanghai"``), and
  ``"<code>:<role>"`` for the other numbers of a series (``"rebar.shanghai:change"``,
  ``":low"``, ``":high"``, ``":end"``, ``":base"``, ``":pct_change"``, ``":average"`` …).
- A difference is labelled with what is subtracted: ``"hrc.shanghai-rebar.shanghai"`` is
  hrc minus rebar; ``"a/b"`` is a ratio. Comparisons put the *first* series (or date)
  against each other one: first minus other, percent of the other ("X比Y高多少": X first;
  "比去年同期": dates [today, a year ago] gives today minus then, percent of then).
- One series at several dates: levels are ``"<code>@<requested ISO date>"``.
- ``Value.date`` is the date actually used; ``Value.start`` the start of a span (the base
  date of a change, the first date of an average).
- A change over a period (also a spread's) is measured from the last value strictly before
  the period; stats' ``change`` is last minus first inside the period (SEMANTICS.md).
- Rank uses competition ranking: ties share a rank and all rows ranked <= n are returned.
- Notes (dates as ISO strings): ``nearest_date`` (series, requested, used), ``no_data``
  (series[, start, end]), ``base_in_period`` (nothing before the period: the change is
  measured from the first value inside it), ``no_previous`` (no earlier value for a day
  change), ``left_out`` (rank: count, series, date), ``units_differ`` (compare),
  ``zero_divisor`` (ratio).
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Annotated, Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from steelsage.assistant.answer import Value
from steelsage.assistant.chart import bar_chart, line_chart
from steelsage.assistant.principal import EntitlementError
from steelsage.assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput
from steelsage.assistant.tools.valuation import (
    PCT_DECIMALS,
    RATIO_DECIMALS,
    Obs,
    SourceBook,
    base_before,
    common_unit,
    in_period,
    level_kind,
    mean_decimals,
    natural_decimals,
    nearest_note,
    no_data_note,
    pct,
    points,
    previous,
    read_span,
    round_half_up,
    rows,
    unit_label,
    value_at,
)
from steelsage.store import SeriesInfo

SeriesCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        description="Series code, e.g. 'rebar.shanghai', 'inventory_social.rebar' "
        "(find codes with catalog_search) / "
        "序列代码，如 'rebar.shanghai'（可用 catalog_search 查找）",
    ),
]
_DATE_HELP = "ISO date (YYYY-MM-DD); omitted = the latest market day / 日期，缺省为最新交易日"
_START_HELP = "First day of the period, ISO date, inclusive / 区间起始日（含）"
_END_HELP = (
    "Last day of the period, ISO date, inclusive; omitted = the latest market day / "
    "区间结束日（含），缺省为最新交易日"
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_period(start: dt.date | None, end: dt.date | None, on: dt.date | None) -> None:
    if on is not None and (start is not None or end is not None):
        raise ValueError("give either `date` (one day) or `start`/`end` (a period), not both")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start {start} is after end {end}; swap them")


def _period(ctx: ToolContext, start: dt.date, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or ctx.market_today()
    if start > end:
        raise ToolError(
            "bad_arguments",
            f"start {start} is after the end of the period {end}; give an earlier start",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    return start, end


def _infos(ctx: ToolContext, codes: list[str]) -> list[SeriesInfo]:
    """Metadata of each distinct code, in order (unknown / not entitled raise here)."""
    return [ctx.info(code) for code in dict.fromkeys(codes)]


_SERIES_UNIT = "<series unit>"


def _decimals(frame: pl.DataFrame) -> int:
    return natural_decimals(frame["value"].to_list())


def _value(
    label: str,
    x: float,
    kind: Any,
    decimals: int,
    info: SeriesInfo | None = None,
    *,
    unit: str | None = _SERIES_UNIT,
    on: dt.date | None = None,
    start: dt.date | None = None,
) -> Value:
    """A rounded Value; its unit is the series' unit unless ``unit`` says otherwise."""
    if unit == _SERIES_UNIT:
        unit = info.unit if info is not None else None
    return Value(
        label=label,
        value=round_half_up(x, decimals),
        unit=unit,
        kind=kind,
        series_code=info.code if info is not None else None,
        date=on,
        start=start,
        decimals=decimals,
    )


def _pct_value(
    label: str, change: float, base: float, info: SeriesInfo | None, **kw: Any
) -> list[Value]:
    p = pct(change, base)
    if p is None:
        return []
    return [_value(label, p, "pct_change", PCT_DECIMALS, info, unit="PCT", **kw)]


def _levels_on(
    ctx: ToolContext,
    infos: list[SeriesInfo],
    frames: dict[str, pl.DataFrame],
    d: dt.date,
    out: ToolOutput,
    book: SourceBook,
) -> list[tuple[SeriesInfo, Obs, int]]:
    """Each series' value on ``d`` (value_at) added to ``out`` with its notes and sources;
    returns (info, observation, natural decimals) for the series that have one."""
    found: list[tuple[SeriesInfo, Obs, int]] = []
    for info in infos:
        obs = value_at(frames[info.code], d)
        if obs is None:
            out.notes.append(no_data_note(info.code))
            continue
        nat = _decimals(frames[info.code])
        out.values.append(
            _value(info.code, obs.value, level_kind(ctx, info), nat, info, on=obs.date)
        )
        if obs.date != d:
            out.notes.append(nearest_note(info.code, d, obs.date))
        book.use(info, [obs])
        found.append((info, obs, nat))
    return found


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d is not None else None


# ====================================================================== lookup
class LookupInput(_Input):
    series: list[SeriesCode] = Field(
        min_length=1, max_length=20, description="Series codes to look up / 要查询的序列代码"
    )
    date: dt.date | None = Field(default=None, description=_DATE_HELP)


class SeriesLookup(Tool):
    name = "series_lookup"
    description_en = (
        "Value of one or more series on a date (the latest value on or before it); "
        "assessments also give the day's low and high."
    )
    description_zh = (
        "查询一个或多个序列在某日的数值（该日或之前最近一期）；价格评估同时给出当日低价和高价。"
    )
    Input: ClassVar[type[LookupInput]] = LookupInput

    def run(self, args: LookupInput, ctx: ToolContext) -> ToolOutput:
        d = args.date or ctx.market_today()
        infos = _infos(ctx, args.series)
        frames = read_span(ctx, [i.code for i in infos], d, d)
        out = ToolOutput(unit=common_unit(infos))
        book = SourceBook()
        rows_out: list[dict[str, Any]] = []
        for info in infos:
            frame = frames[info.code]
            obs = value_at(frame, d)
            if obs is None:
                out.notes.append(no_data_note(info.code))
                continue
            nat = _decimals(frame)
            kind = level_kind(ctx, info)
            out.values.append(_value(info.code, obs.value, kind, nat, info, on=obs.date))
            if info.kind == "assessment":
                for role, x in (("low", obs.low), ("high", obs.high)):
                    if x is not None:
                        out.values.append(
                            _value(f"{info.code}:{role}", x, role, nat, info, on=obs.date)
                        )
            if obs.date != d:
                out.notes.append(nearest_note(info.code, d, obs.date))
            book.use(info, [obs])
            rows_out.append(
                {
                    "series_code": info.code,
                    "name": info.name_zh,
                    "date": obs.date.isoformat(),
                    "value": obs.value,
                    "low": obs.low,
                    "high": obs.high,
                    "change": obs.change,
                }
            )
        out.sources = book.sources()
        out.data = {"requested": d.isoformat(), "rows": rows_out}
        return out


# ====================================================================== change
class ChangeInput(_Input):
    series: list[SeriesCode] = Field(
        min_length=1, max_length=20, description="Series codes / 序列代码"
    )
    start: dt.date | None = Field(
        default=None,
        description="Period mode: " + _START_HELP + ". The change is measured from the last "
        "value before it / 区间模式：涨跌以区间开始前最后一期为基期",
    )
    end: dt.date | None = Field(default=None, description=_END_HELP)
    date: dt.date | None = Field(
        default=None,
        description="Day mode (no start): the published day-on-day change of this date; "
        "omitted = the latest market day / 单日模式：该日公布的日涨跌",
    )

    @model_validator(mode="after")
    def _one_mode(self) -> ChangeInput:
        _check_period(self.start, self.end, self.date)
        return self


class SeriesChange(Tool):
    name = "series_change"
    description_en = (
        "Change of series over a period (value at the end vs the last value before the "
        "start) or, with only a date, the published day-on-day change of that date."
    )
    description_zh = (
        "序列在区间内的涨跌（区间末值对比区间开始前最后一期），或只给日期时该日公布的日涨跌。"
    )
    Input: ClassVar[type[ChangeInput]] = ChangeInput

    def run(self, args: ChangeInput, ctx: ToolContext) -> ToolOutput:
        infos = _infos(ctx, args.series)
        if args.start is not None:
            return self._period(ctx, infos, *_period(ctx, args.start, args.end))
        return self._day(ctx, infos, args.date or args.end or ctx.market_today())

    def _period(
        self, ctx: ToolContext, infos: list[SeriesInfo], start: dt.date, end: dt.date
    ) -> ToolOutput:
        frames = read_span(ctx, [i.code for i in infos], start, end)
        out = ToolOutput(unit=common_unit(infos))
        book = SourceBook()
        lines: dict[str, list[tuple[dt.date, float]]] = {}
        rows_out: list[dict[str, Any]] = []
        for info in infos:
            code, frame = info.code, frames[info.code]
            last = value_at(frame, end)
            base = base_before(frame, start, end)
            if last is None or base is None or last.date < start or last.date > end:
                out.notes.append(no_data_note(code, start, end))
                continue
            nat, kind = _decimals(frame), level_kind(ctx, info)
            change = last.value - base.value
            out.values += [
                _value(f"{code}:end", last.value, kind, nat, info, on=last.date),
                _value(f"{code}:base", base.value, kind, nat, info, on=base.date),
                _value(
                    f"{code}:change", change, "change", nat, info, on=last.date, start=base.date
                ),
                *_pct_value(
                    f"{code}:pct_change", change, base.value, info, on=last.date, start=base.date
                ),
            ]
            if last.date != end:
                out.notes.append(nearest_note(code, end, last.date))
            if base.date >= start:
                out.notes.append(
                    {"code": "base_in_period", "series": code, "used": base.date.isoformat()}
                )
            book.use(info, [base, last])
            lines[info.name_zh] = points(
                frame.filter(pl.col("date").is_between(base.date, last.date))
            )
            rows_out.append(
                {
                    "series_code": code,
                    "base_date": base.date.isoformat(),
                    "base": base.value,
                    "end_date": last.date.isoformat(),
                    "end": last.value,
                    "change": change,
                    "pct_change": pct(change, base.value),
                }
            )
        out.sources = book.sources()
        out.data = {"start": start.isoformat(), "end": end.isoformat(), "rows": rows_out}
        if lines:
            title = "、".join(lines) + f" {start.isoformat()}～{end.isoformat()}"
            out.chart = line_chart(lines, title, unit_label(ctx, out.unit))
        return out

    def _day(self, ctx: ToolContext, infos: list[SeriesInfo], d: dt.date) -> ToolOutput:
        frames = read_span(ctx, [i.code for i in infos], d, d)
        out = ToolOutput(unit=common_unit(infos))
        book = SourceBook()
        rows_out: list[dict[str, Any]] = []
        for info in infos:
            code, frame = info.code, frames[info.code]
            obs = value_at(frame, d)
            if obs is None:
                out.notes.append(no_data_note(code))
                continue
            if obs.date != d:
                out.notes.append(nearest_note(code, d, obs.date))
            nat, kind = _decimals(frame), level_kind(ctx, info)
            out.values.append(_value(code, obs.value, kind, nat, info, on=obs.date))
            prev = previous(frame, obs)
            used: list[Obs | None] = [obs]
            if obs.change is not None:  # the published day-on-day change
                change, base_value = obs.change, obs.value - obs.change
                nat = max(nat, natural_decimals([change]))
            elif prev is not None:  # indicators publish no change column
                change, base_value = obs.value - prev.value, prev.value
                used.append(prev)
            else:
                out.notes.append({"code": "no_previous", "series": code, "used": _iso(obs.date)})
                book.use(info, used)
                continue
            since = prev.date if prev is not None else None
            out.values.append(
                _value(f"{code}:change", change, "change", nat, info, on=obs.date, start=since)
            )
            out.values += _pct_value(
                f"{code}:pct_change", change, base_value, info, on=obs.date, start=since
            )
            book.use(info, used)
            rows_out.append(
                {
                    "series_code": code,
                    "date": obs.date.isoformat(),
                    "value": obs.value,
                    "previous_date": _iso(since),
                    "previous": base_value,
                    "change": change,
                    "pct_change": pct(change, base_value),
                }
            )
        out.sources = book.sources()
        out.data = {"requested": d.isoformat(), "rows": rows_out}
        return out


# ====================================================================== compare
class CompareInput(_Input):
    series: list[SeriesCode] = Field(
        min_length=1,
        max_length=20,
        description="Two or more series at one date, or one series with `dates`; the first "
        "is compared with each other one / 多个序列同日比较，或一个序列配合 dates 跨期比较",
    )
    date: dt.date | None = Field(default=None, description=_DATE_HELP)
    dates: list[dt.date] | None = Field(
        default=None,
        min_length=2,
        max_length=20,
        description="Several dates of one series; the first is compared with each other "
        "one (e.g. [today, same day last year]) / 同一序列的多个日期，第一个与其余各个比较",
    )

    @model_validator(mode="after")
    def _one_mode(self) -> CompareInput:
        if self.dates is not None:
            if len(self.series) != 1:
                raise ValueError("with `dates`, give exactly one series")
            if self.date is not None:
                raise ValueError("give either `date` or `dates`, not both")
        elif len(set(self.series)) < 2:
            raise ValueError("give at least two different series, or one series and `dates`")
        return self


class SeriesCompare(Tool):
    name = "series_compare"
    description_en = (
        "Compare several series on one date, or one series on several dates: the first "
        "minus each other one, and that difference in percent of the other."
    )
    description_zh = (
        "比较多个序列在同一日的数值，或同一序列在多个日期的数值："
        "第一个减其余各个，及其相对后者的百分比。"
    )
    Input: ClassVar[type[CompareInput]] = CompareInput

    def run(self, args: CompareInput, ctx: ToolContext) -> ToolOutput:
        infos = _infos(ctx, args.series)
        if args.dates is not None:
            return self._dates(ctx, infos[0], args.dates)
        return self._series(ctx, infos, args.date or ctx.market_today())

    def _series(self, ctx: ToolContext, infos: list[SeriesInfo], d: dt.date) -> ToolOutput:
        frames = read_span(ctx, [i.code for i in infos], d, d)
        out = ToolOutput(unit=common_unit(infos))
        book = SourceBook()
        found = _levels_on(ctx, infos, frames, d, out, book)
        rows_out = [
            {"series_code": i.code, "name": i.name_zh, "date": o.date.isoformat(), "value": o.value}
            for i, o, _ in found
        ]
        if found and found[0][0].code == infos[0].code:
            ref, ref_obs, ref_nat = found[0]
            for (info, obs, nat), row in zip(found[1:], rows_out[1:], strict=True):
                if info.unit != ref.unit:
                    out.notes.append({"code": "units_differ", "series": [info.code, ref.code]})
                    continue
                diff, label = ref_obs.value - obs.value, f"{ref.code}-{info.code}"
                on, since = max(obs.date, ref_obs.date), min(obs.date, ref_obs.date)
                dec = max(nat, ref_nat)
                out.values.append(
                    _value(
                        label,
                        diff,
                        "spread",
                        dec,
                        None,
                        unit=info.unit,
                        on=on,
                        start=since if since != on else None,
                    )
                )
                out.values += _pct_value(f"{label}:pct_change", diff, obs.value, None, on=on)
                row.update(diff=diff, pct=pct(diff, obs.value))
        out.sources = book.sources()
        out.data = {"requested": d.isoformat(), "reference": infos[0].code, "rows": rows_out}
        if found:
            out.chart = bar_chart(
                [i.name_zh for i, _, _ in found],
                [o.value for _, o, _ in found],
                f"{d.isoformat()} 比较",
                unit_label(ctx, out.unit),
            )
        return out

    def _dates(self, ctx: ToolContext, info: SeriesInfo, dates: list[dt.date]) -> ToolOutput:
        code = info.code
        frame = read_span(ctx, [code], min(dates), max(dates))[code]
        out = ToolOutput(unit=info.unit)
        book = SourceBook()
        nat, kind = _decimals(frame), level_kind(ctx, info)
        found: list[tuple[dt.date, Obs]] = []
        for d in dates:
            obs = value_at(frame, d)
            if obs is None:
                out.notes.append(no_data_note(code, d, d))
                continue
            out.values.append(
                _value(f"{code}@{d.isoformat()}", obs.value, kind, nat, info, on=obs.date)
            )
            if obs.date != d:
                out.notes.append(nearest_note(code, d, obs.date))
            book.use(info, [obs])
            found.append((d, obs))
        rows_out = [
            {"requested": d.isoformat(), "date": o.date.isoformat(), "value": o.value}
            for d, o in found
        ]
        if found and found[0][0] == dates[0]:
            d0, ref = found[0]
            for (d, obs), row in zip(found[1:], rows_out[1:], strict=True):
                diff = ref.value - obs.value
                label = f"{code}@{d0.isoformat()}-{code}@{d.isoformat()}"
                out.values.append(
                    _value(label, diff, "change", nat, info, on=ref.date, start=obs.date)
                )
                out.values += _pct_value(
                    f"{label}:pct_change", diff, obs.value, info, on=ref.date, start=obs.date
                )
                row.update(diff=diff, pct=pct(diff, obs.value))
        out.sources = book.sources()
        out.data = {"series_code": code, "reference": dates[0].isoformat(), "rows": rows_out}
        if found:
            out.chart = bar_chart(
                [o.date.isoformat() for _, o in found],
                [o.value for _, o in found],
                info.name_zh,
                unit_label(ctx, info.unit),
            )
        return out


# ====================================================================== rank
class RankInput(_Input):
    product: str = Field(
        min_length=1,
        max_length=60,
        description="Product code or name, e.g. 'rebar', '螺纹' / 品种代码或名称",
    )
    date: dt.date | None = Field(default=None, description=_DATE_HELP)
    order: Literal["asc", "desc"] = Field(
        default="asc",
        description="asc = cheapest first, desc = dearest first / asc 最低在前，desc 最高在前",
    )
    n: int = Field(default=5, ge=1, le=20, description="How many to return / 返回前几名")
    region_kind: Literal["city", "port", "any"] = Field(
        default="city",
        description="Which regions take part (default cities) / 参与排名的地区类型（默认城市）",
    )


class SeriesRank(Tool):
    name = "series_rank"
    description_en = (
        "Rank the regions of one product by its assessed price on one day (only series with "
        "a value that day count)."
    )
    description_zh = "按某日评估价对同一品种的各地区排名（仅统计当日有价格的序列）。"
    Input: ClassVar[type[RankInput]] = RankInput

    def _product(self, ctx: ToolContext, text: str) -> str:
        if text in ctx.catalog.products:
            return text
        code = ctx.catalog.resolve_product(text)
        if code is None:
            raise ToolError(
                "unknown_product",
                f"no product {text!r}; use a product code such as 'rebar' or catalog_search",
                product=text,
            )
        return code

    def _candidates(self, ctx: ToolContext, product: str, region_kind: str) -> list[SeriesInfo]:
        def fits(s: SeriesInfo) -> bool:
            if s.kind != "assessment" or s.product != product:
                return False
            if region_kind == "any":
                return True
            region = ctx.catalog.regions.get(s.region or "")
            return region is not None and region.kind == region_kind

        visible = [s for s in ctx.visible() if fits(s)]
        if not visible:
            hidden = [s for s in ctx.series.values() if fits(s)]
            if hidden:
                raise EntitlementError(hidden[0].code)
        return visible

    def run(self, args: RankInput, ctx: ToolContext) -> ToolOutput:
        product = self._product(ctx, args.product)
        requested = args.date or ctx.market_today()
        candidates = self._candidates(ctx, product, args.region_kind)
        out = ToolOutput(unit=common_unit(candidates))
        if not candidates:
            out.notes.append({"code": "no_data", "product": product})
            return out
        codes = [s.code for s in candidates]
        frame = ctx.observations(codes, requested - dt.timedelta(days=31), requested)
        frame = frame.filter(pl.col("value").is_not_null())
        if frame.is_empty():
            frame = ctx.observations(codes, None, requested).filter(pl.col("value").is_not_null())
        if frame.is_empty():
            out.notes.append({"code": "no_data", "product": product, "end": requested.isoformat()})
            return out
        day = frame["date"].max()
        assert isinstance(day, dt.date)
        today = frame.filter(pl.col("date") == day)
        if day != requested:
            out.notes.append(nearest_note(product, requested, day))
        return self._ranked(ctx, args, candidates, today, day, out)

    def _ranked(
        self,
        ctx: ToolContext,
        args: RankInput,
        candidates: list[SeriesInfo],
        today: pl.DataFrame,
        day: dt.date,
        out: ToolOutput,
    ) -> ToolOutput:
        by_code = {s.code: s for s in candidates}
        obs = {o.series_code: o for o in rows(today)}
        sign = 1 if args.order == "asc" else -1
        ordered = sorted(obs.values(), key=lambda o: (sign * o.value, o.series_code))
        left_out = sorted(set(by_code) - set(obs))
        nat = natural_decimals([o.value for o in ordered])
        book = SourceBook()
        rows_out: list[dict[str, Any]] = []
        rank = 0
        for i, o in enumerate(ordered):
            if i == 0 or o.value != ordered[i - 1].value:
                rank = i + 1  # competition ranking: ties share a rank
            if rank > args.n:
                break
            info = by_code[o.series_code]
            region = ctx.catalog.regions.get(info.region or "")
            rows_out.append(
                {
                    "rank": rank,
                    "series_code": info.code,
                    "region": info.region,
                    "region_name": region.name_zh if region else info.region,
                    "value": o.value,
                }
            )
            out.values.append(_value(info.code, o.value, level_kind(ctx, info), nat, info, on=day))
            book.use(info, [o])
        out.values.append(_value("ranked", len(ordered), "count", 0, unit=None))
        if left_out:
            out.values.append(_value("left_out", len(left_out), "count", 0, unit=None))
            out.notes.append(
                {
                    "code": "left_out",
                    "count": len(left_out),
                    "series": left_out,
                    "date": day.isoformat(),
                }
            )
        out.sources = book.sources()
        out.data = {
            "product": by_code[ordered[0].series_code].product if ordered else None,
            "date": day.isoformat(),
            "order": args.order,
            "n": args.n,
            "ties": len(rows_out) > args.n,
            "ranked": len(ordered),
            "left_out": left_out,
            "rows": rows_out,
        }
        out.chart = bar_chart(
            [r["region_name"] for r in rows_out],
            [r["value"] for r in rows_out],
            f"{day.isoformat()} 排名",
            unit_label(ctx, out.unit),
        )
        return out


# ====================================================================== spread / ratio
class SpreadInput(_Input):
    a: SeriesCode
    b: SeriesCode
    op: Literal["minus", "ratio"] = Field(
        default="minus",
        description="minus = a - b (spread), ratio = a / b / minus 为价差 a-b，ratio 为比值 a/b",
    )
    start: dt.date | None = Field(default=None, description="Period mode: " + _START_HELP)
    end: dt.date | None = Field(default=None, description=_END_HELP)
    date: dt.date | None = Field(default=None, description="Day mode: " + _DATE_HELP)

    @model_validator(mode="after")
    def _valid(self) -> SpreadInput:
        _check_period(self.start, self.end, self.date)
        if self.a == self.b:
            raise ValueError("a and b must be different series")
        return self


class SeriesSpread(Tool):
    name = "series_spread"
    description_en = (
        "Spread (a - b) or ratio (a / b) of two series on a date, or over a period: latest, "
        "change over the period, average, high and low of the daily values."
    )
    description_zh = (
        "两个序列的价差（a-b）或比值（a/b）：某日数值，"
        "或区间内的最新值、区间变化、均值、最高和最低。"
    )
    Input: ClassVar[type[SpreadInput]] = SpreadInput

    def run(self, args: SpreadInput, ctx: ToolContext) -> ToolOutput:
        a, b = ctx.info(args.a), ctx.info(args.b)
        if args.op == "minus" and a.unit != b.unit:
            raise ToolError(
                "unit_mismatch",
                f"{a.code} ({a.unit}) and {b.code} ({b.unit}) have different units; "
                "a spread needs the same unit — use op='ratio' or series of one unit",
                a=a.code,
                b=b.code,
            )
        if args.start is not None:
            return self._period(ctx, args, a, b, *_period(ctx, args.start, args.end))
        return self._day(ctx, args, a, b, args.date or args.end or ctx.market_today())

    @staticmethod
    def _shape(args: SpreadInput, a: SeriesInfo, b: SeriesInfo) -> tuple[str, Any, str | None]:
        if args.op == "minus":
            return f"{a.code}-{b.code}", "spread", a.unit
        return f"{a.code}/{b.code}", "ratio", None

    def _day(
        self, ctx: ToolContext, args: SpreadInput, a: SeriesInfo, b: SeriesInfo, d: dt.date
    ) -> ToolOutput:
        frames = read_span(ctx, [a.code, b.code], d, d)
        label, kind, unit = self._shape(args, a, b)
        out = ToolOutput(unit=unit)
        book = SourceBook()
        found = [obs for _, obs, _ in _levels_on(ctx, [a, b], frames, d, out, book)]
        out.sources = book.sources()
        if len(found) < 2:
            return out
        if args.op == "ratio" and found[1].value == 0:
            out.notes.append({"code": "zero_divisor", "series": b.code})
            return out
        oa, ob = found
        x = oa.value - ob.value if args.op == "minus" else oa.value / ob.value
        dec = (
            max(_decimals(frames[a.code]), _decimals(frames[b.code]))
            if args.op == "minus"
            else RATIO_DECIMALS
        )
        on, since = max(oa.date, ob.date), min(oa.date, ob.date)
        out.values.append(
            _value(label, x, kind, dec, unit=unit, on=on, start=since if since != on else None)
        )
        out.data = {
            "a": a.code,
            "b": b.code,
            "op": args.op,
            "requested": d.isoformat(),
            "date": on.isoformat(),
            "a_value": oa.value,
            "b_value": ob.value,
            "value": x,
        }
        return out

    def _period(
        self,
        ctx: ToolContext,
        args: SpreadInput,
        a: SeriesInfo,
        b: SeriesInfo,
        start: dt.date,
        end: dt.date,
    ) -> ToolOutput:
        frames = read_span(ctx, [a.code, b.code], start, end)
        label, kind, unit = self._shape(args, a, b)
        out = ToolOutput(unit=unit)
        fa, fb = frames[a.code], frames[b.code]
        joined = (
            fa.select("date", pl.col("value").alias("a"))
            .join(fb.select("date", pl.col("value").alias("b")), on="date", how="inner")
            .filter(pl.col("date") <= end)
            .sort("date")
        )
        if args.op == "ratio":
            joined = joined.filter(pl.col("b") != 0)
        expr = pl.col("a") - pl.col("b") if args.op == "minus" else pl.col("a") / pl.col("b")
        joined = joined.with_columns(expr.alias("value"))
        period = in_period(joined, start, end)
        if period.is_empty():
            out.notes.append(no_data_note(f"{a.code},{b.code}", start, end))
            return out
        base = base_before(joined, start, end)
        assert base is not None  # the period is not empty
        if args.op == "minus":
            dec = max(_decimals(fa), _decimals(fb))
            avg_dec = mean_decimals(dec)
        else:
            dec = avg_dec = RATIO_DECIMALS
        series = period["value"]
        latest = period.row(-1, named=True)
        first_day, last_day = period["date"][0], latest["date"]
        hi = period.row(int(series.arg_max() or 0), named=True)
        lo = period.row(int(series.arg_min() or 0), named=True)
        out.values = [
            _value(label, latest["value"], kind, dec, unit=unit, on=last_day),
            _value(
                f"{label}:change",
                latest["value"] - base.value,
                "change",
                dec,
                unit=unit,
                on=last_day,
                start=base.date,
            ),
            _value(
                f"{label}:average",
                float(series.mean()),
                "average",
                avg_dec,
                unit=unit,  # type: ignore[arg-type]
                on=last_day,
                start=first_day,
            ),
            _value(f"{label}:high", hi["value"], "high", dec, unit=unit, on=hi["date"]),
            _value(f"{label}:low", lo["value"], "low", dec, unit=unit, on=lo["date"]),
        ]
        if last_day != end:
            out.notes.append(nearest_note(label, end, last_day))
        if base.date >= start:
            out.notes.append(
                {"code": "base_in_period", "series": label, "used": base.date.isoformat()}
            )
        used_dates = [*period["date"].to_list(), base.date]
        book = SourceBook()
        for info, frame in ((a, fa), (b, fb)):
            book.use_frame(info, frame.filter(pl.col("date").is_in(used_dates)))
        out.sources = book.sources()
        out.data = {
            "a": a.code,
            "b": b.code,
            "op": args.op,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "base_date": base.date.isoformat(),
            "base": base.value,
            "series": [
                {"date": r["date"].isoformat(), "a": r["a"], "b": r["b"], "value": r["value"]}
                for r in period.iter_rows(named=True)
            ],
        }
        sign = "-" if args.op == "minus" else "/"
        title = f"{a.name_zh} {sign} {b.name_zh}"
        out.chart = line_chart({title: points(period)}, title, unit_label(ctx, unit))
        return out


# ====================================================================== stats
Stat = Literal[
    "average", "high", "low", "first", "last", "change", "pct_change", "median", "stdev", "count"
]
DEFAULT_STATS: list[Stat] = ["average", "high", "low", "first", "last", "change", "pct_change"]


class StatsInput(_Input):
    series: SeriesCode
    start: dt.date = Field(description=_START_HELP)
    end: dt.date | None = Field(default=None, description=_END_HELP)
    stats: list[Stat] = Field(
        default_factory=lambda: list(DEFAULT_STATS),
        min_length=1,
        description="Statistics over the values inside the period; change = last - first / "
        "区间内数值的统计量；change 为末值减首值",
    )

    @model_validator(mode="after")
    def _valid(self) -> StatsInput:
        _check_period(self.start, self.end, None)
        return self


def _stat(
    stat: str, values: list[float], dates: list[dt.date], nat: int, level: str
) -> tuple[float, str, int, dt.date, dt.date | None] | None:
    """(value, kind, decimals, date, start) of one statistic over the values of a period;
    None where it does not exist (stdev of one value, percent change from zero). Highs and
    lows carry the date of their first occurrence; stdev is the sample standard deviation."""
    first, last, span = dates[0], dates[-1], (dates[-1], dates[0])
    avg = mean_decimals(nat)
    if stat == "average":
        return statistics.fmean(values), "average", avg, *span
    if stat in ("high", "low"):
        i = values.index(max(values) if stat == "high" else min(values))
        return values[i], stat, nat, dates[i], None
    if stat == "first":
        return values[0], level, nat, first, None
    if stat == "last":
        return values[-1], level, nat, last, None
    if stat == "change":
        return values[-1] - values[0], "change", nat, *span
    if stat == "pct_change":
        p = pct(values[-1] - values[0], values[0])
        return None if p is None else (p, "pct_change", PCT_DECIMALS, *span)
    if stat == "median":
        return statistics.median(values), "median", avg, *span
    if stat == "stdev":
        return None if len(values) < 2 else (statistics.stdev(values), "stdev", avg, *span)
    if stat == "count":
        return float(len(values)), "count", 0, *span
    raise ValueError(f"unknown statistic {stat!r}")


class SeriesStats(Tool):
    name = "series_stats"
    description_en = (
        "Statistics of one series over a period: average, high, low (with their dates), "
        "first, last, change, percent change, median, standard deviation, count."
    )
    description_zh = (
        "单个序列在区间内的统计：均值、最高、最低（及日期）、首值、末值、"
        "涨跌、涨跌幅、中位数、标准差、样本数。"
    )
    Input: ClassVar[type[StatsInput]] = StatsInput

    def run(self, args: StatsInput, ctx: ToolContext) -> ToolOutput:
        info = ctx.info(args.series)
        start, end = _period(ctx, args.start, args.end)
        code = info.code
        frame = (
            ctx.observations([code], start, end).filter(pl.col("value").is_not_null()).sort("date")
        )
        out = ToolOutput(unit=info.unit)
        if frame.is_empty():
            out.notes.append(no_data_note(code, start, end))
            return out
        values, dates = frame["value"].to_list(), frame["date"].to_list()
        nat, level = _decimals(frame), level_kind(ctx, info)
        for stat in dict.fromkeys(args.stats):
            spec = _stat(stat, values, dates, nat, level)
            if spec is not None:
                x, kind, decimals, on, since = spec
                unit = "PCT" if kind == "pct_change" else None if kind == "count" else info.unit
                out.values.append(
                    _value(f"{code}:{stat}", x, kind, decimals, info, unit=unit, on=on, start=since)
                )
        book = SourceBook()
        book.use_frame(info, frame)
        out.sources = book.sources()
        out.data = {
            "series_code": code,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "first_date": dates[0].isoformat(),
            "last_date": dates[-1].isoformat(),
            "count": len(values),
        }
        title = f"{info.name_zh} {start.isoformat()}～{end.isoformat()}"
        out.chart = line_chart({info.name_zh: points(frame)}, title, unit_label(ctx, info.unit))
        return out
