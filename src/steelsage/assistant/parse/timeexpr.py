"""Time expressions in questions (Chinese and English) turned into concrete periods.

"热卷这周涨了多少", "What was HRC in Shanghai last Friday?", "2024年3月螺纹均价",
"PB粉港口库存比去年同期高吗": every period is resolved against T, the market's today, following
the shared assistant semantics (近N天 is T−N .. T in calendar days, 昨天 is the previous market
day, a month without a year is this year's if it has begun, and so on).

It runs on every question, so it is one precompiled regex scanned once from left to right.
Alternatives that start at the same place are ordered longest first (上周五 before 上周, 去年同期
before 去年, 2024年3月15日 before 2024年3月), which gives "longest match wins" without trying
every pattern everywhere. A second, cheap pass joins neighbouring matches into ranges
(从3月到5月, between … and …) and 'since' periods (3月以来, since March). Expressions such as
去年同期 or 环比 are returned with relation "compare", already applied to the question's main
period; :func:`compare_period` re-applies one to another period (for follow-ups).
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from steelsage.assistant.parse.holidays import reopen_on_or_before, spring_festival_reopen
from steelsage.catalog import is_trading_day

Granularity = Literal["day", "week", "month", "quarter", "year", "range"]
Relation = Literal["main", "compare"]
CompareKind = Literal["year", "month", "week", "previous"]


@dataclass(frozen=True)
class Period:
    """Inclusive calendar dates. ``point`` marks a single day asked as a point (今天, 上周五)."""

    start: date
    end: date
    granularity: Granularity
    point: bool
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class TimeMatch:
    """One time expression found in a question, with its character span."""

    period: Period
    span: tuple[int, int]
    text: str
    relation: Relation


# ---------------------------------------------------------------------------------------------
# Dates and labels

_MONTH_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_CN_QUARTER = "一二三四"
_CN_SMALL = "零一两三四五六七八九十"  # labels: 近两周, 近三个月
_WEEKDAY_ZH = "一二三四五六日"
_WEEKDAY_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    """Same day ``months`` later (negative: earlier), clamped to the month's last day."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def _zh_day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _en_day(d: date) -> str:
    return f"{_MONTH_EN[d.month - 1]} {d.day}, {d.year}"


def _labels(start: date, end: date, granularity: Granularity) -> tuple[str, str]:
    """Absolute labels for a period that has no wording of its own (shifted, joined)."""
    if granularity == "day" or start == end:
        return _zh_day(start), _en_day(start)
    full_months = start.day == 1 and end == _month_end(end.year, end.month)
    if granularity == "month" and full_months and start.month == end.month:
        return f"{start.year}年{start.month}月", f"{_MONTH_EN[start.month - 1]} {start.year}"
    if granularity == "quarter" and full_months and (start.month - 1) % 3 == 0:
        q = (start.month - 1) // 3 + 1
        return f"{start.year}年{_CN_QUARTER[q - 1]}季度", f"Q{q} {start.year}"
    if granularity == "year" and full_months and start.month == 1 and end.month == 12:
        return f"{start.year}年", str(start.year)
    return f"{_zh_day(start)}至{_zh_day(end)}", f"{_en_day(start)} to {_en_day(end)}"


def _period(
    start: date,
    end: date,
    granularity: Granularity,
    today: date,
    zh: str,
    en: str,
    point: bool = False,
) -> Period:
    """A period with its end clipped to ``today`` when it is still running."""
    if start <= today < end:
        end = today
    return Period(start, end, granularity, point, zh, en)


def _day(d: date, zh: str, en: str) -> Period:
    return Period(d, d, "day", True, zh, en)


def _prev_trading_day(d: date, steps: int = 1) -> date:
    for _ in range(steps):
        d -= timedelta(days=1)
        while not is_trading_day(d):
            d -= timedelta(days=1)
    return d


def _default_year(first_day: Callable[[int], date | None], today: date) -> int | None:
    """This year if the thing has begun by ``today``, else the most recent earlier year."""
    for year in range(today.year, today.year - 9, -1):  # 9 years: reaches a 2月29日
        d = first_day(year)
        if d is not None and d <= today:
            return year
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_period(year: int, month: int, today: date) -> Period:
    zh, en = f"{year}年{month}月", f"{_MONTH_EN[month - 1]} {year}"
    return _period(date(year, month, 1), _month_end(year, month), "month", today, zh, en)


def _quarter_period(year: int, q: int, today: date) -> Period:
    start = date(year, 3 * q - 2, 1)
    zh, en = f"{year}年{_CN_QUARTER[q - 1]}季度", f"Q{q} {year}"
    return _period(start, _month_end(year, 3 * q), "quarter", today, zh, en)


def _half_period(year: int, h: int, today: date) -> Period:
    start, end = (
        (date(year, 1, 1), date(year, 6, 30)) if h == 1 else (date(year, 7, 1), date(year, 12, 31))
    )
    zh, en = f"{year}年{'上' if h == 1 else '下'}半年", f"H{h} {year}"
    return _period(start, end, "range", today, zh, en)


def _year_period(year: int, today: date, zh: str | None = None, en: str | None = None) -> Period:
    return _period(
        date(year, 1, 1), date(year, 12, 31), "year", today, zh or f"{year}年", en or str(year)
    )


def _day_period(d: date) -> Period:
    return _day(d, _zh_day(d), _en_day(d))


# ---------------------------------------------------------------------------------------------
# Shifting (去年同期, 上月同期, 环比)


def _shift(period: Period, months: int) -> Period:
    """Move a period by whole months; a period of whole months stays whole (Feb 29 → Feb 28)."""
    start = _add_months(period.start, months)
    end = _add_months(period.end, months)
    whole = period.start.day == 1 and period.end == _month_end(period.end.year, period.end.month)
    if whole:
        end = _month_end(end.year, end.month)
    zh, en = _labels(start, end, period.granularity)
    return Period(start, end, period.granularity, period.point, zh, en)


def shift_year(period: Period, years: int = -1) -> Period:
    """The same period ``years`` years away (去年同期: ``years=-1``); labels are absolute dates."""
    return _shift(period, 12 * years)


def shift_months(period: Period, months: int = -1) -> Period:
    """The same period ``months`` months away (上月同期: ``months=-1``)."""
    return _shift(period, months)


