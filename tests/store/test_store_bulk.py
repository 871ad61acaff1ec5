"""bulk_insert: large frames on both backends, and timestamps that compare correctly."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, bindparam, func, select

from steelsage.store import bulk_insert, models

N = 200_000


def test_bulk_insert_200k_rows(engine: Engine) -> None:
    rng = np.random.default_rng(11)
    codes = np.array([f"p{i:03d}.r{i % 17}" for i in range(400)])
    frame = pl.DataFrame(
        {
            "series_code": codes[np.arange(N) % 400],
            "date": pl.date_range(
                date(2020, 1, 1), date(2020, 1, 1) + timedelta(days=499), eager=True
            ).gather(np.arange(N) // 400),
            "true_mid": rng.normal(4000, 300, N),
        }
    )
    table = models.DemoTruthPrice.__table__
    with engine.begin() as conn:
        assert bulk_insert(conn, table, frame) == N
    with engine.connect() as conn:
        count, total = conn.execute(select(func.count(), func.sum(table.c.true_mid))).one()
        sample = conn.execute(
            select(table.c.true_mid).where(
                table.c.series_code == frame["series_code"][12345],
                table.c.date == frame["date"][12345],
            )
        ).scalar_one()
        stored = conn.execute(
            select(table.c.true_mid).order_by(table.c.series_code, table.c.date)
        ).scalars()
        stored_values = np.fromiter(stored, dtype=np.float64, count=N)
    assert count == N
    assert abs(total - frame["true_mid"].sum()) < 1e-3
    assert sample == frame["true_mid"][12345]
    expected = frame.sort("series_code", "date")["true_mid"].to_numpy()
    assert np.array_equal(stored_values, expected)  # floats round-trip bit for bit


def test_bulk_insert_text_edge_cases_round_trip(engine: Engine) -> None:
    texts = ["", "a,b", 'say "hi"', "line\nbreak", "\\N", "螺纹钢 HRB400E", None]
    frame = pl.DataFrame(
        {
            "file_name": ["报价.csv"] * len(texts),
            "row_number": list(range(1, len(texts) + 1)),
            "field": texts,
            "reason": ["bad_number"] * len(texts),
            "message": ["数值无效"] * len(texts),
            "raw": texts[::-1],
            "created_at": [datetime(2026, 3, 2, 9, 30, 15, 250)] * len(texts),
        }
    )
    rejects = models.Reject.__table__
    with engine.begin() as conn:
        bulk_insert(conn, rejects, frame)
    with engine.connect() as conn:
        rows = conn.execute(
            select(rejects.c.field, rejects.c.raw, rejects.c.created_at).order_by(
                rejects.c.row_number
            )
        ).all()
    assert [r.field for r in rows] == texts
    assert [r.raw for r in rows] == texts[::-1]
    assert {r.created_at for r in rows} == {datetime(2026, 3, 2, 9, 30, 15, 250)}


def test_bulk_insert_timestamps_match_bound_parameters(engine: Engine) -> None:
    whole_second = datetime(2026, 3, 2, 9, 0, 0)
    frame = pl.DataFrame(
        {
            "at": [whole_second, whole_second + timedelta(microseconds=5)],
            "actor": ["a", "b"],
            "action": ["x", "x"],
            "entity": ["e", "e"],
        }
    )
    log = models.AuditLog.__table__
    with engine.begin() as conn:
        bulk_insert(conn, log, frame)
    with engine.connect() as conn:
        exact = conn.execute(
            select(log.c.actor).where(log.c.at == bindparam("t")), {"t": whole_second}
        ).all()
        later = conn.execute(
            select(log.c.actor).where(log.c.at > bindparam("t")), {"t": whole_second}
        ).all()
        back = conn.execute(select(log.c.at).order_by(log.c.id)).scalars().all()
    assert [r.actor for r in exact] == ["a"]
    assert [r.actor for r in later] == ["b"]
    assert back == frame["at"].to_list()


def test_bulk_insert_refuses_unknown_columns(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="nope"), sqlite_engine.begin() as conn:
        bulk_insert(conn, models.FxRate.__table__, pl.DataFrame({"nope": [1]}))


def test_bulk_insert_stores_zone_aware_timestamps_as_utc(engine: Engine) -> None:
    frame = pl.DataFrame(
        {"at": [datetime(2026, 3, 2, 17, 0)], "actor": ["a"], "action": ["x"], "entity": ["e"]}
    ).with_columns(pl.col("at").dt.replace_time_zone("Asia/Shanghai"))
    log = models.AuditLog.__table__
    with engine.begin() as conn:
        bulk_insert(conn, log, frame)
    with engine.connect() as conn:
        assert conn.execute(select(log.c.at)).scalar_one() == datetime(2026, 3, 2, 9, 0)


def _index_names(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return {ix["name"] for ix in inspect(engine).get_indexes(table)}


def test_bulk_load_rebuilds_indexes_and_rolls_back_with_them(sqlite_engine, monkeypatch):
    from steelsage.store import bulk
    from steelsage.store import models as mm

    monkeypatch.setattr(bulk, "BULK_LOAD_MIN_ROWS", 1)
    table = mm.FxRate.__table__
    std = mm.StandardizedReport.__table__
    before = _index_names(sqlite_engine, "standardized_reports")
    assert {"ix_std_date", "ix_std_series_date"} <= before

    with sqlite_engine.begin() as conn, bulk.bulk_load(conn, [std], 10):
        assert _index_names(conn, "standardized_reports") == set()
        bulk.bulk_insert(
            conn,
            table,
            pl.DataFrame({"date": [date(2026, 1, 5)], "pair": ["USDCNY"], "rate": [7.1]}),
        )
    assert _index_names(sqlite_engine, "standardized_reports") == before

    with (
        pytest.raises(RuntimeError),
        sqlite_engine.begin() as conn,
        bulk.bulk_load(conn, [std], 10),
    ):
        raise RuntimeError("crash while loading")
    assert _index_names(sqlite_engine, "standardized_reports") == before
