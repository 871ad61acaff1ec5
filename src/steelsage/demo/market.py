"""Build the demo market: calendar, truth, sources, reports, planted errors, indicators, FX."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from steelsage.catalog import Catalog, load_catalog
from steelsage.config import market_today
from steelsage.demo.calendar import in_lull, trading_days
from steelsage.demo.errors import plant_errors
from steelsage.demo.indicators import build_indicators
from steelsage.demo.params import load_params
from steelsage.demo.prices import series_truth, simulate_levels
from steelsage.demo.reports import Draft, SeriesContext, StringPool, draw_series, render
from steelsage.demo.sources import build_sources
from steelsage.demo.universe import Universe


@dataclass(frozen=True)
class DemoConfig:
    """What to generate. ``series`` restricts the market to some assessment series."""

    end: date = field(default_factory=market_today)
    years: float = 3.0
    seed: int = 20261125
    reports_per_day: tuple[int, int] = (5, 40)
    n_sources: int = 220
    error_rate: float = 0.02
    series: list[str] | None = None


@dataclass
class DemoMarket:
    """The generated market and its ground truth (all Polars frames)."""

    calendar: list[date]
    sources: pl.DataFrame
    reports: pl.DataFrame
    truth_prices: pl.DataFrame
    truth_errors: pl.DataFrame
    indicators: pl.DataFrame
    fx_rates: pl.DataFrame


def _rng(seed: int, *key: str) -> np.random.Generator:
    """An independent stream per purpose (and per series), stable when series are filtered."""
    words = [zlib.crc32(k.encode()) for k in key]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def _check(cfg: DemoConfig) -> None:
    lo, hi = cfg.reports_per_day
    if not 1 <= lo <= hi:
        raise ValueError(f"reports_per_day must be (low, high) with 1 ≤ low ≤ high, got {lo, hi}")
    if cfg.years <= 0:
        raise ValueError(f"years must be positive, got {cfg.years}")
    if cfg.series is not None and not cfg.series:
        raise ValueError("series is an empty list; pass None for every assessment series")
    if not 0 <= cfg.error_rate < 0.5:
        raise ValueError(f"error_rate must be in [0, 0.5), got {cfg.error_rate}")


def build_market(cfg: DemoConfig, catalog: Catalog | None = None) -> DemoMarket:
    """Generate the whole market for ``cfg`` (pure and deterministic for a given seed)."""
    _check(cfg)
    catalog = catalog or load_catalog()
    params = load_params()
    u = Universe(catalog, params, cfg.series)
    start = cfg.end - timedelta(days=round(cfg.years * 365.25))
    days = trading_days(start, cfg.end)
    if len(days) < 5:
        raise ValueError(f"only {len(days)} trading days from {start} to {cfg.end}; widen years")
    lull = in_lull(days)

    levels = simulate_levels(days, lull, _rng(cfg.seed, "levels"), params, u.vat_rate)
    truth = series_truth(levels, u, u.series, lull, lambda key: _rng(cfg.seed, key), params)
    lo, hi = cfg.reports_per_day
    density = _densities(u, params, _rng(cfg.seed, "density"), lo, hi)
    sources = build_sources(_rng(cfg.seed, "sources"), cfg.n_sources, u.series, density, hi, u)
    src_arrays = _source_arrays(sources, params, _rng(cfg.seed, "source-bias"))
    pools = _pools(sources, [s.code for s in u.series])

    pool = StringPool()
    parts = []
    for k, s in enumerate(u.series):
        ctx = SeriesContext(s=s, k=k, truth=truth[s.code], pool=pools[k], density=density[k])
        parts.append(
            draw_series(
                _rng(cfg.seed, "reports", s.code), ctx, u, pool, src_arrays, lull, lo, hi, params
            )
        )
    draft = Draft(**_concat(parts))
    codes = [s.code for s in u.series]
    planted = plant_errors(
        draft, u, codes, truth, _rng(cfg.seed, "errors"), cfg.error_rate, pool, len(days)
    )
    reports, report_ids = render(draft, pool, days, sources["code"].to_list(), planted.overrides)

    truth_prices = pl.DataFrame(
        {
            "series_code": np.repeat(codes, len(days)),
            "date": days * len(codes),
            "true_mid": np.concatenate([truth[c] for c in codes]) if codes else [],
        },
        schema={"series_code": pl.Utf8, "date": pl.Date, "true_mid": pl.Float64},
    )
    truth_errors = pl.DataFrame(
        {
            "report_id": report_ids.gather(planted.rows) if planted.rows else [],
            "error_type": planted.types,
            "detail": planted.details,
        },
        schema={"report_id": pl.Utf8, "error_type": pl.Utf8, "detail": pl.Utf8},
    ).sort("report_id")
    frequency = {
        code: ind.frequency for ind in catalog.indicators.values() for code in ind.series_codes()
    }
    indicators = build_indicators(levels, _rng(cfg.seed, "indicators"), params, frequency)
    fx = pl.DataFrame(
        {"date": days, "pair": ["USDCNY"] * len(days), "rate": np.round(levels.fx, 4)},
        schema={"date": pl.Date, "pair": pl.Utf8, "rate": pl.Float64},
    )
    return DemoMarket(
        calendar=days,
        sources=sources,
        reports=reports,
        truth_prices=truth_prices,
        truth_errors=truth_errors,
        indicators=indicators,
        fx_rates=fx,
    )


def _densities(u: Universe, params: dict, rng: np.random.Generator, lo: int, hi: int) -> np.ndarray:
    """Mean reports per day of each series: big benchmarks busy, the rest 5–7."""
    dens = params["density"]
    out = np.empty(len(u.series))
    for k, s in enumerate(u.series):
        band = dens["normal"]
        if s.benchmark:
            band = dens["busy"] if s.product in dens["busy_products"] else dens["benchmark"]
        out[k] = rng.uniform(band["lo"], band["hi"])
    return np.clip(out, lo, hi)


def _source_arrays(sources: pl.DataFrame, params: dict, rng: np.random.Generator) -> dict:
    n = sources.height
    b = params["source_bias_pct"]
    bias = rng.uniform(b["lo"], b["hi"], n) * rng.choice([-1.0, 1.0], n) / 100.0
    return {
        "bias": bias,
        "reliability": sources["reliability"].to_numpy(),
        "activity": rng.gamma(2.0, 0.5, n) + 0.3,
    }


def _pools(sources: pl.DataFrame, codes: list[str]) -> list[np.ndarray]:
    """Active sources covering each series (indices into the source table)."""
    members: dict[str, list[int]] = {c: [] for c in codes}
    for i, (active, coverage) in enumerate(
        zip(sources["active"].to_list(), sources["coverage"].to_list(), strict=True)
    ):
        if active:
            for c in coverage:
                if c in members:
                    members[c].append(i)
    return [np.array(members[c], dtype=np.int64) for c in codes]


def _concat(parts: list[dict[str, np.ndarray]]) -> dict:
    text_cols = ("product", "spec", "region", "unit", "tax_basis", "weight_basis", "delivery")
    text_cols = (*text_cols, "data_type")
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k not in text_cols}
    out["text"] = {k: np.concatenate([p[k] for p in parts]) for k in text_cols}
    return out