def previous_period(period: Period) -> Period:
    """The period just before, of the same kind (环比): previous day, week, month, … or window."""
    g = period.granularity
    if g == "day":
        d = _prev_trading_day(period.start)
        return _day_period(d)
    if g == "week":
        start, end = period.start - timedelta(days=7), period.end - timedelta(days=7)
        zh, en = _labels(start, end, g)
        return Period(start, end, g, False, zh, en)
    if g in ("month", "quarter", "year"):
        return _shift(period, -{"month": 1, "quarter": 3, "year": 12}[g])
    length = (period.end - period.start).days + 1
    end = period.start - timedelta(days=1)
    start = end - timedelta(days=length - 1)
    zh, en = _labels(start, end, "range")
    return Period(start, end, "range", False, zh, en)


def _apply_compare(kind: CompareKind, main: Period) -> Period:
    if kind == "year":
        return shift_year(main, -1)
    if kind == "month":
        return shift_months(main, -1)
    if kind == "week":
        start, end = main.start - timedelta(days=7), main.end - timedelta(days=7)
        zh, en = _labels(start, end, main.granularity)
        return Period(start, end, main.granularity, main.point, zh, en)
    return previous_period(main)


_COMPARE_KIND = (
    ("month", re.compile(r"上个?月同期|month|m/m|\bmom\b", re.I)),
    ("week", re.compile(r"上周同期|week|w/w", re.I)),
    ("previous", re.compile(r"环比|previous\s+period|period[-\s](?:over|on)[-\s]period", re.I)),
)


def compare_kind(text: str) -> CompareKind:
    """The shift a compare expression means: 去年同期 → year, 上月同期 → month, 环比 → previous."""
    for kind, pattern in _COMPARE_KIND:
        if pattern.search(text):
            return kind  # type: ignore[return-value]
    return "year"


def compare_period(match: TimeMatch, main: Period) -> Period:
    """Apply a compare expression (去年同期, 上月同期, 环比 …) to ``main`` — e.g. a follow-up's."""
    return _apply_compare(compare_kind(match.text), main)


# ---------------------------------------------------------------------------------------------
# Numbers

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}  # fmt: skip
_EN_NUMBER = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18,
    "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip


def _number(s: str) -> float:
    """Arabic, Chinese (三十, 二十一, 一百八十, 两) or English (three) numerals; 半 is 0.5."""
    s = s.strip().lower()
    if s.isdigit():
        return int(s)
    if s == "半":
        return 0.5
    if s in _EN_NUMBER:
        return _EN_NUMBER[s]
    total = current = 0
    for ch in s:
        if ch in _CN_DIGIT:
            current = _CN_DIGIT[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def _en_month(word: str) -> int:
    word = word.lower()
    return next(i for i, name in enumerate(_MONTH_EN, 1) if name.lower().startswith(word[:3]))


# ---------------------------------------------------------------------------------------------
# Matches of the scan


@dataclass
class _Hit:
    """One primitive expression. ``rebuild`` re-resolves it in another year (no year written)."""

    period: Period
    start: int = 0
    end: int = 0
    compare: CompareKind | None = None
    rebuild: Callable[[int], Period] | None = None
    anchor: bool = True  # may be one end of a range or the base of a 'since'
    md: tuple[int, int, int] | None = None  # y, m, d of a day that names its month
    zh: bool = True


class _G:
    """Group access by a rule's local group names."""

    __slots__ = ("_m", "_p")

    def __init__(self, m: re.Match[str], prefix: str) -> None:
        self._m, self._p = m, prefix

    def __call__(self, name: str) -> str | None:
        key = self._p + name
        return self._m.group(key) if key in self._m.re.groupindex else None

    def whole(self) -> str:
        return self._m.group()


_Handler = Callable[[_G, date, str, int], "_Hit | None"]

_CN = "零〇一二两三四五六七八九十"
_YEAR4 = r"(?:19[5-9]\d|20\d\d)"
_LB_ZH = rf"(?<![\d.{_CN}第每同统单个这那上下本当某数几多前近])"
_LB_ZH_HALF = rf"(?<![.{_CN}第每同统单个这那上下本当某数几多前近])"
_YEARP = (
    rf"(?:(?P<y>{_YEAR4})\s*年(?:的)?|(?<!\d)(?P<y2>\d\d)年|"
    r"(?P<yr>今年|去年|前年|本年|上一年|上年)(?:的)?)\s*"
)
_MON_ZH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]|[一二三四五六七八九十])"
_DAY_ZH = (
    r"(?P<d>3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|"
    r"[一二三四五六七八九十])"
)
_MONTHS_EN = (
    r"(?P<mn>january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?![a-z])"
)
_DAY_EN = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_NUM_EN = (
    r"(?P<n>\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"eighteen|twenty|thirty|sixty|ninety|hundred)"
)
_NUM_ZH = rf"(?P<n>\d{{1,4}}|[{_CN}百]{{1,5}}|半)"
_UNIT_ZH = r"(?P<u>个?交易日|天|日|个?星期|个?礼拜|周|个?月|个?季度|年)"
_UNIT_EN = r"(?P<u>trading\s+days?|days?|weeks?|months?|quarters?|years?)"
_LA_EN = r"(?![a-z])"
_YEAR_REL = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "上一年": -1, "前年": -2}


def _year_of(g: _G, today: date) -> int | None:
    """The year written in a rule's year prefix (2024年, 24年, 今年, 去年 …), if any."""
    if g("y"):
        return int(g("y") or 0)
    if g("y2"):
        return 2000 + int(g("y2") or 0)
    rel = g("yr")
    if rel:
        return today.year + _YEAR_REL[rel]
    return None


# ---- rule handlers ---------------------------------------------------------------------------


def _h_compare_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    k = g("k") or ""
    kind: CompareKind = "year"
    label = ("去年同期", "same period last year")
    if "月" in k:
        kind, label = "month", ("上月同期", "same period last month")
    elif "周" in k:
        kind, label = "week", ("上周同期", "same period last week")
    elif k == "环比":
        kind, label = "previous", ("环比上期", "previous period")
    p = _day(today, *label)
    return _Hit(p, compare=kind, anchor=False)


def _h_compare_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    if g("mo"):
        kind, label = "month", ("上月同期", "same period last month")
    elif g("w"):
        kind, label = "week", ("上周同期", "same period last week")
    elif g("p"):
        kind, label = "previous", ("环比上期", "previous period")
    else:
        kind, label = "year", ("去年同期", "same period last year")
    return _Hit(_day(today, *label), compare=kind, anchor=False, zh=False)  # type: ignore[arg-type]


