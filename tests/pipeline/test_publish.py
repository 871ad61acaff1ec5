"""Stage 8: the values to publish, refusals, and exports of published values."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from steelsage.catalog import load_catalog
from steelsage.pipeline.base import RunContext
from steelsage.pipeline.publish import (
    VALUES_SCHEMA,
    PublishRefusedError,
    PublishStage,
    export_published,
    resolve_destination,
)
from steelsage.pipeline.release import PublishError
from steelsage.store import publish_values, upsert_series

D1, D2 = date(2024, 5, 6), date(2024, 5, 7)


def assessment_frame(mids: list[float | None]) -> pl.DataFrame:
    n = len(mids)
    return pl.DataFrame(
        {
            "assessment_id": list(range(1, n + 1)),
            "series_code": ["rebar.shanghai"] * n,
            "date": [date(2024, 5, 6 + i) for i in range(n)],
            "low": [3490.0] * n,
            "high": [3520.0] * n,
            "mid": mids,
            "change": [None, *[10.0] * (n - 1)][:n],
            "change_pct": [None, *[0.29] * (n - 1)][:n],
            "n_sources": [5] * n,
            "n_reports": [7] * n,
            "fallback": [False] * n,
            "method": ["weighted_median"] * n,
        },
        schema_overrides={"mid": pl.Float64, "change": pl.Float64, "change_pct": pl.Float64},
    )


@pytest.fixture(scope="module")
def ctx() -> RunContext:
    return RunContext(catalog=load_catalog())


def test_assessments_become_publishable_values(ctx) -> None:  # type: ignore[no-untyped-def]
    index = pl.DataFrame(
        {"series_code": ["idx.ore_62"], "date": [D1], "value": [100.0]},
        schema={"series_code": pl.Utf8, "date": pl.Date, "value": pl.Float64},
    )
    ctx = RunContext(catalog=ctx.catalog, params={"index_values": index})
    res = PublishStage().run(assessment_frame([3500.0, 3510.0]), ctx)
    values = res.kept
    assert values.schema == pl.Schema(VALUES_SCHEMA)
    assert values.height == 3
    row = values.filter(pl.col("series_code") == "rebar.shanghai").row(1, named=True)
    assert row == {
        "series_code": "rebar.shanghai",
        "date": D2,
        "value": 3510.0,
        "low": 3490.0,
        "high": 3520.0,
        "change": 10.0,
        "n_sources": 5,
        "fallback": False,
        "assessment_id": 2,
    }
    idx = values.filter(pl.col("series_code") == "idx.ore_62").row(0, named=True)
    assert idx["value"] == 100.0 and idx["fallback"] is False and idx["assessment_id"] is None
    assert res.counters == {"n_values": 3, "n_series": 2, "n_fallback": 0, "n_index_values": 1}


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (assessment_frame([]), "empty"),
        (assessment_frame([3500.0, None]), "null mids"),
        (assessment_frame([3500.0, 0.0]), "non-positive"),
        (assessment_frame([3500.0, -1.0]), "non-positive"),
        (pl.concat([assessment_frame([3500.0])] * 2), "repeat"),
    ],
)
def test_bad_frames_are_refused(ctx, frame, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PublishRefusedError, match=match) as err:
        PublishStage().run(frame, ctx)
    assert isinstance(err.value, PublishError)  # what release.publish_run's callers catch


# --------------------------------------------------------------------------- exports
def _publish(engine: Engine) -> None:
    series = [
        {"code": "rebar.shanghai", "kind": "assessment", "name_zh": "螺纹钢 上海",
         "name_en": "Rebar Shanghai", "unit": "CNY_T_VAT"},
        {"code": "idx.ore_62", "kind": "index", "name_zh": "62%铁矿石价格指数",
         "name_en": "62% Fe iron ore price index", "unit": "INDEX"},
    ]  # fmt: skip
    values = PublishStage().run(assessment_frame([3500.0, 3510.0]), RunContext(catalog=None)).kept
    index = pl.DataFrame(
        {"series_code": ["idx.ore_62"] * 2, "date": [D1, D2], "value": [100.0, 101.5]}
    )
    with engine.begin() as conn:
        upsert_series(conn, series)
        publish_values(
            conn, release="r1", kind="initial", values=pl.concat([values, index], how="diagonal"),
            who="test", now=datetime(2024, 5, 7, 17, 30),
        )  # fmt: skip
        fix = values.filter(pl.col("date") == D2).with_columns(pl.lit(3530.0).alias("value"))
        publish_values(
            conn, release="r1", kind="correction", values=fix, who="test",
            now=datetime(2024, 5, 8, 9, 0),
        )  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_round_trip(sqlite_engine: Engine, tmp_path: Path, fmt: str) -> None:
    _publish(sqlite_engine)
    path = export_published(sqlite_engine, "prices", fmt, export_dir=tmp_path)  # type: ignore[arg-type]
    assert path == (tmp_path / f"prices.{fmt}").resolve() and path.exists()
    back = {
        "csv": lambda p: pl.read_csv(p, try_parse_dates=True),
        "parquet": pl.read_parquet,
        "xlsx": pl.read_excel,
    }[fmt](path)
    assert back.columns == [
        "code", "name_zh", "name_en", "unit", "date", "value", "low", "high", "change",
        "n_sources", "fallback", "version", "published_at",
    ]  # fmt: skip
    assert back.height == 4
    reb = back.filter(pl.col("code") == "rebar.shanghai").sort("date")
    assert reb["name_zh"].to_list() == ["螺纹钢 上海"] * 2
    assert reb["value"].to_list() == [3500.0, 3530.0]  # the correction is current
    assert reb["version"].to_list() == [1, 2]
    assert str(reb["date"][0]).startswith("2024-05-06")


def test_export_filters_and_as_of(sqlite_engine: Engine, tmp_path: Path) -> None:
    _publish(sqlite_engine)
    path = export_published(
        sqlite_engine, "old.parquet", "parquet", codes=["rebar.shanghai"], start=D2,
        as_of=datetime(2024, 5, 7, 23, 0), export_dir=tmp_path,
    )  # fmt: skip
    back = pl.read_parquet(path)
    assert back.select("code", "date", "value", "version").rows() == [
        ("rebar.shanghai", D2, 3510.0, 1)
    ]
    with pytest.raises(ValueError, match="unknown series"):
        export_published(sqlite_engine, "x.csv", "csv", codes=["nope.x"], export_dir=tmp_path)
    with pytest.raises(ValueError, match="no published values"):
        export_published(sqlite_engine, "x.csv", "csv", start=date(2030, 1, 1), export_dir=tmp_path)


@pytest.mark.parametrize("dest", ["../escape.csv", "a/../../escape.csv", "..", "sub/../.."])
def test_destinations_escaping_the_export_dir_are_refused(tmp_path: Path, dest: str) -> None:
    with pytest.raises(ValueError, match="escapes"):
        resolve_destination(dest, "csv", tmp_path / "exports")


def test_export_refuses_traversal_before_writing(sqlite_engine: Engine, tmp_path: Path) -> None:
    _publish(sqlite_engine)
    root = tmp_path / "exports"
    with pytest.raises(ValueError, match="escapes"):
        export_published(sqlite_engine, "../../evil.csv", "csv", export_dir=root)
    assert not (tmp_path / "evil.csv").exists() and not root.exists()


def test_destination_rules(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    assert resolve_destination("p.csv", "csv", root) == (root / "p.csv").resolve()
    assert resolve_destination("sub/p", "xlsx", root) == (root / "sub" / "p.xlsx").resolve()
    absolute = tmp_path / "elsewhere" / "p.parquet"
    assert resolve_destination(absolute, "parquet", root) == absolute
    with pytest.raises(ValueError, match="extension"):
        resolve_destination("p.csv", "parquet", root)
    with pytest.raises(ValueError, match="unsupported"):
        resolve_destination("p.json", "json", root)
