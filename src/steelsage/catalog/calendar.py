"""The Chinese market calendar: which days prices are assessed and published.

A market day is a Monday–Friday that is an official workday. Statutory holidays are closed,
and so are the weekend make-up workdays (调休上班): exchanges and most traders stay shut on
them. Official data come from the ``chinese_calendar`` package; for years it does not cover the
fallback is weekdays minus New Year, Spring Festival week, Labour Day and National Day.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

# 正月初一 (Lunar New Year's day), 2004–2035.
SPRING_FESTIVAL: dict[int, date] = {
    y: date.fromisoformat(s)
    for y, s in {
        2004: "2004-01-22", 2005: "2005-02-09", 2006: "2006-01-29", 2007: "2007-02-18",
        2008: "2008-02-07", 2009: "2009-01-26", 2010: "2010-02-14", 2011: "2011-02-03",
        2012: "2012-01-23", 2013: "2013-02-10", 2014: "2014-01-31", 2015: "2015-02-19",
        2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05",
        2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22",
        2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
        2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03", 2031: "2031-01-23",
        2032: "2032-02-11", 2033: "2033-01-31", 2034: "2034-02-19", 2035: "2035-02-08",
    }.items()
}  # fmt: skip


def spring_festival(year: int) -> date:
    """Lunar New Year's day of ``year``."""
    try:
        return SPRING_FESTIVAL[year]
    except KeyError:
        raise ValueError(
            f"no Spring Festival date for {year}; the market calendar covers 2004–2035"
        ) from None


def _fallback_is_workday(d: date) -> bool:
    if d.weekday() >= 5:
        return False
    sf = SPRING_FESTIVAL.get(d.year)  # outside the table: no festival week is known
    closed = (
        (d.month == 1 and d.day == 1)
        or (d.month == 5 and d.day <= 5)
        or (d.month == 10 and d.day <= 7)
        or (sf is not None and sf - timedelta(days=1) <= d <= sf + timedelta(days=5))
    )
    return not closed


def is_trading_day(d: date) -> bool:
    """True on weekdays that are official workdays (no holidays, no make-up weekends)."""
    if d.weekday() >= 5:
        return False
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # year outside the package's official data
        return _fallback_is_workday(d)


def trading_days(start: date, end: date) -> list[date]:
    """All trading days from ``start`` to ``end`` inclusive, ascending."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}; swap them")
    n = (end - start).days + 1
    return [d for d in (start + timedelta(days=i) for i in range(n)) if is_trading_day(d)]


def next_trading_day(d: date) -> date:
    """``d`` itself if it is a trading day, else the next one."""
    for _ in range(40):
        if is_trading_day(d):
            return d
        d += timedelta(days=1)
    raise ValueError(f"no trading day within 40 days after {d}")


def trading_days_between(start: date, end: date) -> int:
    """Trading days in (start, end]."""
    n, d = 0, start + timedelta(days=1)
    while d <= end:
        n += is_trading_day(d)
        d += timedelta(days=1)
    return n