def _spring(year: int | None, today: date, zh_script: bool) -> _Hit | None:
    try:
        start = spring_festival_reopen(year) if year else reopen_on_or_before(today)
    except ValueError:
        return None
    if year:
        zh, en = f"{year}年春节后", f"after the {year} Spring Festival"
    else:
        zh, en = "春节后", "after the Spring Festival"
    end = today if start <= today else start
    return _Hit(Period(start, end, "range", False, zh, en), anchor=False, zh=zh_script)


def _h_spring_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _spring(_year_of(g, today), today, True)


def _h_spring_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _spring(int(g("ys")) if g("ys") else None, today, False)


def _month_day(year: int | None, m: int, d: int, today: date, zh: bool) -> _Hit | None:
    def build(y: int) -> Period | None:
        day = _safe_date(y, m, d)
        return _day_period(day) if day else None

    if year is None:
        year = _default_year(lambda y: _safe_date(y, m, d), today)
        if year is None:
            return None
        rebuild: Callable[[int], Period] | None = build  # type: ignore[assignment]
    else:
        rebuild = None
    p = build(year)
    if p is None:
        return None
    return _Hit(p, rebuild=rebuild, md=(year, m, d), zh=zh)


def _h_md_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _month_day(
        _year_of(g, today), int(_number(g("m") or "")), int(_number(g("d") or "")), today, True
    )


def _month_hit(year: int | None, m: int, today: date, zh: bool) -> _Hit | None:
    if not 1 <= m <= 12:
        return None
    if year is None:
        year = _default_year(lambda y: date(y, m, 1), today)
        assert year is not None
        return _Hit(
            _month_period(year, m, today), rebuild=lambda y: _month_period(y, m, today), zh=zh
        )
    return _Hit(_month_period(year, m, today), zh=zh)


_XUN = {"上旬": (1, 10, "early"), "中旬": (11, 20, "mid"), "下旬": (21, 31, "late")}


def _xun(p: Period, xun: str | None, today: date) -> Period:
    """Narrow a month to its 上旬 (1–10), 中旬 (11–20) or 下旬 (21–end)."""
    if not xun:
        return p
    first, last, en = _XUN[xun]
    start = p.start.replace(day=first)
    end = _month_end(start.year, start.month) if last == 31 else start.replace(day=last)
    return _period(start, end, "range", today, p.label_zh + xun, f"{en} {p.label_en}")


def _h_month_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    hit = _month_hit(_year_of(g, today), int(_number(g("m") or "")), today, True)
    xun = g("x")
    if hit is not None and xun:
        rebuild = hit.rebuild
        hit.period = _xun(hit.period, xun, today)
        if rebuild is not None:
            hit.rebuild = lambda y: _xun(rebuild(y), xun, today)
    return hit


def _first_months(year: int | None, last_month: int, today: date, zh: str, en: str) -> _Hit | None:
    """Jan 1 .. the end of ``last_month`` (1-10月, 前三季度, 今年前5个月): cumulative statistics.

    With no year written it is the most recent year in which ``last_month`` has begun.
    """
    if not 1 <= last_month <= 12:
        return None
    explicit = year is not None
    if year is None:
        year = _default_year(lambda y: date(y, last_month, 1), today)
        assert year is not None
    end = _month_end(year, last_month)
    if explicit or year != today.year:
        zh = f"{year}年{zh}"
        en = f"{en} {year}" if en.startswith("Jan") else f"{en} of {year}"
    return _Hit(_period(date(year, 1, 1), end, "range", today, zh, en))


def _h_month_span_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    m1, m2 = int(_number(g("m") or "")), int(_number(g("m2") or ""))
    if m1 > m2:
        return None
    year = _year_of(g, today)
    if m1 == 1:
        return _first_months(year, m2, today, f"1-{m2}月", f"Jan-{_MONTH_EN[m2 - 1][:3]}")
    a = _month_hit(year, m1, today, True)
    if a is None:
        return None
    if year is None:  # resolve by the end month: the most recent span that has begun
        year = _default_year(lambda y: date(y, m2, 1), today)
        assert year is not None
    start = date(year, m1, 1)
    p = _period(start, _month_end(year, m2), "range", today, f"{year}年{m1}-{m2}月",
                f"{_MONTH_EN[m1 - 1][:3]}-{_MONTH_EN[m2 - 1][:3]} {year}")  # fmt: skip
    return _Hit(p)


def _h_first_quarters_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    n = int(_number(g("n") or ""))
    return _first_months(_year_of(g, today), 3 * n, today, f"前{_CN_SMALL[n]}季度",
                         f"first {n} quarters")  # fmt: skip


def _h_first_months_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    n = int(_number(g("n") or ""))
    return _first_months(_year_of(g, today), n, today, f"前{n}个月", f"first {n} months")


def _quarter_hit(year: int | None, q: int, today: date, zh: bool) -> _Hit | None:
    if not 1 <= q <= 4:
        return None
    if year is None:
        year = _default_year(lambda y: date(y, 3 * q - 2, 1), today)
        assert year is not None
        return _Hit(
            _quarter_period(year, q, today), rebuild=lambda y: _quarter_period(y, q, today), zh=zh
        )
    return _Hit(_quarter_period(year, q, today), zh=zh)


def _h_quarter_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _quarter_hit(_year_of(g, today), int(_number(g("q") or "")), today, True)


def _half_hit(year: int | None, h: int, today: date, zh: bool) -> _Hit | None:
    if year is None:
        year = _default_year(lambda y: date(y, 1 if h == 1 else 7, 1), today)
        assert year is not None
        return _Hit(
            _half_period(year, h, today), rebuild=lambda y: _half_period(y, h, today), zh=zh
        )
    return _Hit(_half_period(year, h, today), zh=zh)


def _h_half_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _half_hit(_year_of(g, today), 1 if g("h") == "上" else 2, today, True)


def _h_year_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _Hit(_year_period(int(g("y") or 0), today))


