from datetime import date

import numpy as np
import polars as pl
import pytest

from steelsage.catalog import Catalog
from steelsage.demo import DemoConfig, DemoMarket, build_market
from steelsage.demo.calendar import in_lull
from steelsage.demo.params import load_params

LONG = [
    "rebar.shanghai",
    "rebar.guangzhou",
    "rebar.tangshan",
    "hrc.shanghai",
    "crc.shanghai",
    "ss304.wuxi",
    "iron_ore_62.cfr_china",
    "pb_fines.qingdao_port",
    "coke.tangshan",
    "coking_coal.lvliang",
    "scrap.zhangjiagang",
    "pig_iron.tangshan",
    "fesi.yinchuan",
    "simn.ordos",
]


@pytest.fixture(scope="module")
def three_years(catalog: Catalog) -> DemoMarket:
    return build_market(DemoConfig(end=date(2026, 11, 25), series=LONG, error_rate=0), catalog)


@pytest.fixture(scope="module")
def wide(three_years: DemoMarket) -> pl.DataFrame:
    return three_years.truth_prices.pivot(on="series_code", index="date", values="true_mid")


def test_levels_are_realistic_for_the_period(wide: pl.DataFrame) -> None:
    bands = {
        "rebar.shanghai": (3100, 4200),
        "iron_ore_62.cfr_china": (95, 140),
        "ss304.wuxi": (12800, 15200),
        "coke.tangshan": (1400, 2600),
        "coking_coal.lvliang": (1100, 2200),
        "scrap.zhangjiagang": (2100, 3200),
        "pig_iron.tangshan": (2400, 3500),
        "fesi.yinchuan": (5600, 7700),
        "simn.ordos": (5400, 7300),
    }
    for code, (lo, hi) in bands.items():
        assert wide[code].min() >= lo and wide[code].max() <= hi, code
    means = {c: wide[c].mean() for c in bands}
    assert abs(means["coke.tangshan"] - 2000) < 300
    assert abs(means["coking_coal.lvliang"] - 1600) < 300
    assert abs(means["scrap.zhangjiagang"] - 2600) < 300
    assert abs(means["pig_iron.tangshan"] - 2900) < 300


def test_product_spreads_and_regional_basis(wide: pl.DataFrame) -> None:
    hrc_rebar = wide["hrc.shanghai"] - wide["rebar.shanghai"]
    assert hrc_rebar.quantile(0.02) > 30 and hrc_rebar.quantile(0.98) < 320
    assert (wide["crc.shanghai"] - wide["hrc.shanghai"]).min() > 400
    # north cheaper than south for long products, persistently
    assert (wide["rebar.guangzhou"] > wide["rebar.shanghai"]).all()
    assert (wide["rebar.tangshan"] < wide["rebar.shanghai"]).all()


def test_port_ore_is_import_parity_of_the_index(
    wide: pl.DataFrame, three_years: DemoMarket, catalog: Catalog
) -> None:
    """PB at Qingdao (CNY/wmt incl. VAT) implies a 62% index: remove moisture, port cost,
    VAT and FX, then PB's Fe grade and brand adjustment. It tracks the CFR index within the
    brand's own noise and the port's basis (a few percent)."""
    pb = catalog.products["pb_fines"]
    params = load_params()
    fx = three_years.fx_rates.sort("date")["rate"].to_numpy()
    dry = wide["pb_fines.qingdao_port"].to_numpy() / (1 - pb.moisture_pct / 100)
    usd = (dry - params["ore_port_cost_cny"]) / (fx * (1 + catalog.vat_rate))
    attrs = {"fe_pct": pb.fe_pct}
    adjust, _ = catalog.spec_differential("iron_ore_62", attrs, source_product="pb_fines")
    implied = usd + adjust
    gap = implied / wide["iron_ore_62.cfr_china"].to_numpy() - 1
    assert np.abs(np.median(gap)) < 0.02
    assert np.abs(gap).max() < 0.06
    assert np.corrcoef(implied, wide["iron_ore_62.cfr_china"].to_numpy())[0, 1] > 0.95


def test_prices_are_flat_in_the_festival_lull(three_years: DemoMarket, wide: pl.DataFrame) -> None:
    lull = in_lull(three_years.calendar)[1:]
    moves = np.abs(np.diff(np.log(wide["rebar.shanghai"].to_numpy())))
    assert np.median(moves[lull]) < 0.5 * np.median(moves[~lull])


def test_truth_of_a_series_does_not_depend_on_the_others(catalog: Catalog) -> None:
    cfg = DemoConfig(end=date(2026, 3, 31), years=0.2, series=["rebar.shanghai"], error_rate=0)
    alone = build_market(cfg, catalog).truth_prices
    cfg2 = DemoConfig(end=date(2026, 3, 31), years=0.2, series=["hrc.tianjin", "rebar.shanghai"])
    both = build_market(cfg2, catalog).truth_prices.filter(
        pl.col("series_code") == "rebar.shanghai"
    )
    assert alone.equals(both)


def test_fx_rates(three_years: DemoMarket) -> None:
    fx = three_years.fx_rates
    assert fx["date"].to_list() == three_years.calendar
    assert set(fx["pair"]) == {"USDCNY"}
    assert fx["rate"].min() >= 7.0 and fx["rate"].max() <= 7.35
