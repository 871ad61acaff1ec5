from datetime import date, timedelta

import polars as pl
import pytest

from steelsage.catalog import Catalog
from steelsage.demo import DemoConfig, DemoMarket, build_market
from steelsage.demo.calendar import spring_festival


@pytest.fixture(scope="module")
def market3(catalog: Catalog) -> DemoMarket:
    series = ["rebar.shanghai", "iron_ore_62.cfr_china", "coke.tangshan"]
    cfg = DemoConfig(end=date(2026, 11, 25), series=series, error_rate=0)
    return build_market(cfg, catalog)


def test_every_catalog_indicator_is_generated(market3: DemoMarket, catalog: Catalog) -> None:
    ind = market3.indicators
    assert ind.schema == {"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64}
    assert set(ind["series_code"]) == set(catalog.indicator_series_codes())
    weekly = ind.filter(pl.col("series_code") == "bf_utilization.national")
    assert set(weekly["date"]) <= set(market3.calendar)
    assert 150 <= weekly.height <= 160  # three years of weeks
    crude = ind.filter(pl.col("series_code") == "output_crude_steel.national")
    assert 34 <= crude.height <= 36
    assert all((d + timedelta(days=1)).day == 1 for d in crude["date"])  # month ends


def test_ranges(market3: DemoMarket) -> None:
    rng = market3.indicators.group_by("series_code").agg(
        pl.col("value").min().alias("lo"), pl.col("value").max().alias("hi")
    )
    bands = {
        "bf_utilization.national": (78, 92),
        "port_ore_stocks.national": (13000, 15500),
        "hot_metal_output.national": (200, 250),
        "output_crude_steel.national": (6500, 9800),
        "mill_profitability.national": (0, 100),
        "inventory_social.rebar": (300, 1000),
    }
    for code, lo, hi in rng.iter_rows():
        if code in bands:
            assert bands[code][0] <= lo <= hi <= bands[code][1], code


def test_inventories_build_after_the_festival(market3: DemoMarket) -> None:
    inv = market3.indicators.filter(pl.col("series_code") == "inventory_social.rebar")
    for year in (2024, 2025, 2026):
        part = inv.filter(pl.col("date").dt.year() == year, pl.col("date").dt.month() <= 7)
        peak = part.sort("value")["date"][-1]
        assert 0 <= (peak - spring_festival(year)).days <= 60
        summer_low = part.filter(pl.col("date").dt.month() >= 5)["value"].min()
        assert summer_low < 0.75 * part["value"].max()  # drawn down by early summer


def test_margin_is_rebar_minus_cost(market3: DemoMarket) -> None:
    """mill_margin.rebar ≈ rebar − 1.6 × ore (62% at port, CNY/dmt incl. VAT) − 0.5 × coke
    − 1150, recomputed here from the published truth (the regional basis of the series adds
    a few tens of CNY)."""
    wide = market3.truth_prices.pivot(on="series_code", index="date", values="true_mid")
    wide = wide.join(market3.fx_rates.select("date", "rate"), on="date")
    ore_cny = wide["iron_ore_62.cfr_china"] * wide["rate"] * 1.13 + 35
    cost = 1.6 * ore_cny + 0.5 * wide["coke.tangshan"] + 1150
    ours = pl.DataFrame({"date": wide["date"], "ours": wide["rebar.shanghai"] - cost})
    margin = market3.indicators.filter(pl.col("series_code") == "mill_margin.rebar")
    both = margin.join(ours, on="date")
    assert both.height == len(market3.calendar)
    assert (both["value"] - both["ours"]).abs().median() < 60
    assert both.select(pl.corr("value", "ours")).item() > 0.9
