"""Score the assistant against the public dev set in ``evals/assistant/dev.jsonl``.

The gold answers are computed here, from the store's read API and the catalog's market
calendar, never from the assistant's parser or tools: a bug in those must show up as a wrong
answer, not as a matching gold. The date rules below implement ``SEMANTICS.md`` on their own.

An item is a JSON object ``{"id", "category", "lang", "turns", "gold"}``. Its texts and gold
spec may hold placeholders relative to the anchor T (the market's today) so the set does not
go stale as the demo market moves with the calendar:

- ``{Y}``, ``{Y-1}``: T's year, the year before.
- ``{T}``, ``{T-7d}`` (calendar days back), ``{T-3td}`` (trading days back); format with
  ``|zh`` (2026年11月17日), ``|en`` (November 17, 2026), ``|slash`` (2026/11/17), default ISO.
- ``{M-2}``: the month two months before T's; ``|zh`` (2026年9月), ``|en`` (September 2026),
  ``|mzh`` (9月), ``|men`` (September), default ``2026-09``.
- ``{Q-1}``: the quarter before T's; ``|zh`` (2026年三季度), ``|en`` (Q3 2026), default
  ``2026-3``.

Gold specs (``op``): ``value``, ``change``, ``day_change``, ``compare``, ``compare_dates``,
``rank``, ``spread``, ``stats``, ``catalog``, ``clarify``, ``refuse``, ``unavailable``; see
``evals/assistant/README.md`` for their fields and the expected numbers of each.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine

from steelsage.assistant.answer import Answer, AnswerKind
from steelsage.catalog import is_trading_day, load_catalog, next_trading_day
from steelsage.catalog.calendar import spring_festival
from steelsage.store import SeriesInfo, get_observations, latest_date, list_series

DEVSET_PATH = Path(__file__).parents[3] / "evals" / "assistant" / "dev.jsonl"

Category = Literal[
    "lookup",
    "change",
    "compare",
    "rank",
    "spread",
    "stats",
    "time",
    "followup",
    "clarify",
    "refuse",
]
CATEGORIES: tuple[str, ...] = get_args(Category)

# Rounding of the SEMANTICS: the text may show a number to this many decimals, so an answer
# value within half a unit of the last decimal is right.
PRICE_DECIMALS = 0  # assessment prices, their changes and spreads
AVERAGE_DECIMALS = 1  # averages, medians, standard deviations
PCT_DECIMALS = 2
RATIO_DECIMALS = 2
MAX_NATURAL_DECIMALS = 2  # indicators: their natural precision, at most this
MAX_RANK = 20
STATS = ("average", "high", "low", "first", "last", "change", "median", "stdev")


class DevsetError(ValueError):
    """The dev set file is missing or an item in it is malformed."""


class GoldError(ValueError):
    """A gold spec cannot be resolved on this database (missing series or data)."""


# ------------------------------------------------------------------------------ items


class EvalItem(BaseModel):
    """One dev-set question: its turns (the gold applies to the last) and the gold spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    category: Category
    lang: Literal["zh", "en"]
    turns: list[str] = Field(min_length=1, max_length=3)
    gold: dict[str, Any]

    @property
    def question(self) -> str:
        return self.turns[-1]


_SPEC_KEYS: dict[str, tuple[set[str], set[str]]] = {  # op: (required, optional)
    "value": ({"series"}, {"date"}),
    "change": ({"series", "period"}, {"pct"}),
    "day_change": ({"series"}, {"date", "pct"}),
    "compare": ({"series"}, {"date"}),
    "compare_dates": ({"series", "dates"}, set()),
    "rank": ({"product", "order"}, {"n", "date"}),
    "spread": ({"a", "b", "how"}, {"date", "period"}),
    "stats": ({"series", "period", "stats"}, set()),
    "catalog": (set(), {"commodity", "product"}),
    "clarify": (set(), {"assume"}),
    "refuse": (set(), set()),
    "unavailable": (set(), set()),
}


