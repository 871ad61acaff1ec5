"""Synthetic demo market with ground truth: prices, sources, reports, planted errors.

``build_market(DemoConfig(...))`` returns a :class:`DemoMarket` of Polars frames: the trading
calendar, the source panel, the reports as an import frame (all Utf8, as people write them),
the true prices, the labels of the planted errors, weekly/monthly indicators and USD/CNY.
Pure and deterministic: the same config and seed give identical frames.
"""

from steelsage.demo.calendar import is_trading_day, spring_festival, trading_days
from steelsage.demo.errors import BAD_ROW, ERROR_TYPES
from steelsage.demo.market import DemoConfig, DemoMarket, build_market
from steelsage.demo.reports import IMPORT_COLUMNS

__all__ = [
    "BAD_ROW",
    "ERROR_TYPES",
    "IMPORT_COLUMNS",
    "DemoConfig",
    "DemoMarket",
    "build_market",
    "is_trading_day",
    "spring_festival",
    "trading_days",
]
