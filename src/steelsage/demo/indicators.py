"""Weekly and monthly fundamental indicators consistent with the demo's true prices.

Weekly series are dated on the last trading day of each week: social and mill inventories
(万吨; build-up after the Spring Festival, then draw-down, a small rainy-season bump),
blast-furnace utilization (%), hot-metal output (万吨/日, proportional to utilization), port ore
stocks (万吨), the rebar mill margin (元/吨 = rebar − 1.6 × 62% ore at port incl. VAT (CNY/dmt)
− 0.5 × coke − other cost, on that day's reference levels) and the share of profitable mills
(%, rising with the margin); the mill margins of rebar and hrc are also daily. Crude steel
output (万吨) is monthly, dated at month end.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from steelsage.demo.calendar import SPRING_FESTIVAL
from steelsage.demo.prices import Levels, season, softclip

PRODUCTS = ("rebar", "hrc", "wire_rod", "crc", "plate")
SCHEMA = {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64}


def week_ends(days: list[date]) -> np.ndarray:
    """Indices of the last trading day of each ISO week."""
    weeks = [d.isocalendar()[:2] for d in days]
    return np.array([i for i in range(len(days)) if i + 1 == len(days) or weeks[i + 1] != weeks[i]])


def festival_shape(days: list[date]) -> np.ndarray:
    """Inventory build factor around the festival: 0 → 0.35 at the festival → 1 four weeks
    later, then an exponential draw-down."""
    out = np.zeros(len(days))
    for i, d in enumerate(days):
        best = 0.0
        for year in (d.year, d.year + 1):
            sf = SPRING_FESTIVAL.get(year)
            if sf is None:
                continue
            tau = (d - sf).days
            if -25 <= tau < 0:
                v = 0.35 * (tau + 25) / 25
            elif 0 <= tau <= 28:
                v = 0.35 + 0.65 * tau / 28
            elif tau > 28:
                v = float(np.exp(-(tau - 28) / 40))
            else:
                v = 0.0
            best = max(best, v)
        out[i] = best
    return out


def _ar1(rng: np.random.Generator, n: int, sd: float, phi: float = 0.7) -> np.ndarray:
    e = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    x = np.empty(n)
    cur = rng.normal(0.0, sd)
    for t in range(n):
        cur = phi * cur + e[t]
        x[t] = cur
    return x


def build_indicators(
    levels: Levels,
    rng: np.random.Generator,
    params: dict[str, Any],
    frequency: dict[str, str],
) -> pl.DataFrame:
    """Long frame ``series_code, date, value`` for the indicator series in ``frequency``
    (series code → daily | weekly | monthly, from the catalog's ``indicators``)."""
    p = params["indicators"]
    days = levels.days
    wk = week_ends(days)
    wdays = [days[i] for i in wk]
    n = len(wk)
    weekly: dict[str, np.ndarray] = {}

    shape = festival_shape(wdays)
    summer = season(wdays, [{"doy": 200, "width": 30, "amp": 1.0}])
    for scope, table in p["inventory"].items():
        total = np.zeros(n)
        for prod in PRODUCTS:
            spec = table[prod]
            noise = _ar1(rng, n, p["inventory_noise_pct"] / 100.0)
            value = np.round(
                spec["base"] * (1 + spec["build"] * shape + spec["summer"] * summer + noise), 2
            )
            weekly[f"inventory_{scope}.{prod}"] = value
            total += value
        weekly[f"inventory_{scope}.total"] = np.round(total, 2)

    bf = p["bf_utilization"]
    util = bf["center"] + season(wdays, bf["season"]) + _ar1(rng, n, bf["noise_sd"])
    util = softclip(util, bf["lo"], bf["hi"], frac=0.1)
    weekly["bf_utilization.national"] = np.round(util, 2)
    weekly["hot_metal_output.national"] = np.round(util * p["hot_metal_per_util_pct"], 2)

    ps = p["port_ore_stocks"]
    stocks = ps["center"] + ps["festival_build"] * shape + _ar1(rng, n, ps["sd"], 1 - ps["kappa"])
    weekly["port_ore_stocks.national"] = np.round(softclip(stocks, ps["lo"], ps["hi"]), 1)

    margins = {prod: mill_margin(levels, prod, params) for prod in ("rebar", "hrc")}
    mp = p["mill_profitability"]
    prof = mp["center"] + mp["per_100_cny"] * margins["rebar"][wk] / 100.0
    prof = prof + _ar1(rng, n, mp["noise_sd"])
    weekly["mill_profitability.national"] = np.round(softclip(prof, mp["lo"], mp["hi"]), 2)
    daily = {f"mill_margin.{prod}": np.round(m, 1) for prod, m in margins.items()}

    frames = [_crude_steel(days, util, wdays, rng, p)]
    for code, freq in frequency.items():
        if code in daily:
            vals, dates = (daily[code], days) if freq == "daily" else (daily[code][wk], wdays)
        elif code in weekly:
            vals, dates = weekly[code], wdays
        elif code == "output_crude_steel.national":
            continue
        else:
            raise ValueError(f"the demo market has no generator for indicator {code!r}")
        frames.append(
            pl.DataFrame(
                {"series_code": [code] * len(dates), "date": dates, "value": vals},
                schema=SCHEMA,
            )
        )
    out = pl.concat(frames)
    return out.filter(pl.col("series_code").is_in(list(frequency))).sort("series_code", "date")


def mill_margin(levels: Levels, product: str, params: dict[str, Any]) -> np.ndarray:
    """Spot margin: product − 1.6 × 62% ore at port (CNY/dmt incl. VAT) − 0.5 × coke − other."""
    mm = params["indicators"]["mill_margin"]
    return (
        levels.products[product]
        - mm["ore_share"] * levels.ore_cny
        - mm["coke_share"] * levels.products["coke"]
        - mm["other_cost"]
    )


def _crude_steel(
    days: list[date], util_w: np.ndarray, wdays: list[date], rng: np.random.Generator, p: dict
) -> pl.DataFrame:
    """Monthly crude steel output for the complete months inside the calendar."""
    months: list[date] = []
    values: list[float] = []
    w_month = np.array([d.year * 12 + d.month for d in wdays])
    first, last = days[0], days[-1]
    y, m = first.year, first.month
    while True:
        start = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > last:
            break
        sel = w_month == y * 12 + m
        if start >= first and sel.any():
            hot_metal = float(util_w[sel].mean()) * p["hot_metal_per_util_pct"]
            noise = 1 + rng.normal(0.0, p["crude_steel_noise_pct"] / 100.0)
            months.append(end)
            values.append(round(hot_metal * end.day * p["crude_steel_per_hot_metal"] * noise, 1))
        y, m = nxt.year, nxt.month
    return pl.DataFrame(
        {
            "series_code": ["output_crude_steel.national"] * len(months),
            "date": months,
            "value": values,
        },
        schema=SCHEMA,
    )