def check_spec(spec: dict[str, Any], where: str = "gold") -> None:
    """Raise :class:`DevsetError` when a gold spec has an unknown op or wrong fields."""
    op = spec.get("op")
    if op not in _SPEC_KEYS:
        raise DevsetError(f"{where}: unknown op {op!r}; use one of {sorted(_SPEC_KEYS)}")
    required, optional = _SPEC_KEYS[op]
    keys = set(spec) - {"op"}
    if missing := required - keys:
        raise DevsetError(f"{where}: op {op!r} needs {sorted(missing)}")
    if extra := keys - required - optional:
        raise DevsetError(f"{where}: op {op!r} does not take {sorted(extra)}")
    if op == "compare" and (not isinstance(spec["series"], list) or len(spec["series"]) < 2):
        raise DevsetError(f"{where}: compare needs a list of at least two series")
    if op == "compare_dates" and len(spec["dates"]) != 2:
        raise DevsetError(f"{where}: compare_dates needs exactly two dates")
    if op == "rank" and spec["order"] not in ("asc", "desc"):
        raise DevsetError(f"{where}: rank order must be 'asc' or 'desc'")
    if op == "spread":
        if spec["how"] not in ("minus", "ratio"):
            raise DevsetError(f"{where}: spread how must be 'minus' or 'ratio'")
        if "date" in spec and "period" in spec:
            raise DevsetError(f"{where}: spread takes a date or a period, not both")
    if op == "stats" and (bad := set(spec["stats"]) - set(STATS)):
        raise DevsetError(f"{where}: unknown stats {sorted(bad)}; use {list(STATS)}")
    if op == "catalog" and not (keys & {"commodity", "product"}):
        raise DevsetError(f"{where}: catalog needs a commodity or a product")
    if op == "clarify" and "assume" in spec:
        check_spec(spec["assume"], f"{where}.assume")


def load_devset(path: Path | str | None = None) -> list[EvalItem]:
    """Read and check the dev set (default: the repository's ``evals/assistant/dev.jsonl``)."""
    path = Path(path) if path is not None else DEVSET_PATH
    if not path.is_file():
        raise DevsetError(
            f"dev set not found at {path}; run from a source checkout of steelsage (the set "
            "lives in evals/assistant/) or pass its path"
        )
    items: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            item = EvalItem.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DevsetError(f"{where}: not a valid item: {exc}") from None
        if item.id in seen:
            raise DevsetError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        check_spec(item.gold, f"{where} ({item.id})")
        items.append(item)
    return items


# ------------------------------------------------------------------------ placeholders

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_QUARTER_ZH = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


def _trading_days_back(anchor: date, n: int) -> date:
    d = anchor
    for _ in range(n):
        d -= timedelta(days=1)
        while not is_trading_day(d):
            d -= timedelta(days=1)
    return d


def _months_back(anchor: date, n: int) -> tuple[int, int]:
    index = anchor.year * 12 + anchor.month - 1 - n
    return index // 12, index % 12 + 1


def _format_date(d: date, fmt: str) -> str:
    if fmt in ("", "iso"):
        return d.isoformat()
    if fmt == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    if fmt == "en":
        return f"{_calendar.month_name[d.month]} {d.day}, {d.year}"
    if fmt == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    raise ValueError(f"unknown date format {fmt!r}; use iso, zh, en or slash")


def _format_month(year: int, month: int, fmt: str) -> str:
    formats = {
        "": f"{year}-{month:02d}",
        "iso": f"{year}-{month:02d}",
        "zh": f"{year}年{month}月",
        "en": f"{_calendar.month_name[month]} {year}",
        "mzh": f"{month}月",
        "men": _calendar.month_name[month],
    }
    if fmt not in formats:
        raise ValueError(f"unknown month format {fmt!r}; use iso, zh, en, mzh or men")
    return formats[fmt]


def _format_quarter(year: int, quarter: int, fmt: str) -> str:
    formats = {
        "": f"{year}-{quarter}",
        "iso": f"{year}-{quarter}",
        "zh": f"{year}年{_QUARTER_ZH[quarter]}",
        "en": f"Q{quarter} {year}",
    }
    if fmt not in formats:
        raise ValueError(f"unknown quarter format {fmt!r}; use iso, zh or en")
    return formats[fmt]