def _h_iso_date(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _month_day(int(g("y") or 0), int(g("m") or 0), int(g("d") or 0), today, False)


def _h_iso_month(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _month_hit(int(g("y") or 0), int(g("m") or 0), today, False)


def _explicit_or_rel(g: _G, today: date) -> int | None:
    """Year from y/ys groups, or a relative 今年/去年/this year/last year."""
    for name in ("y", "ys"):
        if g(name):
            return int(g(name) or 0)
    rel = (g("yr") or "").replace(" ", "")
    if rel:
        return today.year - (1 if rel in ("去年", "lastyear") else 0)
    return None


def _h_q(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _quarter_hit(_explicit_or_rel(g, today), int(g("q") or 0), today, False)


_HYDROGEN_BEFORE = re.compile(r"(?:green|grey|gray|blue|clean|renewable|liquid|of)\s*$", re.I)
_HYDROGEN_AFTER = re.compile(
    r"\s*(?:steel|dri|based|production|economy|plant|project|gas|fuel|supply|pipeline|"
    r"injection|reduction|storage|demand|price)",
    re.I,
)


def _h_h(g: _G, today: date, text: str, s: int) -> _Hit | None:
    year = _explicit_or_rel(g, today)
    if year is None and (
        _HYDROGEN_BEFORE.search(text, max(0, s - 12), s) or _HYDROGEN_AFTER.match(text, s + 2)
    ):
        return None  # "green H2 steel" is hydrogen, not the second half
    return _half_hit(_explicit_or_rel(g, today), int(g("h") or 0), today, False)


_ORDINAL = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
}


def _h_ordinal_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    n = _ORDINAL[(g("o") or "").lower()]
    year = _explicit_or_rel(g, today)
    if (g("u") or "").lower() == "half":
        return _half_hit(year, n, today, False) if n <= 2 else None
    return _quarter_hit(year, n, today, False)


_MAY_CONTEXT = re.compile(
    r"(?<![a-z])(?:in|since|from|of|during|until|till|to|through|and|between|early|late|mid|by|"
    r"before|after|for)[\s-]+$",
    re.I,
)


def _may_ok(g: _G, text: str, s: int, day_after: bool) -> bool:
    """'may' is a month only with a year, a day after it, 'of may', or a preposition before it."""
    if (g("mn") or "").lower() != "may" or g("ys"):
        return True
    if day_after and g("d"):
        return True
    if re.search(r"\bof\s+may", g.whole(), re.I):
        return True
    return bool(_MAY_CONTEXT.search(text, max(0, s - 12), s))


def _h_dmy_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    if not _may_ok(g, text, s, day_after=False):
        return None
    year = int(g("ys")) if g("ys") else None
    return _month_day(year, _en_month(g("mn") or ""), int(g("d") or 0), today, False)


def _h_mdy_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    if not _may_ok(g, text, s, day_after=True):
        return None
    year = int(g("ys")) if g("ys") else None
    return _month_day(year, _en_month(g("mn") or ""), int(g("d") or 0), today, False)


def _h_my_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _month_hit(int(g("ys") or 0), _en_month(g("mn") or ""), today, False)


def _h_month_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    if not _may_ok(g, text, s, day_after=False):
        return None
    return _month_hit(None, _en_month(g("mn") or ""), today, False)


_YEAR_PREP = re.compile(
    r"(?<![a-z])(?:in|during|for|of|throughout|over|since|from|until|till|to|through|and|"
    r"between|year|fy)\s*$",
    re.I,
)


def _h_year_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    # A bare 4-digit number is a year only after a preposition: "in 2025", not "rebar 2050 yuan".
    if not _YEAR_PREP.search(text, max(0, s - 12), s):
        return None
    return _Hit(_year_period(int(g("ys") or 0), today), zh=False)


_MAX_DAYS_BACK = 100 * 366  # "近9999年" is not a period anyone has data for


def _rolling_days(n: float, unit: str) -> int:
    """Calendar days in 近N<unit>: week 7, month 365/12 (1 → 30, 3 → 91, 6 → 182), year 365."""
    u = unit.lower()
    if "季" in u or u.startswith("quarter"):
        return round(n * 3 * 365 / 12)
    if "月" in u or u.startswith("month"):
        return round(n * 365 / 12)
    if "年" in u or u.startswith("year"):
        return round(n * 365)
    if "周" in u or "星期" in u or "礼拜" in u or u.startswith("week"):
        return round(n * 7)
    return round(n)


def _rolling_labels(n: float, unit: str) -> tuple[str, str]:
    u = unit.lower()
    trading = "交易日" in u or u.startswith("trading")
    if trading:
        return f"近{n:g}个交易日", f"past {n:g} trading days"
    if u[0] in "天日d":
        return f"近{n:g}天", f"past {n:g} days"
    if n == 0.5:
        if "年" in u or u.startswith("year"):
            return "近半年", "past six months"
        if "月" in u or u.startswith("month"):
            return "近半个月", "past half month"
    zh_unit, en_unit = "周", "week"
    for marks, z, e in (
        ("季q", "个季度", "quarter"),
        ("月m", "个月", "month"),
        ("年y", "年", "year"),
    ):
        if u[0] in marks or marks[0] in u:
            zh_unit, en_unit = z, e
            break
    count = _CN_SMALL[int(n)] if n == int(n) and 1 <= n <= 10 else f"{n:g}"
    en = f"past {en_unit}" if n == 1 else f"past {n:g} {en_unit}s"
    return f"近{count}{zh_unit}", en


def _rolling(n: float, unit: str, today: date, zh: bool) -> _Hit | None:
    if n <= 0 or n * _rolling_days(1, unit) > _MAX_DAYS_BACK:
        return None
    u = unit.lower()
    if "交易日" in u or u.startswith("trading"):
        if n != int(n) or n > 2000:
            return None
        start = _prev_trading_day(today, int(n))
    else:
        start = today - timedelta(days=_rolling_days(n, unit))
    zh_label, en_label = _rolling_labels(n, unit)
    return _Hit(Period(start, today, "range", False, zh_label, en_label), anchor=False, zh=zh)


def _h_rolling_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _rolling(_number(g("n") or ""), g("u") or "", today, True)


def _h_rolling_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _rolling(_number(g("n") or ""), g("u") or "", today, False)


def _h_rolling_en1(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _rolling(1, g("u") or "", today, False)


def _ago(n: float, unit: str, today: date, zh: bool) -> _Hit | None:
    if n <= 0 or n * _rolling_days(1, unit) > _MAX_DAYS_BACK:
        return None
    u = unit.lower()
    if "交易日" in u or u.startswith("trading"):
        d = _prev_trading_day(today, int(n))
    elif "月" in u or u.startswith("month"):
        d = (
            _add_months(today, -round(n))
            if n == int(n)
            else today - timedelta(days=_rolling_days(n, u))
        )
    elif "年" in u or u.startswith("year"):
        d = (
            _add_months(today, -12 * round(n))
            if n == int(n)
            else today - timedelta(days=_rolling_days(n, u))
        )
    else:
        d = today - timedelta(days=_rolling_days(n, u))
    return _Hit(_day_period(d), zh=zh)


def _h_ago_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _ago(_number(g("n") or ""), g("u") or "", today, True)


def _h_ago_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _ago(_number(g("n") or ""), g("u") or "", today, False)


def _h_today(g: _G, today: date, text: str, s: int) -> _Hit | None:
    k = (g("k") or "").lower()
    if k in ("最新", "latest"):
        return _Hit(_day(today, "最新", "latest"), zh=k == "最新")
    return _Hit(_day(today, "今天", "today"), zh=not k.isascii())


def _h_yesterday(g: _G, today: date, text: str, s: int) -> _Hit | None:
    k = (g("k") or "").lower()
    if "前" in k or "before" in k:
        return _Hit(_day(_prev_trading_day(today, 2), "前天", "the day before yesterday"))
    return _Hit(_day(_prev_trading_day(today), "昨天", "yesterday"), zh=not k.isascii())


def _weekday(today: date, weekday: int, weeks_back: int, zh: str, en: str) -> _Hit:
    monday = today - timedelta(days=today.weekday() + 7 * weeks_back)
    d = monday + timedelta(days=weekday)
    if weeks_back == 0 and d > today:
        d -= timedelta(days=7)
    return _Hit(_day(d, zh, en))


def _weeks_back(k: str) -> int:
    k = k.lower()
    if k.startswith("上上"):
        return 2
    return 1 if k.startswith(("上", "last", "previous")) else 0


def _h_weekday_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    ch = g("d") or ""
    wd = int(ch) - 1 if ch.isdigit() else (6 if ch == "天" else _WEEKDAY_ZH.index(ch))
    if wd > 6:
        return None
    back = _weeks_back(g("k") or "")
    prefix = {0: "", 1: "上", 2: "上上"}[back]
    en_prefix = {0: "", 1: "last ", 2: "the week before last, "}[back]
    return _weekday(today, wd, back, f"{prefix}周{_WEEKDAY_ZH[wd]}", en_prefix + _WEEKDAY_EN[wd])


def _h_weekday_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    wd = [w.lower() for w in _WEEKDAY_EN].index((g("d") or "").lower())
    back = _weeks_back(g("k") or "")
    hit = _weekday(
        today, wd, back, f"{'上' if back else ''}周{_WEEKDAY_ZH[wd]}",
        f"{'last ' if back else ''}{_WEEKDAY_EN[wd]}",
    )  # fmt: skip
    hit.zh = False
    return hit


def _week_hit(back: int, today: date, zh: bool) -> _Hit:
    monday = today - timedelta(days=today.weekday() + 7 * back)
    labels = {
        0: ("本周", "this week"),
        1: ("上周", "last week"),
        2: ("上上周", "the week before last"),
    }
    return _Hit(_period(monday, monday + timedelta(days=6), "week", today, *labels[back]), zh=zh)


def _h_week_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _week_hit(_weeks_back(g("k") or ""), today, True)


def _h_week_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    back = 2 if g("k2") else (0 if g("k3") else _weeks_back(g("k") or ""))
    return _week_hit(back, today, False)


def _month_rel_hit(back: int, today: date, zh: bool) -> _Hit:
    first = _add_months(today.replace(day=1), -back)
    labels = {
        0: ("本月", "this month"),
        1: ("上个月", "last month"),
        2: ("上上个月", "the month before last"),
    }
    end = _month_end(first.year, first.month)
    return _Hit(_period(first, end, "month", today, *labels[back]), zh=zh)


def _h_month_rel_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    hit = _month_rel_hit(_weeks_back(g("k") or ""), today, True)
    hit.period = _xun(hit.period, g("x"), today)
    return hit


def _h_month_to_date_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _month_rel_hit(0, today, True)


def _h_month_rel_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    back = 2 if g("k2") else (0 if g("k3") else _weeks_back(g("k") or ""))
    return _month_rel_hit(back, today, False)


def _quarter_rel_hit(back: int, today: date, zh: bool) -> _Hit:
    first = _add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), -3 * back)
    end = _month_end(first.year, first.month + 2)
    labels = {0: ("本季度", "this quarter"), 1: ("上季度", "last quarter")}
    return _Hit(_period(first, end, "quarter", today, *labels[back]), zh=zh)


def _h_quarter_rel_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _quarter_rel_hit(min(1, _weeks_back(g("k") or "")), today, True)


def _h_quarter_rel_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    back = 0 if g("k3") else min(1, _weeks_back(g("k") or ""))
    return _quarter_rel_hit(back, today, False)


def _ytd(today: date, zh: bool) -> _Hit:
    p = Period(date(today.year, 1, 1), today, "range", False, "年初至今", "year to date")
    return _Hit(p, anchor=False, zh=zh)


def _h_ytd_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _ytd(today, True)


def _h_ytd_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    return _ytd(today, False)


def _h_year_rel_zh(g: _G, today: date, text: str, s: int) -> _Hit | None:
    k = g("k") or ""
    back = 2 if k == "前年" else (0 if k.startswith(("今", "本")) else 1)
    labels = {
        0: ("今年", "this year"),
        1: ("去年", "last year"),
        2: ("前年", "the year before last"),
    }
    return _Hit(_year_period(today.year - back, today, *labels[back]))


def _h_year_rel_en(g: _G, today: date, text: str, s: int) -> _Hit | None:
    back = 2 if g("k2") else _weeks_back(g("k") or "")
    labels = {
        0: ("今年", "this year"),
        1: ("去年", "last year"),
        2: ("前年", "the year before last"),
    }
    return _Hit(_year_period(today.year - back, today, *labels[back]), zh=False)


# ---- the rule table (order matters where two rules can start at the same character) ----------

_KW_WEEK = r"(?:周|星期|礼拜)"
_REL_PREFIX = r"(?P<k>上上个?|上个|上一个?|上|本|这个?|这一|当)"
_LB_WEEK = rf"(?<![每隔\d{_CN}几上下本这个])"

_RULES: list[tuple[str, _Handler]] = [
    # compare expressions first: 去年同期 must beat 去年, 上月同期 must beat 上月
    (
        rf"(?<![\d{_CN}])(?P<k>同比去年|去年同期|上年同期|去年的?这个时候|去年此时|一年前|"
        r"上个?月同期|上周同期|同比|环比)",
        _h_compare_zh,
    ),
    (
        r"(?:(?P<y>(?:the\s+)?same\s+(?:period|time|day|date)\s+(?:of\s+|in\s+)?last\s+year"
        r"|this\s+time\s+last\s+year|(?:a|one|1)\s+year\s+ago"
        r"|year[-\s](?:over|on)[-\s]year|yoy|y/y|y-o-y)|(?P<mo>same\s+(?:period|time)\s+(?:of\s+)?"
        r"last\s+month|month[-\s](?:over|on)[-\s]month|mom|m/m)|(?P<w>same\s+(?:period|time)\s+"
        r"(?:of\s+)?last\s+week|week[-\s](?:over|on)[-\s]week|w/w)|(?P<p>(?:the\s+)?previous\s+"
        r"period|period[-\s](?:over|on)[-\s]period))" + _LA_EN,
        _h_compare_en,
    ),
    # Spring Festival
    (
        rf"(?:{_YEARP})?(?:春节|农历新年|过年)(?:假期|长假)?(?:以后|之后|过后|后|以来|至今)"
        r"|(?<![庆秋动午明旦宵])节后",
        _h_spring_zh,
    ),
    (
        rf"(?:after|since|post)[-\s]+(?:the\s+)?(?:(?P<ys>{_YEAR4})\s+)?(?:spring\s+"
        r"festival|chinese\s+new\s+year|lunar\s+new\s+year|cny)(?:\s+holidays?)?" + _LA_EN,
        _h_spring_en,
    ),
    # quarters and halves: Q1, 2025Q1, 2025年Q1, Q1 2025, H1, first half of 2025
    (
        rf"(?<![a-z0-9])(?:(?P<y>{_YEAR4})\s*年?\s*|(?P<yr>今年|去年))?q(?P<q>[1-4])(?![0-9])"
        rf"(?:\s*(?:of\s+)?(?P<ys>{_YEAR4})(?!\d))?",
        _h_q,
    ),
    (
        rf"(?<![a-z0-9])(?:(?P<y>{_YEAR4})\s*年?\s*|(?P<yr>今年|去年))?h(?P<h>[12])(?![a-z0-9-])"
        rf"(?:\s*(?:of\s+)?(?P<ys>{_YEAR4})(?!\d))?",
        _h_h,
    ),
    # Chinese dates, quarters, halves, months (optionally with a year: 2024年, 24年, 去年)
    (rf"{_LB_ZH}(?:{_YEARP})?{_MON_ZH}月{_DAY_ZH}[日号]", _h_md_zh),
    (rf"{_LB_ZH}(?:{_YEARP})?第?(?P<q>[一二三四1-4])季度", _h_quarter_zh),
    # Digits may precede: "普氏62上半年" (the 62 belongs to the product name).
    (rf"{_LB_ZH_HALF}(?:{_YEARP})?(?P<h>上|下)半年度?", _h_half_zh),
    (rf"{_LB_ZH}(?:{_YEARP})?{_MON_ZH}月份?(?P<x>上旬|中旬|下旬)?", _h_month_zh),
    (
        rf"{_LB_ZH}(?:{_YEARP})?{_MON_ZH}\s*(?:-|~|～|—|–|至|到)\s*"
        + _MON_ZH.replace("(?P<m>", "(?P<m2>")
        + "月份?",
        _h_month_span_zh,
    ),
    (rf"{_LB_ZH}(?:{_YEARP})?前(?P<n>[一二两三1-3])个?季度", _h_first_quarters_zh),
    (
        rf"(?:{_YEARP})前(?P<n>1[0-2]|[1-9]|十[一二]?|[一二两三四五六七八九])个?月(?:份)?",
        _h_first_months_zh,
    ),
    (rf"(?<![\d.])(?P<y>{_YEAR4})\s*年(?:度|全年|初)?(?!\d)", _h_year_zh),
    # numeric dates: 2024-03-15, 2024/3/15, 2024.3.15; months: 2024-03, 2024/3
    (
        rf"(?<![\d.])(?P<y>{_YEAR4})(?P<s>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=s)"
        r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)",
        _h_iso_date,
    ),
    (rf"(?<![\d.])(?P<y>{_YEAR4})[-/](?P<m>1[0-2]|0?[1-9])(?!\d|[-/.]\d)", _h_iso_month),
    (
        r"(?:the\s+)?(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<u>quarter|"
        rf"half)(?:\s+of)?(?:\s+(?:(?P<ys>{_YEAR4})|(?P<yr>this\s+year|last\s+year)))?" + _LA_EN,
        _h_ordinal_en,
    ),
    # English dates: 15 March 2024, March 15, 2024, March 2024, March
    (
        rf"(?<![a-z0-9])(?:the\s+)?{_DAY_EN}\s+(?:of\s+)?{_MONTHS_EN}\.?"
        rf"(?:,?\s+(?P<ys>{_YEAR4})(?!\d))?",
        _h_dmy_en,
    ),
    (
        rf"{_MONTHS_EN}\.?\s+(?:the\s+)?{_DAY_EN}(?![\d:%a-z]|\.\d)"
        rf"(?:,?\s+(?P<ys>{_YEAR4})(?!\d))?",
        _h_mdy_en,
    ),
    (rf"{_MONTHS_EN}\.?,?\s+(?:of\s+)?(?P<ys>{_YEAR4})(?!\d)", _h_my_en),
    (rf"{_MONTHS_EN}", _h_month_en),
    (rf"(?<![\w.$¥])(?P<ys>{_YEAR4})(?![\w%]|[.,]\d)", _h_year_en),
    # rolling windows and 'ago'
    (
        rf"(?P<pre>最近|近|过去的?|在过去的?)\s*{_NUM_ZH}\s*{_UNIT_ZH}(?:以来|来|之内|内|里)?",
        _h_rolling_zh,
    ),
    (rf"(?<![\d.{_CN}近过最第])(?<!过去){_NUM_ZH}\s*{_UNIT_ZH}(?:以前|之前|前)(?!天)", _h_ago_zh),
    (rf"(?<![\d.{_CN}近过最第前])(?<!过去){_NUM_ZH}\s*{_UNIT_ZH}(?:之内|以内|内)", _h_rolling_zh),
    (
        r"(?:(?:in|over|during|for|within)\s+)?(?:the\s+)?(?:past|last|previous|recent|"
        rf"prior)\s+{_NUM_EN}\s+{_UNIT_EN}" + _LA_EN,
        _h_rolling_en,
    ),
    (
        r"(?:(?:in|over|during|for|within)\s+)?(?:the\s+)?past\s+(?P<u>week|month|quarter|"
        r"year)" + _LA_EN,
        _h_rolling_en1,
    ),
    (r"(?<![\w.-])(?P<n>\d{1,3})[-\s](?P<u>day|week|month)(?![a-z])", _h_rolling_en),
    (
        rf"(?<![a-z0-9]){_NUM_EN[:-1]}|a|an)\s+(?P<u>trading\s+days?|days?|weeks?|months?|years?)"
        r"\s+ago" + _LA_EN,
        _h_ago_en,
    ),
    # today, yesterday
    (r"(?P<k>今天|今日|当日|当天|现在|目前|当前|此刻|最新)", _h_today),
    (
        r"(?P<k>today|right\s+now|now|currently|current|latest|at\s+present|presently|"
        r"as\s+of\s+today)(?:'s)?" + _LA_EN,
        _h_today,
    ),
    (r"(?P<k>昨天|昨日|(?<![目当提之以事日空眼跟面向])前天(?![然数]))", _h_yesterday),
    (
        r"(?P<k>(?:the\s+)?day\s+before\s+yesterday|yesterday)(?:'s)?" + _LA_EN,
        _h_yesterday,
    ),
    # weekdays, weeks, months, quarters, years relative to today
    (
        rf"{_LB_WEEK}(?P<k>上上个?|上个|上一个?|上|本|这个?|这一)?{_KW_WEEK}(?P<d>[一二三四五六日天1-7])"
        r"(?![个十百千天日月年周次位名家种倍成点期\d%])",
        _h_weekday_zh,
    ),
    (
        r"(?:(?P<k>last|previous|this|on|past)\s+)?(?P<d>monday|tuesday|wednesday|"
        r"thursday|friday|saturday|sunday)(?:'s)?" + _LA_EN,
        _h_weekday_en,
    ),
    (rf"{_LB_WEEK}{_REL_PREFIX}{_KW_WEEK}(?![期末])", _h_week_zh),
    (
        r"(?:(?P<k>this|last|previous|current)\s+week|(?P<k2>the\s+week\s+before\s+last)"
        r"|(?P<k3>week[-\s]to[-\s]date|wtd))" + _LA_EN,
        _h_week_en,
    ),
    (rf"(?<![上下本这个当每同])(?:{_REL_PREFIX})月份?(?P<x>上旬|中旬|下旬)?", _h_month_rel_zh),
    (r"(?<![上下本这个当每同年])月初(?:至今|以来|到现在|到目前)", _h_month_to_date_zh),
    (
        r"(?:(?P<k>this|last|previous|current)\s+month|(?P<k2>the\s+month\s+before\s+"
        r"last)|(?P<k3>month[-\s]to[-\s]date|mtd))" + _LA_EN,
        _h_month_rel_en,
    ),
    (r"(?P<k>上个?|上一个?|本|这个?|这一|当)季度?(?!节)", _h_quarter_rel_zh),
    (
        r"(?:(?P<k>this|last|previous|current)\s+quarter|(?P<k3>quarter[-\s]to[-\s]date|"
        r"qtd))" + _LA_EN,
        _h_quarter_rel_en,
    ),
    (r"年初(?:至今|以来|到现在|到今天|到目前)|(?:今年|本年度?)(?:以来|至今|到现在)", _h_ytd_zh),
    (
        r"(?:ytd|year[-\s]to[-\s]date|so\s+far\s+this\s+year|this\s+year\s+so\s+far|since"
        r"\s+the\s+(?:start|beginning)\s+of\s+(?:the|this)\s+year)" + _LA_EN,
        _h_ytd_en,
    ),
    (rf"(?<![\d{_CN}提])(?P<k>今年|本年度?|去年|上年度?|上一年|前年)(?:全年|度)?", _h_year_rel_zh),
    (
        r"(?:(?P<k>this|last|previous|current)\s+year|(?P<k2>the\s+year\s+before\s+last))" + _LA_EN,
        _h_year_rel_en,
    ),
]


