"""Monitoring report: per-stage counts, coverage gaps, flag-rate drift, fallbacks, rejects."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from rich.console import Console
from sqlalchemy import Engine, insert

from steelsage.pipeline.monitor import (
    build_monitor_report,
    render_monitor,
    trading_days_between,
)
from steelsage.store import models as m

TODAY = date(2024, 6, 14)  # a Friday; Monday 2024-06-10 was the Dragon Boat holiday
T0 = datetime(2024, 6, 1, 12, 0)


def _fill(engine: Engine) -> None:
    src = [
        ("S1", True, ["rebar.shanghai"]),
        ("S2", True, ["rebar.shanghai", "hrc.shanghai"]),
        ("S3", False, ["hrc.shanghai"]),  # inactive: never a gap
    ]
    std: list[dict] = []

    def report(source: str, series: str, day: date) -> None:
        std.append(
            {"submission_id": len(std) + 1, "batch_id": 1, "source_code": source,
             "series_code": series, "date": day, "data_type": "deal", "raw_value": 3500.0,
             "value": 3500.0, "weight": 1.0, "excluded": False}
        )  # fmt: skip

    for i in range(40):  # previous window: 2024-05-09 .. 06-07
        report("S1", "rebar.shanghai", date(2024, 5, 9) + timedelta(days=i % 30))
    for i in range(10):  # recent window: 06-08 .. 06-14
        report("S1", "rebar.shanghai", date(2024, 6, 8) + timedelta(days=i % 6))
    report("S2", "rebar.shanghai", date(2024, 5, 30))  # 10 trading days before TODAY

    flags = [
        ("rebar.shanghai", date(2024, 6, 12), "mad_outlier"),
        ("rebar.shanghai", date(2024, 6, 13), "mad_outlier"),
        ("rebar.shanghai", date(2024, 5, 20), "mad_outlier"),
        ("rebar.shanghai", date(2024, 5, 21), "stale_repeat"),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(m.Source.__table__),
            [
                {"code": c, "name": c, "type": "trader", "region_code": "shanghai",
                 "credibility_weight": 1.0, "active": a, "created_at": T0, "updated_at": T0}
                for c, a, _ in src
            ],
        )  # fmt: skip
        conn.execute(
            insert(m.SourceCoverage.__table__),
            [{"source_code": c, "series_code": s} for c, _, cov in src for s in cov],
        )
        conn.execute(insert(m.StandardizedReport.__table__), std)
        conn.execute(
            insert(m.Flag.__table__),
            [
                {"submission_id": i + 1, "run_id": 1, "stage": "outliers", "series_code": s,
                 "date": d, "reason": r, "message": r, "score": 2.0, "status": "open",
                 "created_at": T0}
                for i, (s, d, r) in enumerate(flags)
            ],
        )  # fmt: skip
        runs = m.PipelineRun.__table__
        conn.execute(
            insert(runs),
            [
                {"id": 1, "started_at": T0, "finished_at": T0, "status": "complete"},
                {"id": 2, "started_at": T0 + timedelta(days=1), "status": "complete",
                 "finished_at": T0 + timedelta(days=1, seconds=30)},
            ],
        )  # fmt: skip
        conn.execute(
            insert(m.StageStat.__table__),
            [
                {"run_id": 2, "stage": "outliers", "seq": 3, "n_in": 51, "n_kept": 51,
                 "n_rejected": 0, "n_flagged": 4, "seconds": 0.5, "counters": {"mad_outlier": 3}},
                {"run_id": 2, "stage": "compile", "seq": 4, "n_in": 51, "n_kept": 20,
                 "n_rejected": 0, "n_flagged": 0, "seconds": 0.2, "counters": {}},
                {"run_id": 1, "stage": "compile", "seq": 4, "n_in": 1, "n_kept": 1,
                 "n_rejected": 0, "n_flagged": 0, "seconds": 0.1, "counters": {}},
            ],
        )  # fmt: skip
        conn.execute(
            insert(m.Series.__table__),
            [
                {"code": "rebar.shanghai", "kind": "assessment", "name_zh": "螺纹钢 上海",
                 "name_en": "Rebar Shanghai", "unit": "CNY_T_VAT"},
                {"code": "hrc.shanghai", "kind": "assessment", "name_zh": "热轧板卷 上海",
                 "name_en": "HRC Shanghai", "unit": "CNY_T_VAT"},
            ],
        )  # fmt: skip
        pub = conn.execute(
            insert(m.Publication.__table__).values(
                release="r", version=1, kind="initial", published_at=T0, published_by="t"
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(m.SeriesObservation.__table__),
            [
                {"series_code": "rebar.shanghai", "date": TODAY - timedelta(days=k),
                 "value": 3500.0, "fallback": k == 1, "publication_id": pub, "version": 1,
                 "published_at": T0}
                for k in range(4)
            ],
        )  # fmt: skip
        conn.execute(
            insert(m.Reject.__table__),
            [
                {"file_name": "a.csv", "row_number": i, "reason": "bad_number",
                 "message": "x", "created_at": datetime(2024, 6, 13, 9, 0)}
                for i in range(3)
            ]
            + [
                {"file_name": "a.csv", "row_number": 9, "reason": "bad_date", "message": "x",
                 "created_at": datetime(2024, 5, 25, 9, 0)},
                {"file_name": "old.csv", "row_number": 1, "reason": "bad_number",
                 "message": "x", "created_at": datetime(2024, 1, 2, 9, 0)},
            ],
        )  # fmt: skip


@pytest.fixture
def report(sqlite_engine: Engine) -> dict:
    _fill(sqlite_engine)
    return build_monitor_report(sqlite_engine, days=30, today=TODAY)


def test_report_keys_and_json(report: dict) -> None:
    assert set(report) == {
        "today", "days", "last_run", "coverage_gaps", "flag_rates", "fallback_share",
        "rejects_by_reason",
    }  # fmt: skip
    json.dumps(report)  # JSON-serialisable
    assert report["today"] == "2024-06-14" and report["days"] == 30


def test_last_run_stage_counts(report: dict) -> None:
    run = report["last_run"]
    assert run["id"] == 2 and run["status"] == "complete"
    assert [s["stage"] for s in run["stages"]] == ["outliers", "compile"]
    assert run["stages"][0]["n_flagged"] == 4 and run["stages"][0]["counters"] == {"mad_outlier": 3}


def test_coverage_gaps(report: dict) -> None:
    gaps = report["coverage_gaps"]
    stale = {(g["source_code"], g["series_code"]): g for g in gaps["stale_sources"]}
    assert set(stale) == {("S2", "rebar.shanghai"), ("S2", "hrc.shanghai")}
    assert stale["S2", "rebar.shanghai"]["trading_days_since"] == 10
    assert stale["S2", "rebar.shanghai"]["last_report"] == "2024-05-30"
    assert stale["S2", "hrc.shanghai"]["last_report"] is None
    silent = {g["series_code"] for g in gaps["series_without_reports"]}
    assert silent == {"hrc.shanghai"}


def test_flag_rates_and_drift(report: dict) -> None:
    rates = report["flag_rates"]
    assert rates["recent"]["reports"] == 10 and rates["previous"]["reports"] == 41
    mad = next(r for r in rates["by_reason"] if r["reason"] == "mad_outlier")
    assert (mad["recent"], mad["previous"]) == (2, 1)
    assert mad["recent_rate"] == pytest.approx(0.2)
    assert mad["previous_rate"] == pytest.approx(1 / 41, abs=1e-6)
    assert mad["drift"] == pytest.approx(0.2 / (1 / 41), rel=1e-3)
    stale = next(r for r in rates["by_reason"] if r["reason"] == "stale_repeat")
    assert stale["recent"] == 0 and stale["drift"] == 0
    series = rates["by_series"][0]
    assert series["series_code"] == "rebar.shanghai" and series["recent"] == 2


def test_fallback_share_and_rejects(report: dict) -> None:
    assert report["fallback_share"] == [
        {"series_code": "rebar.shanghai", "n": 4, "n_fallback": 1, "share": 0.25}
    ]
    assert report["rejects_by_reason"] == [
        {"reason": "bad_number", "n": 3, "recent": 3},
        {"reason": "bad_date", "n": 1, "recent": 0},
    ]


def test_render_prints_bilingual_tables(report: dict) -> None:
    console = Console(record=True, width=160)
    render_monitor(report, console)
    text = console.export_text()
    for heading in ("最近一次运行（last run）", "覆盖缺口（coverage gaps", "标记率",
                    "推算值占比（fallback share", "拒收原因（rejects by reason）"):  # fmt: skip
        assert heading in text
    assert "S2" in text and "bad_number" in text


def test_empty_store(sqlite_engine: Engine) -> None:
    report = build_monitor_report(sqlite_engine, today=TODAY)
    assert report["last_run"] is None
    assert report["coverage_gaps"]["stale_sources"] == []
    render_monitor(report, Console(record=True))


def test_trading_days_skip_weekends_and_holidays() -> None:
    assert trading_days_between(date(2024, 6, 7), date(2024, 6, 11)) == 1  # Sat, Sun, holiday
    assert trading_days_between(date(2024, 6, 3), date(2024, 6, 7)) == 4
    with pytest.raises(ValueError, match="days"):
        build_monitor_report(None, days=0)  # type: ignore[arg-type]