def _placeholder(token: str, anchor: date) -> str:
    name, _, fmt = token.partition("|")
    if m := re.fullmatch(r"Y(?:-(\d+))?", name):
        return str(anchor.year - int(m.group(1) or 0))
    if m := re.fullmatch(r"T(?:-(\d+)(d|td))?", name):
        n = int(m.group(1) or 0)
        d = anchor - timedelta(days=n) if m.group(2) != "td" else _trading_days_back(anchor, n)
        return _format_date(d, fmt)
    if m := re.fullmatch(r"M-(\d+)", name):
        return _format_month(*_months_back(anchor, int(m.group(1))), fmt)
    if m := re.fullmatch(r"Q-(\d+)", name):
        index = anchor.year * 4 + (anchor.month - 1) // 3 - int(m.group(1))
        return _format_quarter(index // 4, index % 4 + 1, fmt)
    raise ValueError(f"unknown placeholder {{{token}}}; see steelsage.assistant.evaluate")


def fill(text: str, anchor: date) -> str:
    """``text`` with every ``{...}`` placeholder rendered for ``anchor``."""
    return _PLACEHOLDER.sub(lambda m: _placeholder(m.group(1), anchor), text)


def _fill_any(value: Any, anchor: date) -> Any:
    if isinstance(value, str):
        return fill(value, anchor)
    if isinstance(value, list):
        return [_fill_any(v, anchor) for v in value]
    if isinstance(value, dict):
        return {k: _fill_any(v, anchor) for k, v in value.items()}
    return value


def render(item: EvalItem, anchor: date) -> EvalItem:
    """The item with its turns and gold spec rendered for the anchor date."""
    return item.model_copy(
        update={
            "turns": [fill(t, anchor) for t in item.turns],
            "gold": _fill_any(item.gold, anchor),
        }
    )


# --------------------------------------------------------------------- date semantics


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _minus_year(d: date) -> date:
    """Same day one year earlier; Feb 29 becomes Feb 28."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return date(d.year - 1, 2, 28)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _begun_year(anchor: date, start_month: int) -> int:
    """T's year if the span starting on ``start_month`` 1st has begun, else the year before."""
    return anchor.year if date(anchor.year, start_month, 1) <= anchor else anchor.year - 1


def _prev_trading_day(d: date) -> date:
    d -= timedelta(days=1)
    while not is_trading_day(d):
        d -= timedelta(days=1)
    return d


def _split_shift(spec: str) -> tuple[str, bool]:
    return (spec[:-3], True) if spec.endswith("-1y") else (spec, False)


def resolve_date(spec: str, anchor: date) -> date:
    """A point date spec (``today``, ``yesterday``, ``day_before``, ``last_week:5``,
    ``this_week:1``, ``YYYY-MM-DD``; suffix ``-1y`` for 去年同期) as a calendar date."""
    base, shift = _split_shift(spec)
    if base == "today":
        d = anchor
    elif base == "yesterday":
        d = _prev_trading_day(anchor)
    elif base == "day_before":
        d = _prev_trading_day(_prev_trading_day(anchor))
    elif m := re.fullmatch(r"(last|this)_week:([1-7])", base):
        d = _monday(anchor) + timedelta(days=int(m.group(2)) - 1)
        if m.group(1) == "last":
            d -= timedelta(days=7)
    else:
        try:
            d = date.fromisoformat(base)
        except ValueError:
            raise GoldError(f"unknown date spec {spec!r}") from None
    return _minus_year(d) if shift else d


def resolve_period(spec: str, anchor: date) -> tuple[date, date]:
    """A period spec as ``(start, end)`` inclusive; see ``evals/assistant/README.md``."""
    base, shift = _split_shift(spec)
    t = anchor
    if base == "this_week":
        start, end = _monday(t), t
    elif base == "last_week":
        start, end = _monday(t) - timedelta(days=7), _monday(t) - timedelta(days=1)
    elif base == "this_month":
        start, end = t.replace(day=1), t
    elif base == "last_month":
        end = t.replace(day=1) - timedelta(days=1)
        start = end.replace(day=1)
    elif m := re.fullmatch(r"past:(\d+)", base):
        start, end = t - timedelta(days=int(m.group(1))), t
    elif base in ("ytd", "this_year"):
        start, end = date(t.year, 1, 1), t
    elif base == "last_year":
        start, end = date(t.year - 1, 1, 1), date(t.year - 1, 12, 31)
    elif m := re.fullmatch(r"year:(\d{4})", base):
        start, end = date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31)
    elif m := re.fullmatch(r"month:(?:(\d{4})-)?(\d{1,2})", base):
        month = int(m.group(2))
        year = int(m.group(1)) if m.group(1) else _begun_year(t, month)
        start, end = date(year, month, 1), _month_end(year, month)
    elif m := re.fullmatch(r"quarter:(?:(\d{4})-)?([1-4])", base):
        first = 3 * int(m.group(2)) - 2
        year = int(m.group(1)) if m.group(1) else _begun_year(t, first)
        start, end = date(year, first, 1), _month_end(year, first + 2)
    elif m := re.fullmatch(r"half:(?:(\d{4})-)?([12])", base):
        first = 1 if m.group(2) == "1" else 7
        year = int(m.group(1)) if m.group(1) else _begun_year(t, first)
        start, end = date(year, first, 1), _month_end(year, first + 5)
    elif m := re.fullmatch(r"since:(\d{1,2})", base):
        month = int(m.group(1))
        start, end = date(_begun_year(t, month), month, 1), t
    elif base == "after_spring_festival":
        start = next_trading_day(spring_festival(t.year) + timedelta(days=1))
        if start > t:
            start = next_trading_day(spring_festival(t.year - 1) + timedelta(days=1))
        end = t
    else:
        raise GoldError(f"unknown period spec {spec!r}")
    end = min(end, t)  # a period never reaches past the market's today
    if shift:
        start, end = _minus_year(start), _minus_year(end)
    return start, end


