"""Stage 5: conversions checked by hand, rejects, and the out-of-range flag."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from steelsage.pipeline.standardize import FLAG_SCHEMA, StandardizeStage, vat_rate
from steelsage.pipeline.verify import VerifyStage

PB_CFR: dict[str, Any] = {  # a PB fines cargo priced in CNY/wmt, feeding the 62% index
    "product": "PB粉",
    "spec": "61.5%",
    "region": "cfr_china",
    "price": "800",
    "unit": "元/湿吨",
    "tax_basis": "含税",
    "weight_basis": None,
    "delivery": "CFR",
    "volume": "80000",
}


@pytest.fixture
def standardize(ctx, make_batch):
    """Rows → (verified, standardized result); verification must accept every row."""

    def run(*rows: dict[str, Any]):
        verified = VerifyStage().run(make_batch(*rows), ctx)
        assert verified.rejected.height == 0, verified.rejected["message"].to_list()
        return StandardizeStage().run(verified.kept, ctx)

    return run


def one(res) -> dict[str, Any]:
    assert res.kept.height == 1 and res.rejected.height == 0
    return res.kept.row(0, named=True)


def test_base_report_is_unchanged(standardize) -> None:
    row = one(standardize({}))
    assert row["value"] == 3650.0 and row["std_adjustments"] is None
    assert (row["flag_reason"], row["excluded"]) == (None, False)


def test_excl_vat_to_incl(standardize) -> None:
    row = one(standardize({"price": "3,300", "tax_basis": "不含税"}))
    assert row["value"] == pytest.approx(3729.0)  # 3300 × 1.13
    assert row["std_adjustments"] == "excl→incl VAT ×1.13"


def test_spec_differential_to_base(standardize) -> None:
    row = one(standardize({"spec": "HRB400E Φ18"}))
    assert row["value"] == pytest.approx(3620.0)  # Φ18 trades 30 over Φ20
    assert row["std_adjustments"] == "Φ18→Φ20 −30"


def test_thousand_cny_unit_scale(standardize) -> None:
    row = one(standardize({"price": "3.65", "unit": "千元/吨"}))
    assert row["value"] == pytest.approx(3650.0)
    assert row["std_adjustments"] == "千元/吨 ×1000"


def test_theoretical_weight_to_weighed(standardize) -> None:
    row = one(standardize({"price": "3395", "weight_basis": "理计"}))
    assert row["value"] == pytest.approx(3500.0)  # 3395 ÷ 0.97
    assert row["std_adjustments"] == "理计→过磅 ÷0.97"


def test_delivered_to_ex_warehouse(standardize) -> None:
    row = one(standardize({"price": "3680", "delivery": "到厂"}))
    assert row["value"] == pytest.approx(3650.0)
    assert row["std_adjustments"] == "delivered→ex_warehouse −30"


def test_all_steps_in_methodology_order(standardize) -> None:
    row = one(
        standardize(
            {
                "price": "3.3",
                "unit": "千元/吨",
                "tax_basis": "不含税",
                "weight_basis": "理计",
                "spec": "HRB400E Φ18",
                "delivery": "到厂",
            }
        )
    )
    expected = 3300 * 1.13 / 0.97 - 30 - 30
    assert row["value"] == pytest.approx(expected)
    assert row["std_adjustments"] == (
        "千元/吨 ×1000; excl→incl VAT ×1.13; 理计→过磅 ÷0.97; Φ18→Φ20 −30; "
        "delivered→ex_warehouse −30"
    )


def test_pb_fines_cny_wmt_to_62_index_usd_dmt(standardize, catalog) -> None:
    row = one(standardize(PB_CFR))
    assert row["series_code"] == "iron_ore_62.cfr_china"
    moisture = catalog.products["pb_fines"].moisture_pct
    assert moisture == 9.5
    # 800 CNY/wmt incl. VAT → ex VAT → USD at 7.20 (rate of 2026-11-24) → per dry tonne,
    # then value in use: Fe 61.5 → 62 at 2.50 USD per point (+1.25), PB brand −0.5 (+0.5).
    usd_dmt = 800 / 1.13 / 7.20 / (1 - 0.095)
    assert row["value"] == pytest.approx(usd_dmt + 1.25 + 0.5)
    assert row["value"] == pytest.approx(110.40, abs=0.01)
    assert row["std_adjustments"] == (
        "CNY→USD ÷7.2; incl→excl VAT ÷1.13; wet→dry ÷(1−9.5%); "
        "Fe 61.5%→Fe 62% +1.25; brand pb_fines +0.5"
    )


def test_seaborne_brands_value_in_use(standardize) -> None:
    res = standardize(
        {"product": "iron_ore_62", "spec": "Fe 62%", "region": "cfr_china", "price": "100.25",
         "unit": "美元/干吨", "tax_basis": None, "weight_basis": None, "delivery": None},
        {"product": "纽曼粉", "spec": "62.5%", "region": "cfr_china", "price": "102",
         "unit": "USD/dmt", "tax_basis": None, "weight_basis": None, "delivery": None},
    )  # fmt: skip
    assert res.kept["value"].to_list() == pytest.approx([100.25, 102 - 1.25 - 0.5])
    assert res.kept["std_adjustments"].to_list() == [
        None,
        "Fe 62.5%→Fe 62% −1.25; brand newman_fines −0.5",
    ]


def test_fx_rate_is_the_latest_on_or_before_the_report_date(standardize) -> None:
    res = standardize(
        {**PB_CFR, "time": "2026-11-22"},  # Sunday: rate of Friday 11-20
        {**PB_CFR, "time": "2026-11-23"},
    )
    notes = res.kept["std_adjustments"].to_list()
    assert notes[0].startswith("CNY→USD ÷7.1;") and notes[1].startswith("CNY→USD ÷7.15;")


def test_usd_report_into_cny_assessment(standardize) -> None:
    row = one(standardize({"price": "500", "unit": "美元/吨", "tax_basis": "不含税"}))
    assert row["value"] == pytest.approx(500 * 7.2 * 1.13)
    assert row["std_adjustments"] == "USD→CNY ×7.2; excl→incl VAT ×1.13"


def test_vat_rate_follows_the_report_date(standardize) -> None:
    res = standardize(
        {"time": "2019-03-29", "tax_basis": "不含税", "price": "3000"},
        {"time": "2018-03-01", "tax_basis": "不含税", "price": "3000"},
        {"time": "2019-04-01", "tax_basis": "不含税", "price": "3000"},
    )
    assert res.kept["value"].to_list() == pytest.approx([3480.0, 3510.0, 3390.0])
    days = pl.Series([date(2018, 4, 30), date(2018, 5, 1), date(2019, 3, 31), date(2019, 4, 1)])
    rates = pl.select(vat_rate(pl.lit(days))).to_series().to_list()
    assert rates == [0.17, 0.16, 0.16, 0.13]


# ----------------------------------------------------------------------- rejects


def test_missing_fx_is_rejected(ctx, standardize) -> None:
    res = standardize({**PB_CFR, "time": "2026-11-01"})  # before the first rate
    assert res.kept.height == 0
    row = res.rejected.row(0, named=True)
    assert (row["reason"], row["field"]) == ("missing_fx", "time")
    assert "USDCNY" in row["message"] and row["submission_id"] == 1001
    ctx.fx_rates = None
    assert standardize(PB_CFR).rejected["reason"].to_list() == ["missing_fx"]


def test_incompatible_unit_is_rejected(standardize) -> None:
    res = standardize({"unit": "元/湿吨"})  # rebar per wet tonne means nothing
    assert res.rejected.select("reason", "field").row(0) == ("unit_mismatch", "unit")
    assert res.counters["rejected_unit_mismatch"] == 1


def test_cfr_and_port_stock_are_different_markets(standardize) -> None:
    res = standardize(
        {**PB_CFR, "delivery": "港口现货"},  # a port-stock price cannot feed the CFR index
        {**PB_CFR, "region": "青岛港", "unit": "美元/干吨", "tax_basis": None, "delivery": None},
    )
    assert res.rejected["reason"].to_list() == ["delivery_mismatch", "delivery_mismatch"]
    assert res.kept.height == 0


# ----------------------------------------------------------------------- range check


def test_unit_slips_are_flagged_out_of_range(standardize) -> None:
    res = standardize({}, {"price": "3650000"}, {"price": "3.65"}, {"price": "6400"})
    kept = res.kept
    assert kept.height == 4 and res.rejected.height == 0
    assert kept["flag_reason"].to_list() == [None, "out_of_range", "out_of_range", None]
    assert kept["excluded"].to_list() == [False, True, True, False]
    assert kept["flag_score"][1] == pytest.approx(3650000 / 6500)
    assert kept["flag_score"][2] == pytest.approx(2500 / 3.65)
    assert kept["flag_score"][0] is None
    assert "合理区间 2500–6500" in kept["flag_message"][1]
    assert res.flagged["row_number"].to_list() == [2, 3]
    assert res.counters["flagged_out_of_range"] == 2
    for col, dtype in FLAG_SCHEMA.items():
        assert kept.schema[col] == dtype


def test_range_uses_the_assessment_product(standardize) -> None:
    # 800 CNY/wmt would be far outside the USD/dmt range; after conversion it is fine
    assert standardize(PB_CFR).flagged.height == 0


def test_output_keeps_verified_columns(ctx, make_batch) -> None:
    verified = VerifyStage().run(make_batch({}, {"spec": "Φ18"}), ctx).kept
    res = StandardizeStage().run(verified, ctx)
    assert res.kept.columns[: len(verified.columns)] == verified.columns
    assert {"value", "std_adjustments", *FLAG_SCHEMA} <= set(res.kept.columns)
    assert res.kept["submission_id"].to_list() == [1001, 1002]


def test_empty_input(ctx, make_batch) -> None:
    verified = VerifyStage().run(make_batch({}).head(0), ctx).kept
    res = StandardizeStage().run(verified, ctx)
    assert res.kept.height == 0 and "value" in res.kept.columns
