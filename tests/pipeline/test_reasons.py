"""The reason-code registry covers every code of the contract, in both languages."""

from __future__ import annotations

import polars as pl
import pytest

from steelsage.pipeline import reasons

CONTRACT_REJECTS = [
    "missing_column",
    "missing_field",
    "bad_number",
    "bad_date",
    "unknown_product",
    "unknown_region",
    "unknown_source",
    "unknown_unit",
    "non_positive",
    "low_gt_high",
    "duplicate",
    "future_date",
    "bad_encoding",
    "row_too_long",
]
CONTRACT_FLAGS = [
    "out_of_range",
    "mad_outlier",
    "hampel_outlier",
    "jump_vs_own_history",
    "jump_vs_market",
    "stale_repeat",
    "cross_sectional",
    "source_drift",
    "isolation_forest",
    "vat_basis_suspect",
    "region_suspect",
]


def test_every_contract_code_is_registered_with_its_kind() -> None:
    assert set(CONTRACT_REJECTS) <= reasons.REJECT_CODES
    assert set(CONTRACT_FLAGS) <= reasons.FLAG_CODES
    assert not reasons.REJECT_CODES & reasons.FLAG_CODES


def test_added_codes() -> None:
    for code in ("not_assessed", "missing_fx", "file_too_large", "bad_format", "duplicate_source"):
        assert reasons.is_reject(code)
    for code in ("insufficient_sources", "thin_coverage", "uncovered"):
        assert reasons.is_flag(code)


@pytest.mark.parametrize("code", sorted(reasons.REASONS))
def test_texts_are_bilingual(code: str) -> None:
    r = reasons.get(code)
    assert r.zh and r.en and r.zh != r.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.zh)
    assert r.en.isascii()
    assert reasons.text(code, "en") == r.en and reasons.text(code) == r.zh


def test_unknown_code_says_how_to_fix() -> None:
    with pytest.raises(KeyError, match="register it"):
        reasons.get("no_such_code")


def test_message_format() -> None:
    msg = reasons.message("bad_number", row=12, field="price", value="abc")
    assert msg == ("第12行 字段 price：'abc' 不是数字 / row 12 field price: 'abc' is not a number")
    assert (
        reasons.message("low_gt_high") == "最低价高于最高价 / has a low price above the high price"
    )
    detail = reasons.message("future_date", row=3, detail_zh="今天 2026-11-25", detail_en="today")
    assert detail.startswith("第3行：是未来日期（今天 2026-11-25）")


def test_message_expr_matches_message() -> None:
    df = pl.DataFrame({"row_number": [12, 7], "price": ["abc", None]})
    out = df.select(reasons.message_expr("bad_number", field="price", value=pl.col("price")))
    got = out.to_series().to_list()
    assert got[0] == reasons.message("bad_number", row=12, field="price", value="abc")
    assert got[1] == reasons.message("bad_number", row=7, field="price", value="")
    no_row = df.select(reasons.message_expr("duplicate", row=pl.lit(None))).to_series()
    assert no_row[0] == reasons.message("duplicate")