# -------------------------------------------------------------------------- the gold


@dataclass(frozen=True)
class Expected:
    """One number the answer must contain, to ``decimals`` (half a unit of tolerance)."""

    label: str
    value: float
    decimals: int
    series_code: str | None = None
    signless: bool = False  # compare gaps: "A比B贵多少" and "B vs A" name the same gap

    @property
    def tolerance(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals) + 1e-9 * max(1.0, abs(self.value))

    def matches(self, value: float) -> bool:
        if self.signless:
            return abs(abs(value) - abs(self.value)) <= self.tolerance
        return abs(value - self.value) <= self.tolerance


@dataclass(frozen=True)
class Gold:
    """What a right answer looks like: its kind, its numbers, and for a ranking the order."""

    kind: AnswerKind
    numbers: tuple[Expected, ...] = ()
    order: tuple[str, ...] = ()  # rank: the expected series, first place first
    ranking: tuple[tuple[str, float], ...] = ()  # rank: every eligible series, for ties
    series: tuple[str, ...] = ()  # catalog: codes the sources must list
    assume: Gold | None = None  # clarify: a data answer with a stated assumption may do
    detail: dict[str, Any] = field(default_factory=dict)  # resolved dates, for reading


@dataclass
class _Obs:
    """Current published values of one series, ascending by date."""

    info: SeriesInfo
    dates: list[date]
    values: list[float]
    changes: list[float | None]

    @cached_property
    def natural_decimals(self) -> int:
        """Assessments: prices to 0 decimals; others: the precision of their data (≤ 2)."""
        if self.info.kind == "assessment":
            return PRICE_DECIMALS
        for decimals in range(MAX_NATURAL_DECIMALS):
            scale = 10**decimals
            if all(abs(v * scale - round(v * scale)) < 1e-6 for v in self.values):
                return decimals
        return MAX_NATURAL_DECIMALS

    def at(self, d: date) -> tuple[date, float, int]:
        """value_at: the value with the greatest date <= d, else the first one after d."""
        i = bisect.bisect_right(self.dates, d) - 1
        if i < 0:
            i = 0
        return self.dates[i], self.values[i], i

    def base_before(self, start: date, end: date) -> tuple[date, float]:
        """The last value strictly before ``start``, else the first one in [start, end]."""
        i = bisect.bisect_left(self.dates, start) - 1
        if i >= 0:
            return self.dates[i], self.values[i]
        j = bisect.bisect_left(self.dates, start)
        if j >= len(self.dates) or self.dates[j] > end:
            raise GoldError(f"{self.info.code} has no value before or in {start}..{end}")
        return self.dates[j], self.values[j]

    def window(self, start: date, end: date) -> list[tuple[date, float]]:
        lo, hi = bisect.bisect_left(self.dates, start), bisect.bisect_right(self.dates, end)
        return list(zip(self.dates[lo:hi], self.values[lo:hi], strict=True))


