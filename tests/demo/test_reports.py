import re

import polars as pl

from steelsage.catalog import Catalog
from steelsage.demo import BAD_ROW, IMPORT_COLUMNS, DemoMarket
from steelsage.demo.calendar import in_lull


def test_import_frame_layout(market: DemoMarket) -> None:
    r = market.reports
    assert tuple(r.columns) == IMPORT_COLUMNS
    assert all(dtype == pl.Utf8 for dtype in r.dtypes)
    assert r["report_id"].n_unique() == r.height
    assert r["report_id"].str.contains(r"^S\d{4}-\d{8}-\d{4}$").all()
    assert set(r["source"].unique()) <= set(market.sources["code"])
    assert r["source"].null_count() == 0


def test_every_honest_row_resolves(market: DemoMarket, catalog: Catalog, std: pl.DataFrame) -> None:
    bad = market.truth_errors.filter(pl.col("error_type") == BAD_ROW).height
    assert std.height == market.reports.height - bad
    r = market.reports
    assert all(catalog.resolve_unit(u) for u in r["unit"].unique().to_list())
    assert all(catalog.resolve_data_type(t) for t in r["data_type"].unique().to_list())


def test_density_per_assessment_day(market: DemoMarket, std: pl.DataFrame) -> None:
    lull_days = [d for d, m in zip(market.calendar, in_lull(market.calendar), strict=True) if m]
    counts = std.group_by("series_code", "date").len()
    normal = counts.filter(~pl.col("date").is_in(lull_days))
    lull = counts.filter(pl.col("date").is_in(lull_days))
    assert normal["len"].min() >= 5 and normal["len"].max() <= 40
    assert lull.height > 0 and lull["len"].min() >= 1
    assert lull["len"].mean() < 0.45 * normal["len"].mean()  # ×0.3 in the festival lull
    busy = normal.filter(pl.col("series_code") == "rebar.shanghai")["len"]
    small = normal.filter(pl.col("series_code") == "rebar.tangshan")["len"]
    assert 20 <= busy.mean() <= 40 and 5 <= small.mean() <= 8
    # every assessment-day of the calendar has reports
    assert counts.height == len(market.calendar) * market.truth_prices["series_code"].n_unique()


def test_honest_reports_are_close_to_the_truth(std: pl.DataFrame) -> None:
    honest = std.filter(pl.col("error_type").is_null())["dev"].abs()
    assert honest.median() < 0.005
    assert honest.quantile(0.99) < 0.025


def test_real_world_forms_are_mixed(market: DemoMarket, catalog: Catalog) -> None:
    r = market.reports
    kinds = r["data_type"].map_elements(catalog.resolve_data_type, return_dtype=pl.Utf8)
    share = kinds.value_counts(normalize=True)
    share = dict(zip(share["data_type"], share["proportion"], strict=True))
    for kind, expected in {"deal": 0.45, "offer": 0.25, "bid": 0.15, "indication": 0.15}.items():
        assert abs(share[kind] - expected) < 0.03, (kind, share[kind])
    rebar = set(
        r.filter(
            pl.col("product").map_elements(catalog.resolve_product, return_dtype=pl.Utf8) == "rebar"
        )["product"]
    )
    assert {"螺纹钢", "螺纹"} <= rebar and len(rebar) >= 6
    assert {"上海", "沪"} <= set(r["region"].drop_nulls())
    assert {"元/吨", "元/t", "元/湿吨", "美元/干吨"} <= set(r["unit"])
    assert {"含税", "不含税"} <= set(r["tax_basis"].drop_nulls())
    assert {"过磅", "理计"} <= set(r["weight_basis"].drop_nulls())
    assert "到厂" in set(r["delivery"].drop_nulls())
    assert r["price"].null_count() > 0.05 * r.height  # low/high ranges
    ranges = r.filter(pl.col("price").is_null() & pl.col("low").is_not_null())
    assert (ranges["low"].cast(pl.Float64) < ranges["high"].cast(pl.Float64)).all()
    times = r["time"]
    assert times.str.contains(r"^\d{4}/\d{2}/\d{2}$").any()
    assert times.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$").any()
    assert times.str.contains(r"^\d{4}-\d{2}-\d{2}$").mean() > 0.8


def test_quotes_are_rounded_like_real_ones(market: DemoMarket, catalog: Catalog) -> None:
    labelled = set(market.truth_errors["report_id"])
    r = market.reports.filter(~pl.col("report_id").is_in(labelled) & pl.col("price").is_not_null())
    units = r["unit"].map_elements(catalog.resolve_unit, return_dtype=pl.Utf8)
    price = r["price"].cast(pl.Float64)
    steel = price.filter(units == "CNY_T_VAT")
    assert (steel % 10 == 0).all()
    port = price.filter(units == "CNY_WMT_VAT")
    assert (port % 1 == 0).all()
    usd = price.filter(units == "USD_DMT_CFR")
    assert ((usd * 100).round(0) % 5 == 0).all() and usd.is_between(60, 200).all()


def test_excl_vat_and_theoretical_rows_are_converted_not_wrong(
    std: pl.DataFrame, market: DemoMarket, catalog: Catalog
) -> None:
    r = market.reports.join(std.select("report_id", "dev", "error_type"), on="report_id")
    honest = r.filter(pl.col("error_type").is_null())
    excl = honest.filter(
        pl.col("tax_basis").map_elements(catalog.resolve_tax_basis, return_dtype=pl.Utf8) == "excl"
    )
    theo = honest.filter(pl.col("weight_basis") == "理计")
    deliv = honest.filter(
        pl.col("delivery").map_elements(catalog.resolve_delivery, return_dtype=pl.Utf8)
        == "delivered"
    )
    for part in (excl, theo, deliv):
        assert part.height > 20 and part["dev"].abs().median() < 0.005
    seaborne = honest.filter(pl.col("unit") == "美元/干吨")
    brands = seaborne["product"].map_elements(catalog.resolve_product, return_dtype=pl.Utf8)
    assert brands.n_unique() >= 4  # 62% index reports and several brands, Fe-normalised
    assert re.fullmatch(r"\d+(\.\d+)?", seaborne["volume"].drop_nulls()[0])
