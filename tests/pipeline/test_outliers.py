"""Stage 6: every planted error type is caught, clean data is left (mostly) alone."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from factories import planted_market, precision_recall, recall_by_type, reports

from steelsage.catalog import load_catalog
from steelsage.pipeline.base import RunContext, StageResult
from steelsage.pipeline.outliers import PRIORITY, OutlierStage


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


@pytest.fixture(scope="module")
def market():  # type: ignore[no-untyped-def]
    return planted_market(seed=7)


@pytest.fixture(scope="module")
def result(market, catalog) -> StageResult:  # type: ignore[no-untyped-def]
    return OutlierStage().run(market.frame, RunContext(catalog=catalog))


def test_precision_and_recall_on_all_types_together(result, market) -> None:  # type: ignore[no-untyped-def]
    precision, recall = precision_recall(result.flagged["submission_id"], market.labels)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall


# Primary reasons that explain each planted type (the generic tests may win on some rows).
EXPECTED = {
    "unit_slip": {"out_of_range"},
    "transposition": {"mad_outlier", "cross_sectional", "hampel_outlier", "jump_vs_own_history",
                      "jump_vs_market", "vat_basis_suspect", "region_suspect"},
    "stale": {"stale_repeat"},
    "vat": {"vat_basis_suspect"},
    "wrong_region": {"region_suspect", "mad_outlier", "cross_sectional", "hampel_outlier"},
    "drift": {"source_drift", "mad_outlier", "cross_sectional"},
}  # fmt: skip


@pytest.mark.parametrize("error_type", sorted(EXPECTED))
def test_each_planted_type_is_caught_with_a_fitting_reason(result, market, error_type) -> None:  # type: ignore[no-untyped-def]
    recall = recall_by_type(result.flagged["submission_id"], market.labels)[error_type]
    assert recall >= 0.9, (error_type, recall)
    ids = market.labels.filter(pl.col("error_type") == error_type)["submission_id"]
    got = result.flagged.filter(pl.col("submission_id").is_in(ids.implode()))
    share = got["flag_reason"].is_in(sorted(EXPECTED[error_type])).mean()
    assert share >= 0.9, (error_type, got["flag_reason"].value_counts())


def test_signature_types_get_their_specific_reason(result, market) -> None:  # type: ignore[no-untyped-def]
    joined = result.flagged.join(market.labels, on="submission_id")
    for etype, reason in (("vat", "vat_basis_suspect"), ("stale", "stale_repeat")):
        part = joined.filter(pl.col("error_type") == etype)
        assert (part["flag_reason"] == reason).mean() >= 0.9, part["flag_reason"].value_counts()


def test_clean_market_is_mostly_left_alone(catalog) -> None:  # type: ignore[no-untyped-def]
    clean = planted_market(seed=11, errors=False)
    res = OutlierStage().run(clean.frame, RunContext(catalog=catalog))
    assert clean.labels.height == 0
    assert res.flagged.height / clean.frame.height < 0.002, res.flagged[
        "flag_reason"
    ].value_counts()


def test_output_shape_flags_and_counters(result, market) -> None:  # type: ignore[no-untyped-def]
    kept, flagged = result.kept, result.flagged
    assert kept.height == market.frame.height
    assert kept["submission_id"].to_list() == market.frame["submission_id"].to_list()
    for col in ("flag_reason", "flag_message", "flag_score", "excluded"):
        assert col in kept.columns
    assert flagged.height == kept["flag_reason"].is_not_null().sum()
    assert flagged["excluded"].all()
    assert (flagged["flag_score"] >= 1.0).all()
    assert set(flagged["flag_reason"].unique().to_list()) <= set(PRIORITY)
    by_reason = flagged.group_by("flag_reason").len()
    for reason, n in by_reason.iter_rows():
        assert result.counters[reason] == n
    assert result.counters["n_flagged"] == flagged.height
    assert result.counters["n_in"] == market.frame.height


def test_messages_carry_the_numbers(result) -> None:  # type: ignore[no-untyped-def]
    mad = result.flagged.filter(pl.col("flag_reason") == "mad_outlier").row(0, named=True)
    msg = mad["flag_message"]
    assert "当日中位数" in msg and "day median" in msg and "%" in msg
    assert " / " in msg  # zh / en
    stale = result.flagged.filter(pl.col("flag_reason") == "stale_repeat").row(0, named=True)
    assert "重复" in stale["flag_message"] and "repeated" in stale["flag_message"]


def test_range_check_flags_are_kept_not_reflagged(result, market) -> None:  # type: ignore[no-untyped-def]
    pre = market.frame.filter(pl.col("flag_reason").is_not_null())
    out = result.kept.join(pre.select("submission_id"), on="submission_id", how="semi")
    assert out.height == pre.height > 0
    assert (out["flag_reason"] == "out_of_range").all()
    assert out["flag_message"].to_list() == pre["flag_message"].to_list()
    assert out["excluded"].all()


def _day(values: list[float], day: date, series: str = "rebar.shanghai", start: int = 0) -> list:
    return [
        {"series_code": series, "date": day, "value": v, "source_code": f"S{start + i:04d}"}
        for i, v in enumerate(values)
    ]


def test_mad_outlier_on_one_day_with_numbers(catalog) -> None:  # type: ignore[no-untyped-def]
    d = date(2024, 5, 6)
    frame = reports(_day([3370, 3380, 3370, 3360, 3375, 3374, 3650], d))
    res = OutlierStage().run(frame, RunContext(catalog=catalog))
    assert res.flagged["submission_id"].to_list() == [7]
    row = res.flagged.row(0, named=True)
    assert row["flag_reason"] == "mad_outlier"
    assert "+8.2%" in row["flag_message"] and "3,650" in row["flag_message"]
    assert "3,374" in row["flag_message"]


def test_wild_values_do_not_mask_the_day(catalog) -> None:  # type: ignore[no-untyped-def]
    """A ×1000 slip (already out_of_range) and a wild value cannot hide a +4% report."""
    d = date(2024, 5, 6)
    rows = _day([3500, 3510, 3490, 3505, 3495, 3640, 3_500_000, 350], d)
    frame = reports(rows).with_columns(
        pl.when(pl.col("submission_id") == 7)
        .then(pl.lit("out_of_range"))
        .otherwise(pl.col("flag_reason"))
        .alias("flag_reason"),
        (pl.col("submission_id") == 7).alias("excluded"),
    )
    res = OutlierStage().run(frame, RunContext(catalog=catalog))
    reasons = dict(res.kept.select("submission_id", "flag_reason").iter_rows())
    assert reasons[7] == "out_of_range"
    assert reasons[6] == "mad_outlier"  # 3640 is +4 % off 3500
    assert reasons[8] == "mad_outlier"  # 350: wild, flagged although it would inflate a MAD
    assert all(reasons[i] is None for i in range(1, 6))


def test_editor_overrides_accept_and_reject(result, market, catalog) -> None:  # type: ignore[no-untyped-def]
    flagged_id = int(
        result.flagged.filter(pl.col("flag_reason") == "mad_outlier")[0, "submission_id"]
    )
    clean_id = int(result.kept.filter(pl.col("flag_reason").is_null())[0, "submission_id"])
    overrides = pl.DataFrame(
        {"submission_id": [flagged_id, clean_id], "action": ["accept", "reject"]}
    )
    res = OutlierStage().run(
        market.frame, RunContext(catalog=catalog, params={"overrides": overrides})
    )
    rows = {r["submission_id"]: r for r in res.kept.iter_rows(named=True)}
    accepted, rejected = rows[flagged_id], rows[clean_id]
    assert accepted["excluded"] is False
    assert accepted["flag_reason"] == "mad_outlier"  # flag kept for the record
    assert (
        "编辑已接受" in accepted["flag_message"]
        and "accepted by an editor" in accepted["flag_message"]
    )
    assert rejected["excluded"] is True
    assert rejected["flag_reason"] == "editor_rejected"
    assert res.counters["override_accept"] == 1 and res.counters["override_reject"] == 1


def test_bad_override_action_is_refused(market, catalog) -> None:  # type: ignore[no-untyped-def]
    overrides = pl.DataFrame({"submission_id": [1], "action": ["maybe"]})
    with pytest.raises(ValueError, match="accept"):
        OutlierStage().run(
            market.frame, RunContext(catalog=catalog, params={"overrides": overrides})
        )


def test_single_day_with_history_matches_the_batch_run(result, market, catalog) -> None:  # type: ignore[no-untyped-def]
    last = market.frame["date"].max()
    history = market.frame.filter(
        (pl.col("date") < last) & (pl.col("date") >= last - timedelta(days=60))
    )
    today = market.frame.filter(pl.col("date") == last)
    res = OutlierStage().run(today, RunContext(catalog=catalog, history=history))
    assert res.kept.height == today.height  # history rows are context only
    assert res.counters["n_history"] == history.height
    batch_flags = set(result.flagged.filter(pl.col("date") == last)["submission_id"].to_list())
    day_flags = set(res.flagged["submission_id"].to_list())
    union = batch_flags | day_flags
    assert len(batch_flags & day_flags) >= 0.9 * len(union), (batch_flags, day_flags)


def test_missing_columns_are_explained(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="standardized"):
        OutlierStage().run(pl.DataFrame({"value": [1.0]}), RunContext(catalog=catalog))


def test_empty_frame(catalog) -> None:  # type: ignore[no-untyped-def]
    empty = reports([]).clear()
    res = OutlierStage().run(empty, RunContext(catalog=catalog))
    assert res.kept.height == 0 and res.flagged.height == 0


def test_source_date_order_equals_the_full_sort() -> None:
    import random

    from steelsage.pipeline.outliers import _by_source_date

    rng = random.Random(3)
    n = 2_000
    frame = pl.DataFrame(
        {
            "src_i": [rng.randrange(5) for _ in range(n)],
            "ser_i": [rng.randrange(4) for _ in range(n)],
            "date": [date(2026, 1, 1) + timedelta(rng.randrange(-40000, 20)) for _ in range(n)],
            "submission_id": rng.sample(range(10 * n), n),
        },
        schema={"src_i": pl.Int64, "ser_i": pl.Int64, "date": pl.Date, "submission_id": pl.Int64},
    ).sort("src_i", "ser_i", "date", "submission_id")
    full = frame.sort("src_i", "date", "ser_i", "submission_id")
    assert _by_source_date(frame).equals(full)
    with_nulls = frame.with_columns(pl.when(pl.col("ser_i") == 1).then(None).otherwise("date"))
    assert _by_source_date(with_nulls).equals(
        with_nulls.sort("src_i", "date", "ser_i", "submission_id")
    )


def test_region_suspect_names_the_first_region_on_a_tie() -> None:
    from steelsage.pipeline.outliers import OutlierParams, _region_suspect

    day = date(2026, 11, 24)
    rows = [  # one flagged Shanghai report at 3,830; Hefei and Nanjing both at 3,830
        ("rebar.shanghai", "shanghai", 3830.0, 3960.0, True),
        ("rebar.nanjing", "nanjing", 3830.0, 3830.0, False),
        ("rebar.hefei", "hefei", 3830.0, 3830.0, False),
    ]
    flags = ("f_mad", "f_xsec", "f_hampel", "f_jump_own", "f_jump_mkt", "f_if")
    work = pl.DataFrame(
        [
            {
                "_key": i,
                "product_code": "rebar",
                "series_code": s,
                "region_code": r,
                "date": day,
                "value": v,
                "c": c,
                "r_ref": v / c - 1,
                "f_vat": False,
                "f_stale": False,
                "f_drift": False,
                **dict.fromkeys(flags, False),
                "f_mad": f,
            }
            for i, (s, r, v, c, f) in enumerate(rows)
        ]
    ).with_columns(pl.col("_key").cast(pl.UInt32))
    for order in (work, work.reverse().with_columns(pl.Series("_key", [0, 1, 2], pl.UInt32))):
        out = _region_suspect(order, OutlierParams()).filter("f_region")
        assert out.select("series_code", "other_region").rows() == [("rebar.shanghai", "hefei")]