class _Reader:
    """Reads each series once per evaluation run, through the store's read API."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._infos: dict[str, SeriesInfo] | None = None
        self._obs: dict[str, _Obs] = {}

    @property
    def infos(self) -> dict[str, SeriesInfo]:
        if self._infos is None:
            self._infos = {s.code: s for s in list_series(self.engine, kind=None)}
        return self._infos

    def obs(self, code: str) -> _Obs:
        if code not in self._obs:
            info = self.infos.get(code)
            if info is None:
                raise GoldError(f"series {code!r} is not in this database")
            frame = get_observations(self.engine, code).drop_nulls("value")
            if frame.is_empty():
                raise GoldError(f"series {code!r} has no published values")
            self._obs[code] = _Obs(
                info,
                frame["date"].to_list(),
                frame["value"].to_list(),
                frame["change"].to_list(),
            )
        return self._obs[code]


def _num(label: str, value: float, decimals: int, code: str | None = None, **kw: Any) -> Expected:
    return Expected(label=label, value=float(value), decimals=decimals, series_code=code, **kw)


def _pct(change: float, base: float, code: str | None) -> Expected:
    if base == 0:
        raise GoldError(f"{code}: base value is 0, no percentage change")
    return _num("pct_change", change / base * 100.0, PCT_DECIMALS, code)


def _gold_value(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    obs = r.obs(spec["series"])
    d = resolve_date(spec.get("date", "today"), t)
    used, value, _ = obs.at(d)
    return Gold(
        "data",
        (_num("value", value, obs.natural_decimals, obs.info.code),),
        detail={"date": d, "used": used},
    )


def _gold_change(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    obs = r.obs(spec["series"])
    start, end = resolve_period(spec["period"], t)
    end_date, v_end, _ = obs.at(end)
    base_date, v_base = obs.base_before(start, end)
    change = v_end - v_base
    numbers = [_num("change", change, obs.natural_decimals, obs.info.code)]
    if spec.get("pct"):
        numbers.append(_pct(change, v_base, obs.info.code))
    return Gold(
        "data",
        tuple(numbers),
        detail={"start": start, "end": end, "base": base_date, "end_used": end_date},
    )


def _gold_day_change(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    obs = r.obs(spec["series"])
    used, value, i = obs.at(resolve_date(spec.get("date", "today"), t))
    change = obs.changes[i]
    if change is None or (isinstance(change, float) and math.isnan(change)):
        raise GoldError(f"{obs.info.code} has no published change on {used}")
    numbers = [_num("change", change, obs.natural_decimals, obs.info.code)]
    if spec.get("pct"):
        numbers.append(_pct(change, value - change, obs.info.code))
    return Gold("data", tuple(numbers), detail={"used": used})


def _gold_compare(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    d = resolve_date(spec.get("date", "today"), t)
    series = [r.obs(code) for code in spec["series"]]
    values = [o.at(d)[1] for o in series]
    numbers = [
        _num("value", v, o.natural_decimals, o.info.code)
        for o, v in zip(series, values, strict=True)
    ]
    first = series[0]
    for o, v in zip(series[1:], values[1:], strict=True):
        decimals = max(o.natural_decimals, first.natural_decimals)
        numbers.append(_num("difference", v - values[0], decimals, o.info.code, signless=True))
    return Gold("data", tuple(numbers), detail={"date": d})


def _gold_compare_dates(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    obs = r.obs(spec["series"])
    d1, d2 = (resolve_date(s, t) for s in spec["dates"])
    (u1, v1, _), (u2, v2, _) = obs.at(d1), obs.at(d2)
    code, decimals = obs.info.code, obs.natural_decimals
    numbers = (
        _num("value", v1, decimals, code),
        _num("value", v2, decimals, code),
        _num("difference", v1 - v2, decimals, code),
        _pct(v1 - v2, v2, code),
    )
    return Gold("data", numbers, detail={"dates": (d1, d2), "used": (u1, u2)})


def _gold_rank(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    catalog = load_catalog()
    d = resolve_date(spec.get("date", "today"), t)
    product = spec["product"]
    rows: list[tuple[str, float]] = []
    for info in r.infos.values():
        if info.kind != "assessment" or info.product != product or info.region is None:
            continue
        region = catalog.regions.get(info.region)
        if region is None or region.kind != "city":
            continue
        obs = r.obs(info.code)
        i = bisect.bisect_left(obs.dates, d)
        if i < len(obs.dates) and obs.dates[i] == d:  # only an observation on d counts
            rows.append((info.code, obs.values[i]))
    if not rows:
        raise GoldError(f"no {product} city series has a value on {d}")
    descending = spec["order"] == "desc"
    rows.sort(key=lambda row: (-row[1] if descending else row[1], row[0]))
    n = min(int(spec.get("n", 1)), MAX_RANK, len(rows))
    numbers = tuple(_num("price", v, PRICE_DECIMALS, code) for code, v in rows[:n])
    return Gold(
        "data",
        numbers,
        order=tuple(code for code, _ in rows[:n]),
        ranking=tuple(rows),
        detail={"date": d, "eligible": len(rows)},
    )


def _pair_value(a: float, b: float, how: str) -> float:
    if how == "ratio":
        if b == 0:
            raise GoldError("ratio with a zero denominator")
        return a / b
    return a - b


def _gold_spread(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    a, b, how = r.obs(spec["a"]), r.obs(spec["b"]), spec["how"]
    label = "ratio" if how == "ratio" else "spread"
    point_decimals = (
        RATIO_DECIMALS if how == "ratio" else max(a.natural_decimals, b.natural_decimals)
    )
    avg_decimals = RATIO_DECIMALS if how == "ratio" else AVERAGE_DECIMALS
    codes = f"{a.info.code}|{b.info.code}"
    if "period" not in spec:
        d = resolve_date(spec.get("date", "today"), t)
        value = _pair_value(a.at(d)[1], b.at(d)[1], how)
        return Gold("data", (_num(label, value, point_decimals, codes),), detail={"date": d})
    start, end = resolve_period(spec["period"], t)
    b_by_date = dict(zip(b.dates, b.values, strict=True))
    joined = [
        (d, _pair_value(v, b_by_date[d], how))
        for d, v in zip(a.dates, a.values, strict=True)
        if d in b_by_date
    ]
    if not joined:
        raise GoldError(f"{codes}: no date with both values")
    daily = _Obs(a.info, [d for d, _ in joined], [v for _, v in joined], [None] * len(joined))
    inside = [v for _, v in daily.window(start, end)]
    if not inside:
        raise GoldError(f"{codes}: no date with both values in {start}..{end}")
    _, latest, _ = daily.at(end)
    _, base = daily.base_before(start, end)
    numbers = (
        _num(label, latest, point_decimals, codes),
        _num("change", latest - base, point_decimals, codes),
        _num("average", statistics.fmean(inside), avg_decimals, codes),
        _num("high", max(inside), point_decimals, codes),
        _num("low", min(inside), point_decimals, codes),
    )
    return Gold("data", numbers, detail={"start": start, "end": end, "n": len(inside)})


def _gold_stats(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    obs = r.obs(spec["series"])
    start, end = resolve_period(spec["period"], t)
    inside = [v for _, v in obs.window(start, end)]
    if not inside:
        raise GoldError(f"{obs.info.code} has no values in {start}..{end}")
    nat = obs.natural_decimals
    compute: dict[str, tuple[Callable[[], float], int]] = {
        "average": (lambda: statistics.fmean(inside), AVERAGE_DECIMALS),
        "high": (lambda: max(inside), nat),
        "low": (lambda: min(inside), nat),
        "first": (lambda: inside[0], nat),
        "last": (lambda: inside[-1], nat),
        "change": (lambda: inside[-1] - inside[0], nat),
        "median": (lambda: statistics.median(inside), AVERAGE_DECIMALS),
        "stdev": (lambda: statistics.stdev(inside) if len(inside) > 1 else 0.0, AVERAGE_DECIMALS),
    }
    numbers = []
    for name in spec["stats"]:
        func, decimals = compute[name]
        numbers.append(_num(name, func(), decimals, obs.info.code))
    return Gold("data", tuple(numbers), detail={"start": start, "end": end, "n": len(inside)})


def _gold_catalog(spec: dict[str, Any], r: _Reader, t: date) -> Gold:
    codes = tuple(
        sorted(
            info.code
            for info in r.infos.values()
            if ("commodity" not in spec or info.commodity == spec["commodity"])
            and ("product" not in spec or info.product == spec["product"])
        )
    )
    if not codes:
        raise GoldError(f"no series match {spec}")
    return Gold("catalog", series=codes)


_GOLD: dict[str, Callable[[dict[str, Any], _Reader, date], Gold]] = {
    "value": _gold_value,
    "change": _gold_change,
    "day_change": _gold_day_change,
    "compare": _gold_compare,
    "compare_dates": _gold_compare_dates,
    "rank": _gold_rank,
    "spread": _gold_spread,
    "stats": _gold_stats,
    "catalog": _gold_catalog,
}


def _gold(spec: dict[str, Any], r: _Reader, anchor: date) -> Gold:
    op = spec["op"]
    if op in ("refuse", "unavailable"):
        return Gold(op)
    if op == "clarify":
        assume = spec.get("assume")
        return Gold("clarify", assume=_gold(assume, r, anchor) if assume else None)
    return _GOLD[op](spec, r, anchor)


def gold_values(item: EvalItem, engine: Engine, anchor: date) -> Gold:
    """The expected answer of ``item`` (rendered or not) on ``engine`` with today = anchor."""
    return _gold(render(item, anchor).gold, _Reader(engine), anchor)


def gold_table(items: Iterable[EvalItem], engine: Engine, anchor: date) -> dict[str, Gold]:
    """Gold of many items by id, reading each series once; raises :class:`GoldError`."""
    reader = _Reader(engine)
    return {item.id: _gold(render(item, anchor).gold, reader, anchor) for item in items}


# --------------------------------------------------------------------------- scoring


def _fmt(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def _score_numbers(answer: Answer, gold: Gold) -> tuple[bool, str]:
    if answer.kind != "data":
        return False, f"expected a data answer, got kind {answer.kind!r}"
    if not answer.verified:
        return False, "answer not verified"
    values = [v.value for v in answer.values]
    for exp in gold.numbers:
        if not any(exp.matches(v) for v in values):
            shown = ", ".join(_fmt(v, exp.decimals) for v in values[:8]) or "none"
            return False, (
                f"missing {exp.label} {_fmt(exp.value, exp.decimals)}"
                f"{f' ({exp.series_code})' if exp.series_code else ''}; values: {shown}"
            )
    if gold.order:
        return _score_order(answer, gold)
    return True, ""


def _score_order(answer: Answer, gold: Gold) -> tuple[bool, str]:
    """The answer's prices, in order, name the gold ranking; tied places may swap."""
    prices = [v for v in answer.values if v.kind == "price"]
    n = len(gold.order)
    if len(prices) < n:
        return False, f"ranking has {len(prices)} prices, expected {n}"
    value_of = dict(gold.ranking)
    used: set[str] = set()
    for place, (want, got) in enumerate(zip(gold.order, prices[:n], strict=True), 1):
        code = got.series_code
        if code != want and (
            code not in value_of or code in used or value_of[code] != value_of[want]
        ):
            return False, f"place {place}: expected {want}, got {code}"
        used.add(code or "")
    return True, ""


