"""True prices of the demo market: cost factors → product levels → regional series.

Factors are mean-reverting random walks with correlated shocks, squashed smoothly into the
band real prices of the period lived in. Steel is priced off its cost (ore, coke) plus a
seasonal margin; other products hang off a reference through a slowly varying spread; ore
port prices are import parity (index × FX × VAT + port cost, wet); each series adds a
persistent regional basis with small slow noise. In the Spring Festival lull shocks shrink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from steelsage.demo.universe import SeriesDef, Universe

SPREAD_KAPPA = 0.03
BASIS_KAPPA = 0.02
BRAND_KAPPA = 0.03


def softclip(x: np.ndarray, lo: float, hi: float, frac: float = 0.12) -> np.ndarray:
    """Identity inside the band, smoothly saturating towards ``lo``/``hi`` near its edges."""
    m = frac * (hi - lo)
    a, b = lo + m, hi - m
    out = np.asarray(x, dtype=np.float64).copy()
    low, high = out < a, out > b
    out[low] = a - m * np.tanh((a - out[low]) / m)
    out[high] = b + m * np.tanh((out[high] - b) / m)
    return out


def ou_path(
    rng: np.random.Generator,
    shocks: np.ndarray,
    center: float,
    kappa: float,
    vol: float,
    start_sd: float,
    vol_scale: np.ndarray,
) -> np.ndarray:
    """Mean-reverting walk ``x[t+1] = x[t] + kappa (center - x[t]) + vol * scale[t] * shock[t]``."""
    n = len(shocks)
    x = np.empty(n)
    cur = center + rng.normal(0.0, start_sd)
    step = vol * vol_scale * shocks
    keep = 1.0 - kappa
    for t in range(n):  # per-day loop over ~800 days per path: cheap
        x[t] = cur
        cur = cur * keep + kappa * center + step[t]
    return x


def _factor(rng: np.random.Generator, shocks: np.ndarray, spec: dict, scale: np.ndarray):
    if spec["log"]:
        z = ou_path(
            rng, shocks, np.log(spec["center"]), spec["kappa"], spec["vol"], spec["start_sd"], scale
        )
        return softclip(np.exp(z), spec["lo"], spec["hi"])
    z = ou_path(rng, shocks, spec["center"], spec["kappa"], spec["vol"], spec["start_sd"], scale)
    return softclip(z, spec["lo"], spec["hi"])


def _spread(rng, n, mean, sd, lo, hi, scale, kappa=SPREAD_KAPPA) -> np.ndarray:
    vol = sd * np.sqrt(2 * kappa)
    z = ou_path(rng, rng.standard_normal(n), mean, kappa, vol, sd, scale)
    return softclip(z, lo, hi) if lo is not None else z


def season(days: list[date], bumps: list[dict]) -> np.ndarray:
    """Seasonal margin (CNY/t): Gaussian bumps over the day of year (wrapping at year end)."""
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=np.float64)
    out = np.zeros(len(days))
    for b in bumps:
        dist = np.abs(doy - b["doy"])
        dist = np.minimum(dist, 365.0 - dist)
        out += b["amp"] * np.exp(-0.5 * (dist / b["width"]) ** 2)
    return out


@dataclass
class Levels:
    """Reference levels per product (CNY/t incl. VAT; iron_ore_62 in USD/dmt) and factors."""

    days: list[date]
    fx: np.ndarray
    ore62: np.ndarray
    ore_cny: np.ndarray  # 62% Fe at a port, CNY/dmt incl. VAT
    products: dict[str, np.ndarray]


def simulate_levels(
    days: list[date],
    lull: np.ndarray,
    rng: np.random.Generator,
    params: dict[str, Any],
    vat_rate: float,
) -> Levels:
    """Simulate the factors and every product's reference level over ``days``."""
    n = len(days)
    scale = np.where(lull, params["lull_vol_scale"], 1.0)
    names = list(params["factors"])
    corr = np.asarray(params["shock_correlation"], dtype=np.float64)
    shocks = rng.standard_normal((n, len(names))) @ np.linalg.cholesky(corr).T
    f = {
        name: _factor(rng, shocks[:, i], params["factors"][name], scale)
        for i, name in enumerate(names)
    }
    vat = 1.0 + vat_rate
    ore_cny = f["ore62"] * f["usdcny"] * vat + params["ore_port_cost_cny"]

    levels: dict[str, np.ndarray] = {"iron_ore_62": f["ore62"]}
    specs = params["products"]
    coal_spec = specs["coke"]
    coke = (
        f["coking_coal"] * coal_spec["mean"]
        + coal_spec["add"]
        + _spread(rng, n, 0.0, coal_spec["sd"], None, None, scale)
    )
    cost = params["steel_cost"]
    rebar = (
        cost["ore_share"] * ore_cny
        + cost["coke_share"] * coke
        + cost["other_cost"]
        + f["steel_margin"]
        + season(days, params["season"])
    )
    levels["rebar"] = softclip(rebar, cost["band"]["lo"], cost["band"]["hi"], frac=0.15)
    levels["coke"] = coke
    for code, spec in specs.items():  # yaml order: references come first
        kind = spec["kind"]
        if code in levels or kind in ("base", "ore"):
            continue
        if kind == "spread":
            sp = _spread(rng, n, spec["mean"], spec["sd"], spec["lo"], spec["hi"], scale)
            levels[code] = levels[spec["ref"]] + sp
        elif kind == "factor":
            levels[code] = f[spec["factor"]]
        elif kind == "ratio":
            ref = levels.get(spec["ref"], f.get(spec["ref"]))
            noise = _spread(rng, n, 0.0, spec["sd"], None, None, scale)
            levels[code] = ref * spec["mean"] + spec["add"] + noise
        elif kind == "pig_iron":
            noise = _spread(rng, n, 0.0, spec["sd"], None, None, scale)
            levels[code] = (
                spec["ore_share"] * ore_cny + spec["coke_share"] * coke + spec["other_cost"] + noise
            )
        else:
            raise ValueError(f"market.yaml: unknown product kind {kind!r} for {code}")
    return Levels(days=days, fx=f["usdcny"], ore62=f["ore62"], ore_cny=ore_cny, products=levels)


