"""Stage 4: every reject reason, the parsers, classification and duplicates."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from steelsage.pipeline.ingest import read_reports
from steelsage.pipeline.verify import (
    TYPED_SCHEMA,
    VerifyStage,
    next_working_day,
    parse_date,
    parse_number,
)

BASE: dict[str, Any] = {}  # overrides nothing: the conftest's BASE_REPORT as it is


@pytest.fixture
def verify(ctx, make_batch):
    def run(*rows: dict[str, Any], **kw: Any):
        return VerifyStage().run(make_batch(*rows, **kw), ctx)

    return run


# ----------------------------------------------------------------------- good rows


def test_good_file_gets_typed_columns(ctx, data_dir: Path) -> None:
    read = read_reports(data_dir / "good.csv", max_bytes=1 << 20)
    frame = read.frame.with_columns(
        pl.lit(1, dtype=pl.Int64).alias("batch_id"),
        (pl.col("row_number") + 100).alias("submission_id"),
    )
    res = VerifyStage().run(frame, ctx)
    assert res.rejected.height == 0
    kept = res.kept
    for col, dtype in TYPED_SCHEMA.items():
        assert kept.schema[col] == dtype, col
    assert kept["series_code"].to_list() == [
        "rebar.shanghai",
        "hrc.shanghai",
        "pb_fines.qingdao_port",
        "rebar.hangzhou",
        "iron_ore_62.cfr_china",
    ]
    assert kept["data_type"].to_list() == ["deal", "offer", "deal", "bid", "bid"]
    assert kept["unit_code"].to_list() == [
        "CNY_T_VAT",
        "CNY_T_VAT",
        "CNY_WMT_VAT",
        "CNY_T_EXVAT",
        "USD_DMT_CFR",
    ]
    assert kept["tax_basis_code"].to_list() == ["incl", "incl", "incl", "excl", "n/a"]
    assert kept["weight_basis_code"].to_list() == ["actual", None, None, "theoretical", None]
    assert kept["delivery_code"].to_list() == [
        "ex_warehouse",
        "ex_warehouse",
        "port_stock",
        "ex_warehouse",
        "cfr",
    ]
    assert kept.select("price_low", "price_high", "price_value").row(1) == (3420, 3440, 3430)
    assert kept["price_value"][3] == 3300.0  # "3,300"
    assert kept["volume_t"].to_list() == [300, None, 1000, 200, 170000]
    assert json.loads(kept["spec_attrs"][3]) == {"grade": "HRB400E", "diameter_mm": 18.0}
    assert json.loads(kept["spec_attrs"][2]) == {"fe_pct": 61.5}
    assert kept["source_type"][1] == "mill" and kept["source_weight"][1] == 1.2
    assert kept["submission_id"].to_list() == [101, 102, 103, 104, 105]
    assert kept["date"].to_list() == [date(2026, 11, 24)] * 5
    assert res.counters["kept"] == 5 and res.counters["type_deal"] == 2


# ----------------------------------------------------------------------- one test per reason


@pytest.mark.parametrize(
    ("override", "reason", "field"),
    [
        ({"source": None}, "missing_field", "source"),
        ({"time": None}, "missing_field", "time"),
        ({"price": None}, "missing_field", "price"),
        ({"price": None, "low": "3600"}, "missing_field", "high"),
        ({"data_type": "随便说说"}, "missing_field", "data_type"),
        ({"tax_basis": "看情况"}, "missing_field", "tax_basis"),
        ({"delivery": "飞过去"}, "missing_field", "delivery"),
        ({"price": "abc"}, "bad_number", "price"),
        ({"price": "NaN"}, "bad_number", "price"),
        ({"price": None, "low": "3600", "high": "x"}, "bad_number", "high"),
        ({"volume": "很多"}, "bad_number", "volume"),
        ({"time": "11/24/2026"}, "bad_date", "time"),
        ({"time": "2026-02-30"}, "bad_date", "time"),
        ({"source": "nobody_99"}, "unknown_source", "source"),
        ({"source": "old_trader_06"}, "unknown_source", "source"),
        ({"product": "黄金"}, "unknown_product", "product"),
        ({"region": "火星"}, "unknown_region", "region"),
        ({"unit": "桶"}, "unknown_unit", "unit"),
        ({"unit": "万吨"}, "unknown_unit", "unit"),
        ({"price": "0"}, "non_positive", "price"),
        ({"price": "-5"}, "non_positive", "price"),
        ({"volume": "0"}, "non_positive", "volume"),
        ({"price": None, "low": "3700", "high": "3650"}, "low_gt_high", "low"),
        ({"time": "2026-11-26"}, "future_date", "time"),
        ({"region": "宁波"}, "not_assessed", "region"),
    ],
)
def test_reject_reason(verify, override: dict, reason: str, field: str) -> None:
    res = verify(BASE, override)
    assert res.kept.height == 1  # the good row is untouched
    assert res.rejected.height == 1
    row = res.rejected.row(0, named=True)
    assert (row["reason"], row["field"]) == (reason, field)
    assert row["row_number"] == 2 and row["submission_id"] == 1002
    assert row["message"].startswith("第2行") and " / row 2" in row["message"]
    assert res.counters[f"rejected_{reason}"] == 1


def test_rejected_rows_keep_the_raw_text(verify) -> None:
    res = verify({"price": "abc"})
    row = res.rejected.row(0, named=True)
    assert row["price"] == "abc" and row["product"] == "螺纹钢" and row["batch_id"] == 7
    assert row["message"] == (
        "第1行 字段 price：'abc' 不是数字 / row 1 field price: 'abc' is not a number"
    )


def test_inactive_source_says_so(verify) -> None:
    msg = verify({"source": "old_trader_06"}).rejected["message"][0]
    assert "来源已停用" in msg and "source inactive" in msg


def test_first_failing_check_wins(verify) -> None:
    res = verify({"price": "abc", "product": "黄金", "time": "2099-01-01"})
    assert res.rejected["reason"].to_list() == ["bad_number"]


def test_future_date_is_relative_to_today(ctx, verify) -> None:
    assert verify({"time": "2026-11-25 09:00"}).rejected.height == 0
    ctx.today = date(2026, 11, 23)
    assert verify({"time": "2026-11-24"}).rejected["reason"].to_list() == ["future_date"]


# ----------------------------------------------------------------------- duplicates


def test_duplicate_report_id_from_same_source(verify) -> None:
    res = verify(BASE, {"price": "3660"}, BASE, keep_ids=True)
    assert res.kept["row_number"].to_list() == [1]
    rej = res.rejected.select("row_number", "reason", "field").rows()
    assert rej == [(2, "duplicate", "report_id"), (3, "duplicate", "report_id")]
    assert "同第1行" in res.rejected["message"][0]


def test_same_report_id_from_other_source_is_not_a_duplicate(verify) -> None:
    res = verify(BASE, {"source": "sh_mill_02"}, keep_ids=True)
    assert res.kept.height == 2


def test_duplicate_content_without_report_id(verify) -> None:
    no_id = {"report_id": None}
    res = verify(
        no_id,
        {**no_id, "region": "上海市", "time": "2026/11/24"},  # same content, other spelling
        {**no_id, "price": "3660"},
        {**no_id, "data_type": "卖价"},
    )
    assert res.kept["row_number"].to_list() == [1, 3, 4]
    assert res.rejected.select("row_number", "reason").rows() == [(2, "duplicate")]


def test_content_copy_of_a_row_with_a_report_id_is_a_duplicate(verify) -> None:
    no_id = {"report_id": None}
    res = verify(BASE, no_id, {**no_id, "price": "abc"}, no_id)
    assert res.kept["row_number"].to_list() == [1]
    rej = res.rejected.select("row_number", "reason", "field").rows()
    assert rej == [(2, "duplicate", None), (3, "bad_number", "price"), (4, "duplicate", None)]
    assert all(
        "同第1行" in m for m in res.rejected.filter(pl.col("reason") == "duplicate")["message"]
    )


def test_rejected_rows_are_not_the_first_copy(verify) -> None:
    no_id = {"report_id": None}
    # Row 1 has the same content key but is rejected for its weight basis: row 2 is the
    # first clean copy, row 3 its duplicate.
    res = verify({**no_id, "weight_basis": "按件"}, no_id, no_id)
    assert res.kept["row_number"].to_list() == [2]
    assert res.rejected.select("row_number", "reason").rows() == [
        (1, "missing_field"),
        (3, "duplicate"),
    ]
    assert "同第2行" in res.rejected["message"][1]


# ----------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3650", 3650.0),
        ("3,650", 3650.0),
        ("３６５０", 3650.0),
        ("３，６５０．５", 3650.5),
        ("3650元", 3650.0),
        ("3650元/吨", 3650.0),
        ("¥3,650.5", 3650.5),
        ("￥3650", 3650.0),
        ("USD 101.5", 101.5),
        ("3650.0", 3650.0),
        (" 3650 ", 3650.0),
        ("-5", -5.0),
        ("abc", None),
        ("", None),
        (None, None),
        ("NaN", None),
        ("inf", None),
        ("1,23", None),
        ("1e3", None),
        ("3650 3660", None),
        ("36５0abc", None),
    ],
)
def test_parse_number(text: str | None, value: float | None) -> None:
    out = pl.select(parse_number(pl.lit(text, dtype=pl.Utf8))).item()
    assert out == value


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-24", date(2026, 11, 24)),
        ("2026/11/24", date(2026, 11, 24)),
        ("2026.11.24", date(2026, 11, 24)),
        ("2026-1-5", date(2026, 1, 5)),
        ("2026年11月24日", date(2026, 11, 24)),
        ("2026年1月5日 14:30", date(2026, 1, 5)),
        ("２０２６－１１－２４", date(2026, 11, 24)),
        ("2026-11-24 14:30", date(2026, 11, 24)),
        ("2026-11-24 14:30:59", date(2026, 11, 24)),
        ("2026-11-24T14:30:00", date(2026, 11, 24)),
        ("2026-11-24 00:00:00", date(2026, 11, 24)),  # an Excel date cell
        ("2026-11-24T20:00:00Z", date(2026, 11, 25)),  # 04:00 Beijing time next day
        ("2026-11-24T10:00:00+08:00", date(2026, 11, 24)),
        ("2026-11-24T23:30:00-05:00", date(2026, 11, 25)),
        ("20261124", date(2026, 11, 24)),
        ("46350", date(2026, 11, 24)),  # Excel serial day
        ("46350.5", date(2026, 11, 24)),
        ("11/24/2026", None),
        ("24/11/2026", None),
        ("2026-13-01", None),
        ("2026-02-29", None),
        ("2026-11-24 25:00", None),
        ("yesterday", None),
        ("", None),
        ("123", None),
    ],
)
def test_parse_date(text: str, day: date | None) -> None:
    assert pl.select(parse_date(pl.lit(text, dtype=pl.Utf8))).item() == day


def test_price_range_and_low_high_precedence(verify) -> None:
    res = verify(
        {"price": "3600-3650"},
        {"price": "3,600～3,650"},
        {"price": "3600~3650元"},
        {"price": "3000", "low": "3600", "high": "3650"},  # low/high win
    )
    assert res.rejected.height == 0
    for row in res.kept.select("price_low", "price_high", "price_value").rows():
        assert row == (3600.0, 3650.0, 3625.0)


# ----------------------------------------------------------------------- classification


def test_non_working_day_counts_for_next_working_day(verify) -> None:
    res = verify(
        {"time": "2026-11-22"},  # Sunday
        {"time": "2026-10-01"},  # National Day holiday
        {"time": "2026-10-10"},  # make-up working Saturday: the market is closed
        {"time": "2026-11-24"},
    )
    assert res.kept["date"].to_list() == [
        date(2026, 11, 23),
        date(2026, 10, 8),
        date(2026, 10, 12),
        date(2026, 11, 24),
    ]
    assert res.kept["report_date"][0] == date(2026, 11, 22)
    assert res.counters["moved_to_next_working_day"] == 3


def test_next_working_day_outside_calendar_years() -> None:
    assert next_working_day(date(2031, 3, 8)) == date(2031, 3, 10)  # Saturday → Monday
    assert next_working_day(date(2031, 3, 10)) == date(2031, 3, 10)


def test_shared_city_port_name_follows_the_product(verify) -> None:
    res = verify(
        {"region": "青岛"},
        {"product": "PB粉", "spec": "61.5%", "region": "青岛", "unit": "元/湿吨",
         "weight_basis": None, "delivery": None},
    )  # fmt: skip
    assert res.kept["series_code"].to_list() == ["rebar.qingdao", "pb_fines.qingdao_port"]


@pytest.mark.parametrize(
    ("unit", "tax", "unit_code", "tax_code"),
    [
        ("元/吨", "含税", "CNY_T_VAT", "incl"),
        ("元/吨", None, "CNY_T_VAT", "incl"),
        ("元/吨", "不含税", "CNY_T_EXVAT", "excl"),
        ("元/吨(不含税)", None, "CNY_T_EXVAT", "excl"),
        ("元/吨(不含税)", "含税", "CNY_T_VAT", "incl"),  # the tax column says it outright
        ("千元/吨", None, "KCNY_T_VAT", "incl"),
        ("千元/吨", "不含税", "KCNY_T_VAT", "excl"),
        ("美元/吨", None, "USD_T", "n/a"),
    ],
)
def test_unit_and_tax_basis(
    verify, unit: str, tax: str | None, unit_code: str, tax_code: str
) -> None:
    kept = verify({"unit": unit, "tax_basis": tax}).kept
    assert (kept["unit_code"][0], kept["tax_basis_code"][0]) == (unit_code, tax_code)


def test_data_type_and_delivery_words(verify) -> None:
    kept = verify(
        {"data_type": "询盘", "delivery": "到厂"},
        {"data_type": "挂牌价", "delivery": None},
        {"data_type": "indicative", "delivery": "EXW"},
        {"data_type": "Deal", "weight_basis": "理计"},
    ).kept
    assert kept["data_type"].to_list() == ["bid", "offer", "indication", "deal"]
    assert kept["delivery_code"].to_list() == [
        "delivered",
        "ex_warehouse",
        "ex_works",
        "ex_warehouse",
    ]
    assert kept["weight_basis_code"][3] == "theoretical"


def test_source_code_is_matched_loosely(verify) -> None:
    kept = verify({"source": " SH_Trader_01 "}).kept
    assert kept["source_code"][0] == "sh_trader_01"


def test_empty_batch(ctx, make_batch) -> None:
    res = VerifyStage().run(make_batch(BASE).head(0), ctx)
    assert res.kept.height == 0 and res.rejected.height == 0
    assert set(TYPED_SCHEMA) <= set(res.kept.columns)


def test_100k_rows_quickly(ctx, make_batch) -> None:
    n = 100_000
    frame = pl.concat([make_batch(BASE, {"price": "3660", "data_type": "卖价"})] * (n // 2))
    frame = frame.with_columns(
        pl.int_range(1, frame.height + 1).alias("row_number"),
        pl.format("R{}", pl.int_range(frame.height)).alias("report_id"),
    )
    t0 = time.perf_counter()
    res = VerifyStage().run(frame, ctx)
    elapsed = time.perf_counter() - t0
    assert res.kept.height == n
    assert elapsed < 5.0, f"verify took {elapsed:.2f}s for {n} rows"


def test_dates_far_outside_the_calendar_do_not_crash(verify) -> None:
    res = verify({"time": "2099-01-02"}, {"time": "1901-03-02"})
    assert res.rejected["reason"].to_list() == ["future_date"]
    assert res.kept["date"].to_list() == [date(1901, 3, 4)]  # Saturday → Monday
