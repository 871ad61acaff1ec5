"""The demo market's calendar: the market calendar of :mod:`steelsage.catalog.calendar`
plus the Spring Festival lull, when trading thins out."""

from __future__ import annotations

from datetime import date

import numpy as np

from steelsage.catalog.calendar import (
    SPRING_FESTIVAL,
    is_trading_day,
    spring_festival,
    trading_days,
)

__all__ = [
    "SPRING_FESTIVAL",
    "days_since_festival",
    "in_lull",
    "is_trading_day",
    "spring_festival",
    "trading_days",
]

# The thin-market window around the festival, in calendar days.
LULL_DAYS_BEFORE = 10
LULL_DAYS_AFTER = 12


def in_lull(days: list[date]) -> np.ndarray:
    """Boolean mask: the day lies in the Spring Festival lull window."""
    out = np.zeros(len(days), dtype=bool)
    for i, d in enumerate(days):
        for year in (d.year, d.year + 1):
            sf = SPRING_FESTIVAL.get(year)
            if sf and -LULL_DAYS_AFTER <= (sf - d).days <= LULL_DAYS_BEFORE:
                out[i] = True
    return out


def days_since_festival(days: list[date]) -> np.ndarray:
    """Calendar days since the most recent Lunar New Year (for seasonal shapes)."""
    out = np.empty(len(days), dtype=np.float64)
    for i, d in enumerate(days):
        sf = SPRING_FESTIVAL.get(d.year, date(d.year, 2, 1))
        if d < sf:
            sf = SPRING_FESTIVAL.get(d.year - 1, date(d.year - 1, 2, 1))
        out[i] = (d - sf).days
    return out