def ore_brand_usd(levels: Levels, u: Universe, product: str, brand_noise: np.ndarray) -> np.ndarray:
    """A port-stock brand's seaborne value, USD/dmt: index + Fe-grade and quality premium."""
    fe = u.products[product].fe_pct
    premium = u.fe_point_usd * (fe - u.ore_base_fe) + u.brand_premium(product)
    return levels.ore62 + premium + brand_noise


def port_wmt(
    levels: Levels, usd: np.ndarray, moisture_pct: float, vat_rate: float, port_cost: float
) -> np.ndarray:
    """Import parity at a Chinese port, CNY per wet tonne incl. VAT."""
    dry = usd * levels.fx * (1.0 + vat_rate) + port_cost
    return dry * (1.0 - moisture_pct / 100.0)


def series_truth(
    levels: Levels,
    u: Universe,
    series: list[SeriesDef],
    lull: np.ndarray,
    rng_for: Callable[[str], np.random.Generator],
    params: dict[str, Any],
) -> dict[str, np.ndarray]:
    """True mid per series and day, in the series' unit and basis.

    ``rng_for(key)`` gives an independent stream per series (and per ore brand), so a
    series' truth does not depend on which other series are built.
    """
    n = len(levels.days)
    scale = np.where(lull, params["lull_vol_scale"], 1.0)
    brand_noise: dict[str, np.ndarray] = {}
    out: dict[str, np.ndarray] = {}
    vat = 1.0 + u.vat_rate
    for s in series:
        p = u.products[s.product]
        if p.is_ore:
            if s.product not in brand_noise:
                sd = 0.0 if s.product == "iron_ore_62" else params["ore_brand_noise_usd"]
                brand_rng = rng_for(f"brand:{s.product}")
                brand_noise[s.product] = _spread(
                    brand_rng, n, 0.0, sd, None, None, scale, BRAND_KAPPA
                )
            usd = ore_brand_usd(levels, u, s.product, brand_noise[s.product])
            if s.unit == "USD_DMT_CFR":
                base = usd
            elif s.unit == "CNY_WMT_VAT":
                base = port_wmt(
                    levels, usd, p.moisture_pct, u.vat_rate, params["ore_port_cost_cny"]
                )
            else:  # CNY per dry tonne
                base = usd * levels.fx * vat + params["ore_port_cost_cny"]
        else:
            base = levels.products[s.product]
        base = _to_unit(base, s.unit, vat)
        basis = _basis_pct(s, rng_for(f"basis:{s.code}"), n, scale, params)
        out[s.code] = np.round(base * (1.0 + basis / 100.0), 2)
    return out


def _to_unit(cny_vat: np.ndarray, unit: str, vat: float) -> np.ndarray:
    if unit == "CNY_T_EXVAT":
        return cny_vat / vat
    if unit == "KCNY_T_VAT":
        return cny_vat / 1000.0
    return cny_vat


def _basis_pct(s: SeriesDef, rng, n: int, scale: np.ndarray, params) -> np.ndarray:
    """Regional basis in % of the reference: table value + persistent offset + slow noise."""
    if s.region in ("cfr_china", "national"):
        return np.zeros(n)
    group = "port" if s.region.endswith("_port") else params["product_basis_group"].get(s.product)
    table = params["region_basis_pct"].get(group or "", {})
    if s.region in table:
        level = float(table[s.region])
    else:
        level = rng.normal(0.0, params["unlisted_region_basis_sd_pct"])
    level += rng.normal(0.0, params["series_offset_sd_pct"])
    sd = params["series_basis_noise_pct"]
    return level + _spread(rng, n, 0.0, sd, None, None, scale, BASIS_KAPPA)
