"""Stage 7: weighted median, percentiles, rounding, minimum data and fallback, change."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from factories import reports

from steelsage.catalog import load_catalog
from steelsage.pipeline.base import RunContext
from steelsage.pipeline.compile import ASSESSMENT_SCHEMA, CompileStage

D1, D2, D3 = date(2024, 5, 6), date(2024, 5, 7), date(2024, 5, 8)


@pytest.fixture(scope="module")
def ctx() -> RunContext:
    return RunContext(catalog=load_catalog())


def rows(series: str, day: date, values: list[float], **kw: object) -> list[dict]:
    """One report per value from distinct sources (S0001, S0002, …)."""
    out = []
    for i, v in enumerate(values, start=1):
        row = {"series_code": series, "date": day, "value": v, "source_code": f"S{i:04d}"}
        row.update({k: (val[i - 1] if isinstance(val, list) else val) for k, val in kw.items()})
        out.append(row)
    return out


def compile_(data: list[dict], ctx: RunContext) -> pl.DataFrame:
    return CompileStage().run(reports(data), ctx).kept


def one(frame: pl.DataFrame, series: str = "rebar.shanghai", day: date = D1) -> dict:
    got = frame.filter((pl.col("series_code") == series) & (pl.col("date") == day))
    assert got.height == 1, got
    return got.row(0, named=True)


def test_equal_weights_median_and_percentiles(ctx) -> None:  # type: ignore[no-untyped-def]
    a = one(compile_(rows("rebar.shanghai", D1, [3500, 3520, 3540, 3560, 3580]), ctx))
    # W = 5: median = first value with cumulative weight ≥ 2.5; p10 ≥ 0.5; p90 ≥ 4.5
    assert (a["mid"], a["low"], a["high"]) == (3540, 3500, 3580)
    assert (a["n_sources"], a["n_reports"], a["n_deals"], a["n_excluded"]) == (5, 5, 5, 0)
    assert a["fallback"] is False and a["fallback_reason"] is None
    assert a["method"] == "weighted_median:deal>bid/offer>indication"


def test_data_type_weights(ctx) -> None:  # type: ignore[no-untyped-def]
    data = rows(
        "rebar.shanghai", D1, [3500, 3600, 3620, 3400],
        data_type=["deal", "offer", "offer", "indication"],
    )  # fmt: skip
    a = one(compile_(data, ctx))
    # sorted: 3400 (.25), 3500 (1 → 1.25), 3600 (.5 → 1.75), 3620 (.5 → 2.25); W/2 = 1.125
    assert a["mid"] == 3500
    assert a["low"] == 3400  # 0.1 W = 0.225
    assert a["high"] == 3620  # 0.9 W = 2.025
    assert a["n_deals"] == 1


def test_volume_and_credibility_weights(ctx) -> None:  # type: ignore[no-untyped-def]
    data = rows(
        "rebar.shanghai", D1, [3500, 3550, 3600],
        data_type=["deal", "bid", "deal"], volume_t=[None, None, 1000.0],
    )  # fmt: skip
    # weights 1, 0.5, 1 + log1p(1) = 1.693: W/2 = 1.597 → reached at 3600 (without the
    # volume factor W/2 = 1.25 would be reached at 3550)
    assert one(compile_(data, ctx))["mid"] == 3600
    assert 1 + math.log1p(1.0) > 1.5
    # Credibility: a 3× weight on the low deal pulls the median down.
    data = rows("rebar.shanghai", D1, [3500, 3550, 3600], source_weight=[3.0, 1.0, 1.0])
    assert one(compile_(data, ctx))["mid"] == 3500


def test_median_tie_is_averaged_and_rounded_to_10_cny(ctx) -> None:  # type: ignore[no-untyped-def]
    a = one(compile_(rows("rebar.shanghai", D1, [3500, 3510, 3530, 3540]), ctx))
    # W = 4: cumulative weight hits exactly 2 at 3510 → (3510 + 3530) / 2 = 3520
    assert a["mid"] == 3520
    b = one(compile_(rows("rebar.shanghai", D1, [3503, 3507, 3512]), ctx))
    assert (b["mid"], b["low"], b["high"]) == (3510, 3500, 3510)


def test_ore_index_type_shares_and_usd_rounding(ctx) -> None:  # type: ignore[no-untyped-def]
    s = "iron_ore_62.cfr_china"
    data = rows(s, D1, [105.33, 105.10, 105.60], data_type=["deal", "bid", "offer"])
    a = one(compile_(data, ctx), s)
    # weights .6/.2/.2: 105.10 (.2), 105.33 (.8), 105.60 (1.0) → 105.33 → 0.05 step
    assert a["mid"] == pytest.approx(105.35)
    assert a["method"] == "weighted_median:deal60/bid20/offer20"
    # Five bids share 20 %: the deal stays the median (per-report weights would give 98).
    data = rows(
        s, D1, [100.0, 98.0, 98.0, 98.0, 98.0, 98.0, 104.0, 99.0],
        data_type=["deal", "bid", "bid", "bid", "bid", "bid", "offer", "indication"],
    )  # fmt: skip
    assert one(compile_(data, ctx), s)["mid"] == pytest.approx(100.0)


def test_weightless_indications_do_not_count_as_sources(ctx) -> None:  # type: ignore[no-untyped-def]
    s = "iron_ore_62.cfr_china"
    data = rows(
        s,
        D1,
        [100.0, 100.5, 100.2, 99.0, 99.5],
        data_type=["deal", "bid", "offer", "indication", "indication"],
    )
    a = one(compile_(data, ctx), s)
    assert (a["n_sources"], a["n_reports"]) == (3, 5)  # indications weigh nothing here
    thin = rows(s, D1, [100.0, 100.5, 99.0, 99.5], data_type=["deal", "bid", *["indication"] * 2])
    # two firm sources < min_sources 3, and no previous mid to fall back on: no assessment
    assert compile_(thin, ctx).filter(pl.col("series_code") == s).height == 0


def test_excluded_rows_are_ignored_but_counted(ctx) -> None:  # type: ignore[no-untyped-def]
    data = rows(
        "rebar.shanghai", D1, [3500, 3520, 3540, 9999], excluded=[False, False, False, True]
    )
    a = one(compile_(data, ctx))
    assert a["mid"] == 3520 and a["high"] == 3540
    assert (a["n_reports"], a["n_excluded"], a["n_sources"]) == (3, 1, 3)


def test_distinct_sources_count_once(ctx) -> None:  # type: ignore[no-untyped-def]
    data = rows("rebar.shanghai", D1, [3500, 3520, 3540], source_code="S0001")
    a_rows = compile_(data + rows("rebar.hangzhou", D1, [3600, 3610, 3620]), ctx)
    # rebar.shanghai has one distinct source and no previous mid: no assessment at all
    assert a_rows.filter(pl.col("series_code") == "rebar.shanghai").height == 0
    assert one(a_rows, "rebar.hangzhou")["n_sources"] == 3


def _market() -> list[dict]:
    """rebar.shanghai is short of sources on D2 and D3; two peers move +1 %/+2 %, 0 %/+2 %."""
    data = rows("rebar.shanghai", D1, [3490, 3500, 3510])
    data += rows("rebar.shanghai", D2, [3700, 3710])  # 2 sources < min_sources 3
    data += rows("rebar.shanghai", D3, [3700])
    data += rows("rebar.hangzhou", D1, [3600, 3600, 3600])
    data += rows("rebar.hangzhou", D2, [3636, 3636, 3636])  # +1 %
    data += rows("rebar.hangzhou", D3, [3636, 3636, 3636])  # 0 %
    data += rows("rebar.nanjing", D1, [3400, 3400, 3400])
    data += rows("rebar.nanjing", D2, [3468, 3468, 3468])  # +2 %
    data += rows("rebar.nanjing", D3, [3537.36, 3537.36, 3537.36])  # +2 %
    return data


def test_fallback_uses_peer_median_change_and_chains(ctx) -> None:  # type: ignore[no-untyped-def]
    out = compile_(_market(), ctx)
    d1, d2, d3 = (one(out, "rebar.shanghai", d) for d in (D1, D2, D3))
    assert d1["mid"] == 3500 and d1["fallback"] is False
    # D2: 3500 × (1 + median(+1 %, +2 %)) = 3552.5 → 3550
    assert d2["mid"] == 3550
    assert d2["fallback"] is True and d2["fallback_reason"] == "insufficient_sources"
    assert d2["low"] is None and d2["high"] is None
    assert d2["method"].startswith("fallback:")
    assert d2["n_sources"] == 2
    # D3 chains on the unrounded 3552.5: × (1 + median(0 %, +2 %)) = 3588.03 → 3590
    assert d3["mid"] == 3590 and d3["fallback"] is True
    assert d2["change"] == 50 and d2["change_pct"] == pytest.approx(50 / 3500 * 100, abs=1e-4)
    assert d3["change"] == 40


def test_change_vs_previous_day_and_counters(ctx) -> None:  # type: ignore[no-untyped-def]
    res = CompileStage().run(reports(_market()), ctx)
    hz = res.kept.filter(pl.col("series_code") == "rebar.hangzhou").sort("date")
    assert hz["change"].to_list() == [None, 40.0, 0.0]  # 3600 → 3640 → 3640 (rounded mids)
    assert hz["change_pct"][1] == pytest.approx(40 / 3600 * 100, abs=1e-4)
    assert res.counters["n_fallback"] == 2
    assert res.counters["n_assessments"] == 9
    assert res.kept.schema == pl.Schema(ASSESSMENT_SCHEMA)


def test_previous_published_mids_anchor_the_batch(ctx) -> None:  # type: ignore[no-untyped-def]
    """A one-day batch: change and fallback start from the last published mids."""
    day = [r for r in _market() if r["date"] == D2]
    prev = pl.DataFrame(
        {
            "series_code": ["rebar.shanghai", "rebar.hangzhou", "rebar.nanjing"],
            "date": [D1, D1, D1],
            "value": [3500.0, 3600.0, 3400.0],
        }
    )
    for context in (
        RunContext(catalog=ctx.catalog, history=prev),
        RunContext(catalog=ctx.catalog, params={"previous_mids": prev}),
    ):
        out = CompileStage().run(reports(day), context).kept
        sh = one(out, "rebar.shanghai", D2)
        assert sh["fallback"] is True and sh["mid"] == 3550
        assert one(out, "rebar.hangzhou", D2)["change"] == 40


def test_no_previous_mid_means_no_assessment(ctx) -> None:  # type: ignore[no-untyped-def]
    res = CompileStage().run(reports(rows("rebar.shanghai", D1, [3500, 3510])), ctx)
    assert res.kept.height == 0
    assert res.counters["n_no_assessment"] == 1


def test_port_series_need_two_sources(ctx) -> None:  # type: ignore[no-untyped-def]
    a = one(
        compile_(rows("pb_fines.qingdao_port", D1, [780.4, 781.6]), ctx), "pb_fines.qingdao_port"
    )
    assert a["fallback"] is False  # min_sources 2 for ports
    assert a["mid"] == 781  # tie averaged: (780.4 + 781.6) / 2, rounded to 1 CNY/wmt


def test_missing_columns_are_explained(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="flagged frame"):
        CompileStage().run(pl.DataFrame({"value": [1.0]}), ctx)
