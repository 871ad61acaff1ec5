import polars as pl
import pytest

from steelsage.catalog import Catalog
from steelsage.demo import BAD_ROW, ERROR_TYPES, DemoMarket


@pytest.fixture(scope="module")
def labelled(std: pl.DataFrame) -> pl.DataFrame:
    return std.filter(pl.col("error_type").is_not_null())


def test_every_type_is_planted_and_labelled_once(market: DemoMarket) -> None:
    e = market.truth_errors
    assert e["report_id"].n_unique() == e.height
    assert set(e["report_id"]) <= set(market.reports["report_id"])
    counts = dict(e.group_by("error_type").len().iter_rows())
    assert set(counts) == {*ERROR_TYPES, BAD_ROW}
    planted = sum(counts[t] for t in ERROR_TYPES)
    assert 0.012 < planted / market.reports.height < 0.03  # error_rate 2%
    assert all(counts[t] >= 10 for t in ERROR_TYPES)
    assert e["detail"].null_count() == 0


def test_unit_slip_is_orders_of_magnitude(market: DemoMarket, labelled: pl.DataFrame) -> None:
    slip = labelled.filter(pl.col("error_type") == "unit_slip")
    ratio = slip["dev"] + 1
    assert ((ratio - 0.001).abs() < 0.0002).any() and ((ratio / 1000 - 1).abs() < 0.03).any()
    assert ((ratio < 0.01) | (ratio > 100)).all()
    rows = market.reports.filter(pl.col("report_id").is_in(slip["report_id"].to_list()))
    assert set(rows["unit"]) <= {"元/吨", "元/t"}  # the unit still claims 元/吨


def test_digit_transposition_moves_the_value(market: DemoMarket, labelled: pl.DataFrame) -> None:
    swaps = labelled.filter(pl.col("error_type") == "digit_transposition")
    assert (swaps["dev"].abs() > 0.015).all()  # ≥ 2% move, less at most the honest noise
    for detail in swaps["detail"]:
        sent_before, sent_after = detail.split(": ")[1].split(" (")[0].split(" sent as ")
        a, b = sent_before.replace(",", ""), sent_after.replace(",", "")
        assert sorted(a) == sorted(b) and a != b  # same digits, order changed


def test_stale_repeats_copy_the_previous_value(market: DemoMarket, std: pl.DataFrame) -> None:
    seq = (
        std.join(market.reports.select("report_id", "price", "low"), on="report_id")
        .sort("series_code", "source", "date")
        .with_columns(
            prev_price=pl.col("price").shift(1).over("series_code", "source"),
            prev_low=pl.col("low").shift(1).over("series_code", "source"),
        )
    )
    stale = seq.filter(pl.col("error_type") == "stale_repeat")
    assert (stale["dev"].abs() >= 0.014).all()
    same = (stale["price"] == stale["prev_price"]) | (stale["low"] == stale["prev_low"])
    assert same.all()


def test_vat_mixup_is_about_minus_eleven_percent(
    market: DemoMarket, labelled: pl.DataFrame, catalog: Catalog
) -> None:
    vat = labelled.filter(pl.col("error_type") == "vat_mixup")
    assert vat["dev"].is_between(-0.14, -0.09).all()
    assert abs(vat["dev"].median() - (1 / 1.13 - 1)) < 0.006
    rows = market.reports.filter(pl.col("report_id").is_in(vat["report_id"].to_list()))
    assert all(catalog.resolve_tax_basis(t) in (None, "incl") for t in rows["tax_basis"])


def test_wrong_region_carries_another_citys_price(
    market: DemoMarket, labelled: pl.DataFrame
) -> None:
    wrong = labelled.filter(pl.col("error_type") == "wrong_region").with_columns(
        other=pl.concat_str(
            pl.col("series_code").str.split(".").list.first(),
            pl.lit("."),
            pl.col("detail").str.split(" ").list.first(),
        )
    )
    assert (wrong["dev"].abs() >= 0.02).all()
    truth = market.truth_prices.rename({"series_code": "other", "true_mid": "other_mid"})
    matched = wrong.join(truth, on=["other", "date"])
    assert matched.height == wrong.height
    assert ((matched["value"] / matched["other_mid"] - 1).abs() < 0.02).all()
    assert ((matched["other_mid"] / matched["true_mid"] - 1).abs() >= 0.03).all()


def test_drifting_sources_trend_away(labelled: pl.DataFrame) -> None:
    drift = labelled.filter(pl.col("error_type") == "drifting_source")
    assert 1 <= drift["source"].n_unique() <= 8
    assert drift["dev"].median() > 0.03 and drift["dev"].max() < 0.12
    for _, part in drift.group_by("source"):
        if part.height >= 10:
            days = part["date"].cast(pl.Int32)
            assert (
                pl.DataFrame({"d": days, "v": part["dev"]}).select(pl.corr("d", "v")).item() > 0.5
            )


def test_bad_rows_cannot_be_used(market: DemoMarket, catalog: Catalog) -> None:
    bad = market.truth_errors.filter(pl.col("error_type") == BAD_ROW)
    rows = market.reports.join(bad, on="report_id")
    unknown = rows.filter(pl.col("detail").str.starts_with("unknown product"))
    assert unknown.height >= 2
    assert all(catalog.resolve_product(t) is None for t in unknown["product"])
    non_numeric = rows.filter(pl.col("detail").str.starts_with("non-numeric"))
    assert non_numeric.height >= 2
    assert non_numeric["price"].cast(pl.Float64, strict=False).null_count() == non_numeric.height
    missing = rows.filter(pl.col("detail") == "missing region")
    assert missing.height >= 2 and missing["region"].null_count() == missing.height
    assert bad.height < 0.002 * market.reports.height
