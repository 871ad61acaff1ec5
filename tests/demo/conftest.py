"""Fixtures for the demo-market tests: one small market (a few series, Jan–Apr 2026, which
spans the 2026 Spring Festival) and its reports standardised back to the series basis."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from steelsage.catalog import Catalog, load_catalog
from steelsage.demo import DemoConfig, DemoMarket, build_market

SERIES = [
    "rebar.shanghai",
    "rebar.tangshan",
    "rebar.guangzhou",
    "rebar.beijing",
    "coiled_rebar.shanghai",
    "hrc.shanghai",
    "hrc.tianjin",
    "pb_fines.qingdao_port",
    "iron_ore_62.cfr_china",
    "coke.tangshan",
    "coke.linfen",
    "scrap.zhangjiagang",
]
SMALL = DemoConfig(end=date(2026, 4, 3), years=0.25, series=SERIES)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def market(catalog: Catalog) -> DemoMarket:
    return build_market(SMALL, catalog)


def standardize(reports: pl.DataFrame, catalog: Catalog) -> pl.DataFrame:
    """Reference standardisation (what stage 5 is specified to do), for checking the demo:
    written forms → codes with the catalog's resolvers, then VAT, 理计, spec and delivery
    conversions to the series basis. Rows that do not resolve are dropped."""
    rows = []
    for r in reports.iter_rows(named=True):
        product = catalog.resolve_product(r["product"])
        region = catalog.resolve_region(r["region"], product) if product else None
        series = catalog.assessment_for(product, region) if region else None
        if series is None:
            continue
        try:
            value = float(r["price"]) if r["price"] else (float(r["low"]) + float(r["high"])) / 2
        except (TypeError, ValueError):
            continue
        if catalog.resolve_tax_basis(r["tax_basis"]) == "excl":
            value *= 1 + catalog.vat_rate
        weight = catalog.resolve_weight_basis(r["weight_basis"])
        value *= catalog.weight_basis_multiplier(series.product, weight)[0]
        attrs = catalog.parse_spec(series.product, r["spec"])
        value += catalog.spec_differential(series.product, attrs, source_product=product)[0]
        term = catalog.resolve_delivery(r["delivery"]) or series.delivery
        delivery = catalog.delivery_differential(series.product, term, series.delivery)
        value += delivery[0] if delivery else 0.0
        day = r["time"][:10].replace("/", "-")
        rows.append((r["report_id"], r["source"], series.code, day, value))
    frame = pl.DataFrame(
        rows, schema=["report_id", "source", "series_code", "date", "value"], orient="row"
    )
    return frame.with_columns(pl.col("date").str.to_date())


@pytest.fixture(scope="session")
def std(market: DemoMarket, catalog: Catalog) -> pl.DataFrame:
    """Standardised reports joined with the truth (``dev`` = value / truth − 1) and labels."""
    return (
        standardize(market.reports, catalog)
        .join(market.truth_prices, on=["series_code", "date"])
        .with_columns(dev=pl.col("value") / pl.col("true_mid") - 1)
        .join(market.truth_errors, on="report_id", how="left")
    )
