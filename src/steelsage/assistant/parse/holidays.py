"""When the market reopens after the Spring Festival (春节后 / after Chinese New Year).

"春节后涨了多少" is measured from the first market day after the holiday, so the date must follow
the official holiday block, which moves every year (and was extended in 2020). The block comes
from the ``chinese_calendar`` package where it has official data; for later years the market
calendar's fallback (Lunar New Year's eve to the fifth day) gives the same answer, because the
first market day on or after 正月初一 is by construction the first one after the holiday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar.constants import Holiday

from steelsage.catalog import next_trading_day
from steelsage.catalog.calendar import spring_festival

_FIRST_YEAR, _LAST_YEAR = 2004, 2035


@lru_cache(maxsize=1)
def _official_blocks() -> dict[int, tuple[date, date]]:
    """Spring Festival holiday (first, last day) per year from the official data."""
    blocks: dict[int, tuple[date, date]] = {}
    name = Holiday.spring_festival.value
    for day, holiday in chinese_calendar.holidays.items():
        if holiday != name:
            continue
        first, last = blocks.get(day.year, (day, day))
        blocks[day.year] = (min(first, day), max(last, day))
    return blocks


@lru_cache(maxsize=64)
def spring_festival_reopen(year: int) -> date:
    """First market day after the Spring Festival holiday of ``year`` (2004–2035).

    Raises ``ValueError`` outside that range, naming the years that are covered.
    """
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(
            f"no Spring Festival date for {year}; ask about a year from {_FIRST_YEAR} to "
            f"{_LAST_YEAR}"
        )
    block = _official_blocks().get(year)
    if block is not None:
        return next_trading_day(block[1] + timedelta(days=1))
    return next_trading_day(spring_festival(year))


def reopen_on_or_before(today: date) -> date:
    """The most recent market reopening after a Spring Festival, as of ``today``.

    Before this year's market has reopened (in January, or during the holiday) that is the
    previous year's reopening.
    """
    reopen = spring_festival_reopen(today.year)
    return reopen if reopen <= today else spring_festival_reopen(today.year - 1)


__all__ = ["reopen_on_or_before", "spring_festival_reopen"]