# The gate: where any rule can start. Every rule is tried only at these positions, so a
# question with no time in it ("哪个城市的螺纹最便宜", "Which city has the cheapest rebar?") costs
# one cheap look per character. Keep it in step with the rules' first words (a test compares
# the gated scan with an ungated one).
_GATE_ZH = (
    r"今[天日年]|昨[天日]|前[天年一二两三四五六七八九十\d]|月初|当[日天前月周季星礼]|现在|目前|此刻|最[近新]|上[上个一周星礼月年季半]|下半"
    r"|本[周星礼月季年]|这[周个一星礼月季]|近|过[去年]|去年|同比|环比|春节|农历|节后|第[一二三四1-4]"
    rf"|周|星期|礼拜|在过去|年初|半[年个]|[{_CN}][{_CN}百月季年天周个日星礼交前上下]|\d"
)
_GATE_EN = (
    r"same\s|(?:a|an|one|1)\s+(?:year|day|week|month|trading)|year[-\s]|yoy|y/y|y-o-y"
    r"|month[-\s]|mom(?![a-z])|m/m|week[-\s]|w/w|the\s|previous\s|period[-\s]|after[-\s]"
    r"|since\s|post[-\s]|q[1-4]|h[12]|(?:first|second|third|fourth)\s"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|(?:in|over|during|for|within)\s+(?:the\s+)?(?:past|last|previous|recent|prior)\s"
    r"|(?:past|last|recent|prior|this|current)\s|today|right\s|now(?![a-z])|current|latest"
    r"|at\s+present|presently|as\s+of|day\s|yesterday|on\s|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|ytd|so\s+far|quarter[-\s]|qtd|wtd|mtd"
    r"|(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty"
    r"|thirty|sixty|ninety|hundred)\s"
)
_GATE = rf"(?:(?<![a-z])(?={_GATE_EN})|(?={_GATE_ZH}))"


