from datetime import date

import numpy as np

from steelsage.demo import is_trading_day, spring_festival, trading_days
from steelsage.demo.calendar import days_since_festival, in_lull


def test_holidays_weekends_and_makeup_days_are_closed() -> None:
    days = set(trading_days(date(2026, 1, 1), date(2026, 12, 31)))
    assert date(2026, 2, 17) not in days  # Spring Festival
    assert date(2026, 10, 1) not in days  # National Day
    assert date(2026, 2, 14) not in days  # a Saturday make-up workday: exchanges closed
    assert all(d.weekday() < 5 for d in days)
    assert date(2026, 11, 24) in days
    assert 240 <= len(days) <= 250


def test_range_is_inclusive_and_sorted() -> None:
    days = trading_days(date(2026, 11, 20), date(2026, 11, 25))
    assert days == [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]


def test_years_beyond_the_official_data_use_the_fallback() -> None:
    assert not is_trading_day(date(2027, 10, 1))
    assert not is_trading_day(date(2027, 2, 8))  # Spring Festival week 2027
    assert is_trading_day(date(2027, 3, 1))


def test_lull_window_around_the_festival() -> None:
    days = trading_days(date(2026, 1, 20), date(2026, 3, 20))
    mask = in_lull(days)
    lull = {d for d, m in zip(days, mask, strict=True) if m}
    assert spring_festival(2026) == date(2026, 2, 17)
    assert date(2026, 2, 10) in lull and date(2026, 2, 26) in lull
    assert date(2026, 1, 30) not in lull and date(2026, 3, 10) not in lull
    since = days_since_festival([date(2026, 2, 27), date(2026, 1, 5)])
    assert np.array_equal(since, [10, (date(2026, 1, 5) - date(2025, 1, 29)).days])
