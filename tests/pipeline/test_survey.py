"""Stage 1: coverage of each assessment by active sources."""

from __future__ import annotations

import polars as pl

from steelsage.pipeline.survey import SURVEY_SCHEMA, MarketSurveyStage


def coverage(*pairs: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema=["source_code", "series_code"], orient="row")


def status_of(res, series: str) -> tuple[int, int, str]:
    row = res.kept.filter(pl.col("series_code") == series).row(0, named=True)
    return row["n_sources_covering"], row["min_sources"], row["status"]


def test_one_row_per_assessment_with_status(ctx, catalog) -> None:
    cov = coverage(
        # rebar.shanghai (min 3): 5 active sources, under 2 × 3 → thin
        ("sh_trader_01", "rebar.shanghai"),
        ("sh_mill_02", "rebar.shanghai"),
        ("hz_trader_04", "rebar.shanghai"),
        ("sg_broker_05", "rebar.shanghai"),
        ("qd_trader_03", "rebar.shanghai"),
        ("sh_trader_01", "rebar.shanghai"),  # repeated row counts once
        # pb_fines.qingdao_port (min 2): 4 → ok
        ("qd_trader_03", "pb_fines.qingdao_port"),
        ("sh_trader_01", "pb_fines.qingdao_port"),
        ("sg_broker_05", "pb_fines.qingdao_port"),
        ("sh_mill_02", "pb_fines.qingdao_port"),
        # hrc.shanghai (min 3): 2 active + 1 inactive → uncovered
        ("sh_trader_01", "hrc.shanghai"),
        ("sh_mill_02", "hrc.shanghai"),
        ("old_trader_06", "hrc.shanghai"),
    )
    res = MarketSurveyStage().run(cov, ctx)
    assert res.kept.schema == pl.Schema(SURVEY_SCHEMA)
    assert res.kept.height == len(catalog.assessments)
    assert status_of(res, "rebar.shanghai") == (5, 3, "thin")
    assert status_of(res, "pb_fines.qingdao_port") == (4, 2, "ok")
    assert status_of(res, "hrc.shanghai") == (2, 3, "uncovered")
    assert status_of(res, "rebar.beijing") == (0, 3, "uncovered")
    assert res.counters["ok"] == 1 and res.counters["thin"] == 1
    assert res.counters["uncovered"] == len(catalog.assessments) - 2
    assert res.counters["inactive_source_rows"] == 1


def test_thin_and_uncovered_are_flagged(ctx) -> None:
    cov = coverage(*[(s, "rebar.shanghai") for s in ("sh_trader_01", "sh_mill_02", "hz_trader_04")])
    res = MarketSurveyStage().run(cov, ctx)
    flagged = res.flagged.filter(pl.col("series_code") == "rebar.shanghai").row(0, named=True)
    assert flagged["flag_reason"] == "thin_coverage"
    assert flagged["flag_score"] == 1.0
    assert "3 个来源，最少 3 个" in flagged["flag_message"]
    assert "3 sources, minimum 3" in flagged["flag_message"]
    beijing = res.flagged.filter(pl.col("series_code") == "rebar.beijing").row(0, named=True)
    assert beijing["flag_reason"] == "uncovered" and beijing["flag_score"] == 0.0
    assert res.flagged.height == res.kept.filter(pl.col("status") != "ok").height


def test_six_sources_make_a_city_series_ok(ctx, sources) -> None:
    extra = pl.DataFrame(
        {
            "code": ["x1", "x2"],
            "type": ["trader", "mill"],
            "region_code": ["shanghai", "shanghai"],
            "credibility_weight": [1.0, 1.0],
            "active": [True, True],
        }
    )
    ctx.sources = pl.concat([ctx.sources, extra])
    active = ["sh_trader_01", "sh_mill_02", "hz_trader_04", "sg_broker_05", "x1", "x2"]
    res = MarketSurveyStage().run(coverage(*[(s, "rebar.shanghai") for s in active]), ctx)
    assert status_of(res, "rebar.shanghai") == (6, 3, "ok")


def test_unknown_series_and_sources_are_rejected(ctx) -> None:
    cov = coverage(
        ("sh_trader_01", "rebar.mars"),
        ("ghost_source", "rebar.shanghai"),
        ("sh_trader_01", "rebar.shanghai"),
    )
    res = MarketSurveyStage().run(cov, ctx)
    rej = res.rejected.select("source_code", "series_code", "reason").rows()
    assert sorted(rej) == [
        ("ghost_source", "rebar.shanghai", "unknown_source"),
        ("sh_trader_01", "rebar.mars", "unknown_series"),
    ]
    assert status_of(res, "rebar.shanghai")[0] == 1
    assert res.counters["unknown_series"] == 1 and res.counters["unknown_source"] == 1


def test_without_a_sample_library_every_coverage_row_counts(ctx) -> None:
    ctx.sources = None
    res = MarketSurveyStage().run(coverage(("anyone", "rebar.shanghai")), ctx)
    assert status_of(res, "rebar.shanghai") == (1, 3, "uncovered")


def test_empty_coverage(ctx, catalog) -> None:
    res = MarketSurveyStage().run(coverage(), ctx)
    assert res.kept.height == len(catalog.assessments)
    assert set(res.kept["status"]) == {"uncovered"}