def score(answer: Answer, gold: Gold) -> tuple[bool, str]:
    """Whether ``answer`` is right for ``gold``, and why not (empty when right)."""
    if gold.kind == "clarify":
        if answer.kind == "clarify":
            return True, ""
        if gold.assume is not None and answer.kind == "data" and answer.assumptions:
            ok, why = _score_numbers(answer, gold.assume)
            return ok, "" if ok else f"assumed answer wrong: {why}"
        return False, f"expected a clarifying question, got kind {answer.kind!r}"
    if gold.kind in ("refuse", "unavailable"):
        if answer.kind == gold.kind:
            return True, ""
        return False, f"expected kind {gold.kind!r}, got {answer.kind!r}"
    if gold.kind == "catalog":
        if answer.kind != "catalog":
            return False, f"expected a catalog answer, got kind {answer.kind!r}"
        listed = {s.series_code for s in answer.sources}
        missing = [code for code in gold.series if code not in listed]
        if missing:
            return False, f"catalog misses {len(missing)} series, e.g. {missing[:3]}"
        return True, ""
    return _score_numbers(answer, gold)


# --------------------------------------------------------------------------- the run


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def run_eval(
    engine: Engine,
    ask: Callable[[list[str], str], Answer],
    items: Iterable[EvalItem],
    anchor: date | None = None,
) -> dict[str, Any]:
    """Ask every item and score it against its gold.

    ``ask(turns, lang)`` plays all turns of an item in one fresh session and returns the
    answer to the last. Latency is per turn: the wall time of one ``ask`` call divided by
    the item's number of turns. An item whose gold cannot be computed on this database, or
    whose ``ask`` raises, counts as wrong with the reason in ``failures``.
    """
    if anchor is None:
        anchor = latest_date(engine)
        if anchor is None:
            raise GoldError(
                "the database has no published assessments; build the demo first "
                "(`steelsage demo build` or `make demo`)"
            )
    reader = _Reader(engine)
    totals: dict[str, int] = {}
    correct: dict[str, int] = {}
    latencies: list[float] = []
    failures: list[dict[str, str]] = []
    for raw in items:
        item = render(raw, anchor)
        totals[item.category] = totals.get(item.category, 0) + 1
        correct.setdefault(item.category, 0)
        try:
            gold = _gold(item.gold, reader, anchor)
        except GoldError as exc:
            failures.append({"id": item.id, "question": item.question, "reason": f"gold: {exc}"})
            continue
        started = time.perf_counter()
        try:
            answer = ask(list(item.turns), item.lang)
        except Exception as exc:  # a crash is a wrong answer, reported with its cause
            ok, why = False, f"ask raised {type(exc).__name__}: {exc}"
        else:
            ok, why = score(answer, gold)
        latencies.append((time.perf_counter() - started) * 1000.0 / len(item.turns))
        if ok:
            correct[item.category] += 1
        else:
            failures.append({"id": item.id, "question": item.question, "reason": why})
    n = sum(totals.values())
    latencies.sort()
    return {
        "overall": round(sum(correct.values()) / n, 4) if n else 0.0,
        "categories": {
            name: round(correct[name] / totals[name], 4)
            for name in sorted(totals, key=_category_order)
        },
        "latency_ms": {
            "p50": round(_percentile(latencies, 0.50), 2),
            "p95": round(_percentile(latencies, 0.95), 2),
        },
        "n": n,
        "failures": failures,
    }


def _category_order(name: str) -> tuple[int, str]:
    return (CATEGORIES.index(name) if name in CATEGORIES else len(CATEGORIES), name)


__all__ = [
    "CATEGORIES",
    "DEVSET_PATH",
    "DevsetError",
    "EvalItem",
    "Expected",
    "Gold",
    "GoldError",
    "check_spec",
    "fill",
    "gold_table",
    "gold_values",
    "load_devset",
    "render",
    "resolve_date",
    "resolve_period",
    "run_eval",
    "score",
]