def _compile(gate: str = _GATE) -> tuple[re.Pattern[str], list[tuple[str, _Handler]]]:
    """The scan: every rule with its groups renamed apart, behind ``gate`` (tests pass "")."""
    parts, handlers = [], []
    for i, (pattern, handler) in enumerate(_RULES):
        prefix = f"r{i}_"
        local = pattern.replace("(?P<", f"(?P<{prefix}").replace("(?P=", f"(?P={prefix}")
        # The rule's tag group comes last: it closes last, so it is the match's lastgroup, and
        # the rule still starts with its own first character (the regex engine then skips
        # alternatives whose first literal does not match without entering them).
        parts.append(f"(?:{local})(?P<r{i}>)")
        handlers.append((prefix, handler))
    return re.compile(gate + "(?:" + "|".join(parts) + ")"), handlers


_SCAN, _HANDLERS = _compile()

# ---- second pass: ranges and 'since' ---------------------------------------------------------

_RANGE_PRE = re.compile(r"(?:从|自|由|(?<![a-z])(?:from|between))\s*$", re.I)
_RANGE_CONN = re.compile(
    r"\s*(?:到|至|~|～|-|–|—|－|(?<![a-z])(?:to|through|thru|until|till|and)(?![a-z]))\s*", re.I
)
_RANGE_SUF = re.compile(r"\s*(?:之间|期间|这段时间)")
_DAY_ONLY_ZH = re.compile(rf"\s*(?:到|至|~|～|-|–|—|－)\s*{_DAY_ZH}[日号]")
_DAY_ONLY_EN = re.compile(
    r"\s*(?:-|–|—|~|(?<![a-z])(?:to|through|thru|until|till)(?![a-z]))\s*(?:the\s+)?"
    r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d.%a-z])",
    re.I,
)
_SINCE_PRE = re.compile(
    r"(?:自从|打从|自|从|(?<![a-z])(?:since|from|starting(?:\s+(?:from|in))?))\s*$", re.I
)
_SINCE_SUF = re.compile(
    r"\s*(?:以来|至今|到现在|到目前为止|到目前|迄今为止|迄今|开始|起|(?<![a-z])(?:to\s+date|until\s+"
    r"now|till\s+now|so\s+far|onwards?)(?![a-z]))",
    re.I,
)


