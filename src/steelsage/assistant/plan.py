"""Frame → tool calls. Resolves products, regions and indicators to series codes first.

Resolution rules (stated in the answer as assumptions where we chose for the user): a
product without a region means its benchmark series; an indicator without a product scope
means its national or total scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from steelsage.assistant.parse.frame import Frame
from steelsage.assistant.parse.lexicon import Lexicon
from steelsage.store import SeriesInfo

DEFAULT_TREND_DAYS = 30
DEFAULT_STATS = ["average", "high", "low", "first", "last", "change", "pct_change"]


@dataclass
class Call:
    name: str
    args: dict[str, Any]


@dataclass
class Plan:
    calls: list[Call] = field(default_factory=list)
    # Why nothing can be called: ("no_series_for_region", {...}), ("not_in_store", {...})
    problem: tuple[str, dict[str, Any]] | None = None


def resolve_series(frame: Frame, lexicon: Lexicon, known: dict[str, SeriesInfo]) -> Plan | None:
    """Fill ``frame.series`` and ``frame.assumptions``; a Plan with a problem when impossible."""
    catalog = lexicon.catalog
    series: list[str] = []
    # With an indicator named, products only scope it ("PB粉港口库存", "螺纹社库").
    for product in [] if frame.indicators else frame.products:
        if frame.regions:
            for region in frame.regions:
                a = catalog.assessment_for(product, region)
                if a is None or a.code not in known:
                    available = sorted(
                        s.region for s in known.values() if s.product == product and s.region
                    )
                    return Plan(
                        problem=(
                            "no_series_for_region",
                            {"product": product, "region": region, "available": available},
                        )
                    )
                series.append(a.code)
        else:
            bench = catalog.benchmark_for(product)
            if bench is None or bench.code not in known:
                return Plan(problem=("not_in_store", {"product": product}))
            series.append(bench.code)
            frame.assumptions.append(f"benchmark:{bench.code}")
    for indicator in frame.indicators:
        ind = catalog.indicators[indicator]
        scope = next((p for p in frame.products if p in ind.scopes), None)
        if scope is None:
            scope = lexicon.indicator_default_scope.get(indicator)
            scope = scope if scope in ind.scopes else ind.scopes[0]
            if len(ind.scopes) > 1:
                frame.assumptions.append(f"scope:{indicator}.{scope}")
        code = f"{indicator}.{scope}"
        if code not in known:
            return Plan(problem=("not_in_store", {"series": code}))
        series.append(code)
    for code in frame.externals:
        if code not in known:
            return Plan(problem=("not_in_store", {"series": code}))
        series.append(code)
    frame.series = list(dict.fromkeys(series))
    return None


def _point(frame: Frame) -> date | None:
    p = frame.period
    return p.start if p is not None and p.point else None


def _span(frame: Frame, today: date) -> tuple[date, date]:
    p = frame.period
    if p is None or p.point:
        return today - timedelta(days=DEFAULT_TREND_DAYS), today
    return p.start, min(p.end, today)


def make_plan(frame: Frame, lexicon: Lexicon, known: dict[str, SeriesInfo], today: date) -> Plan:
    """The tool calls that answer ``frame``."""
    if frame.intent == "catalog":
        args: dict[str, Any] = {"commodity": frame.commodity, "limit": 500}
        if frame.products:
            args = {"query": lexicon.catalog.products[frame.products[0]].name_zh, "limit": 500}
        if frame.indicators:
            args["kind"] = "indicator"
        return Plan([Call("catalog_search", args)])
    if frame.intent == "spread":
        return _spread_plan(frame, lexicon, known, today)
    if frame.intent == "rank":
        return Plan(
            [
                Call(
                    "series_rank",
                    {
                        "product": frame.products[0],
                        "date": _point(frame) or (frame.period.end if frame.period else None),
                        "order": frame.order,
                        "n": frame.n or 5,
                    },
                )
            ]
        )
    problem = resolve_series(frame, lexicon, known)
    if problem is not None:
        return problem
    series = frame.series
    if frame.intent == "lookup":
        return Plan([Call("series_lookup", {"series": series, "date": _point(frame)})])
    if frame.intent == "change":
        if frame.period is None or frame.period.point:
            return Plan([Call("series_change", {"series": series, "date": _point(frame)})])
        start, end = _span(frame, today)
        return Plan([Call("series_change", {"series": series, "start": start, "end": end})])
    if frame.intent == "compare":
        if len(series) < 2:
            return Plan([Call("series_lookup", {"series": series, "date": _point(frame)})])
        when = _point(frame) or (frame.period.end if frame.period else None)
        return Plan([Call("series_compare", {"series": series, "date": when})])
    if frame.intent == "compare_dates":
        main = frame.period
        first = today if main is None else (main.start if main.point else min(main.end, today))
        other = frame.compare_period
        assert other is not None
        second = other.start if other.point else other.end
        return Plan(
            [Call("series_compare", {"series": series[:1], "dates": [first, second]})]
            + [
                Call("series_compare", {"series": [s], "dates": [first, second]})
                for s in series[1:]
            ]
        )
    # stats
    start, end = _span(frame, today)
    stats = list(dict.fromkeys([*frame.stats, *DEFAULT_STATS])) if frame.stats else DEFAULT_STATS
    return Plan(
        [
            Call("series_stats", {"series": s, "start": start, "end": end, "stats": stats})
            for s in series
        ]
    )


def _spread_plan(frame: Frame, lexicon: Lexicon, known: dict[str, SeriesInfo], today: date) -> Plan:
    if frame.spread is not None:
        a, b, op = frame.spread.a, frame.spread.b, frame.spread.op
        if len(frame.regions) == 1:  # "广州卷螺差": the same pair, in the named region
            a, b = (_in_region(lexicon, code, frame.regions[0]) for code in (a, b))
    else:
        resolved = resolve_series(frame, lexicon, known)
        if resolved is not None:
            return resolved
        if len(frame.series) < 2:
            return Plan(problem=("need_two", {}))
        a, b = frame.series[:2]
        op = frame.spread_op
    for code in (a, b):
        if code not in known:
            return Plan(problem=("not_in_store", {"series": code}))
    frame.series = [a, b]
    args: dict[str, Any] = {"a": a, "b": b, "op": op}
    if frame.period is not None and not frame.period.point:
        args["start"], args["end"] = _span(frame, today)
    elif frame.period is not None:
        args["date"] = frame.period.start
    elif frame.stats:
        args["start"], args["end"] = _span(frame, today)
    return Plan([Call("series_spread", args)])


def _in_region(lexicon: Lexicon, code: str, region: str) -> str:
    product = code.split(".", 1)[0]
    a = lexicon.catalog.assessment_for(product, region)
    return a.code if a is not None else code