def _join(a: _Hit, b: _Hit, today: date) -> Period | None:
    """Period from the start of ``a`` to the end of ``b``; a side with no year takes the other's."""
    pa, pb = a.period, b.period
    if a.rebuild:  # no year on the left: it takes the right side's (the most recent range)
        pa = a.rebuild(pb.start.year) or pa
        if pa.start > pb.start:
            pa = a.rebuild(pb.start.year - 1) or pa
    elif b.rebuild:  # 2024年3月到5月: the right side takes the left side's year
        pb = b.rebuild(pa.start.year) or pb
        if pb.end < pa.start:
            pb = b.rebuild(pa.start.year + 1) or pb
    if pa.start > pb.end:
        return None
    end = min(pb.end, today) if pa.start <= today else pb.end
    return Period(
        pa.start,
        end,
        "range",
        False,
        f"{pa.label_zh}至{pb.label_zh}",
        f"{pa.label_en} to {pb.label_en}",
    )


def _day_only_end(hit: _Hit, text: str, limit: int) -> tuple[Period, int] | None:
    """'3月1日到15日', 'March 1-15': the second day keeps the first one's month and year."""
    if hit.md is None:
        return None
    m = (_DAY_ONLY_ZH if hit.zh else _DAY_ONLY_EN).match(text, hit.end)
    if m is None or m.end() > limit:
        return None
    y, mo, _ = hit.md
    end = _safe_date(y, mo, int(_number(m.group("d"))))
    if end is None or end < hit.period.start:
        return None
    a = hit.period
    p = Period(
        a.start,
        end,
        "range",
        False,
        f"{a.label_zh}至{_zh_day(end)}",
        f"{a.label_en} to {_en_day(end)}",
    )
    return p, m.end()


def _combine(hits: list[_Hit], text: str, today: date) -> list[_Hit]:
    out: list[_Hit] = []
    i = 0
    while i < len(hits):
        a = hits[i]
        nxt = hits[i + 1] if i + 1 < len(hits) else None
        limit = nxt.start if nxt else len(text)
        if a.anchor and nxt is not None and nxt.anchor:
            conn = _RANGE_CONN.fullmatch(text, a.end, nxt.start)
            pre = _RANGE_PRE.search(text, max(0, a.start - 10), a.start)
            between = pre is not None and pre.group().strip().lower() == "between"
            is_and = conn is not None and conn.group().strip().lower() == "and"
            if conn and (between or not is_and):
                joined = _join(a, nxt, today)
                if joined is not None:
                    start = pre.start() if pre else a.start
                    suf = _RANGE_SUF.match(text, nxt.end)
                    end = suf.end() if suf else nxt.end
                    out.append(_Hit(joined, start, end, anchor=False))
                    i += 2
                    continue
        if a.anchor:
            day_only = _day_only_end(a, text, limit)
            if day_only is not None:
                pre = _RANGE_PRE.search(text, max(0, a.start - 10), a.start)
                out.append(
                    _Hit(day_only[0], pre.start() if pre else a.start, day_only[1], anchor=False)
                )
                i += 1
                continue
            pre = _SINCE_PRE.search(text, max(0, a.start - 16), a.start)
            suf = _SINCE_SUF.match(text, a.end, limit)
            if (pre or suf) and a.period.start <= today:
                p = a.period
                zh = f"{p.label_zh}以来"
                en = f"since {p.label_en}"
                since = Period(p.start, today, "range", False, zh, en)
                out.append(
                    _Hit(
                        since,
                        pre.start() if pre else a.start,
                        suf.end() if suf else a.end,
                        anchor=False,
                    )
                )
                i += 1
                continue
        out.append(a)
        i += 1
    return out


# ---------------------------------------------------------------------------------------------

# One length-preserving pass: full-width ASCII → ASCII, A–Z → a–z (spans stay valid).
_NORMALIZE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_NORMALIZE.update({c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)})
_NORMALIZE.update({c: c + 32 for c in range(0x41, 0x5B)})
_NORMALIZE[0x3000] = 0x20


def find_times(text: str, today: date) -> list[TimeMatch]:
    """All time expressions in ``text``, left to right, non-overlapping, resolved against ``today``.

    Expressions such as 去年同期 / same period last year / 上月同期 / 环比 come back with relation
    "compare" and a period already applied to the question's first main period (or to today
    when the question names none).
    """
    norm = text.translate(_NORMALIZE)
    hits: list[_Hit] = []
    for m in _SCAN.finditer(norm):
        name = m.lastgroup or ""
        prefix, handler = _HANDLERS[int(name[1:])]
        hit = handler(_G(m, prefix), today, norm, m.start())
        if hit is not None:
            hit.start, hit.end = m.start(), m.end()
            hits.append(hit)
    if not hits:
        return []
    if len(hits) > 1 or hits[0].anchor:
        hits = _combine(hits, norm, today)
    main = next((h.period for h in hits if h.compare is None), None)
    base = main or _day(today, "今天", "today")
    out = []
    for h in hits:
        period, relation = h.period, "main"
        if h.compare is not None:
            shifted = _apply_compare(h.compare, base)
            period = Period(
                shifted.start, shifted.end, shifted.granularity, shifted.point,
                h.period.label_zh, h.period.label_en,
            )  # fmt: skip
            relation = "compare"
        out.append(TimeMatch(period, (h.start, h.end), text[h.start : h.end], relation))  # type: ignore[arg-type]
    return out


__all__ = [
    "CompareKind",
    "Granularity",
    "Period",
    "TimeMatch",
    "compare_kind",
    "compare_period",
    "find_times",
    "previous_period",
    "shift_months",
    "shift_year",
]
