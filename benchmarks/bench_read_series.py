"""Benchmark: read one series (3 years of daily values) through the store's read API.

Builds a temporary SQLite database and a temporary PostgreSQL schema, publishes 180 series
x 735 days (plus a correction of the last 20 days, so superseded rows exist), then times
``get_observations`` for one series, warm, against a named baseline measured in the same
process: a bare ``sqlite3`` / ``psycopg`` cursor running the equivalent SQL and fetching the
rows (no frame). Run: ``.venv/bin/python benchmarks/bench_read_series.py``.
Set ``STEELSAGE_BENCH_PG_URL`` to use another PostgreSQL server.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from steelsage.store import (
    get_engine,
    get_observations,
    init_db,
    publish_values,
    upsert_series,
)

N_SERIES = 180
N_DAYS = 735
N_CALLS = 200
N_WARMUP = 20
GOAL_MS = 5.0
PG_URL = os.environ.get("STEELSAGE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

RAW_SQL = (
    "SELECT date, value, low, high, change, n_sources, fallback, version, published_at "
    "FROM series_observations WHERE series_code = {p} AND superseded_at IS NULL "
    "AND date >= {p} AND date <= {p} ORDER BY date"
)
AS_OF_SQL = (
    "SELECT date FROM series_observations WHERE series_code = {p} AND date >= {p} "
    "AND date <= {p} AND published_at <= {p} AND (superseded_at IS NULL OR superseded_at > {p}) "
    "ORDER BY date"
)
FIRST_DAY = date(2023, 1, 2)
PUBLISHED = datetime(2026, 1, 5, 9, 0)


def _market() -> tuple[list[dict], pl.DataFrame]:
    rng = np.random.default_rng(7)
    codes = [f"bench{i:03d}.city{i % 30:02d}" for i in range(N_SERIES)]
    series = [
        {
            "code": code,
            "kind": "assessment",
            "name_zh": f"基准测试{i}",
            "name_en": f"Bench {i}",
            "unit": "CNY_T_VAT",
        }
        for i, code in enumerate(codes)
    ]
    days = [FIRST_DAY + timedelta(days=d) for d in range(N_DAYS)]
    walk = 4000 + np.cumsum(rng.normal(0, 15, (N_SERIES, N_DAYS)), axis=1)
    mid = np.round(walk, -1).ravel()
    values = pl.DataFrame(
        {
            "series_code": np.repeat(codes, N_DAYS),
            "date": days * N_SERIES,
            "value": mid,
            "low": mid - 20,
            "high": mid + 20,
            "n_sources": rng.integers(3, 12, mid.size),
        }
    )
    return series, values


def _populate(engine) -> str:  # type: ignore[no-untyped-def]
    series, values = _market()
    init_db(engine)
    with engine.begin() as conn:
        upsert_series(conn, series)
        publish_values(
            conn, release="bench", kind="import", values=values, who="bench", now=PUBLISHED
        )
        recent = values.filter(pl.col("date") > FIRST_DAY + timedelta(days=N_DAYS - 21))
        publish_values(
            conn,
            release="bench",
            kind="correction",
            values=recent.with_columns(pl.col("value") + 10),
            who="bench",
            now=PUBLISHED + timedelta(hours=1),
        )
    return series[N_SERIES // 2]["code"]


def _timed(fn: Callable[[], object]) -> list[float]:
    for _ in range(N_WARMUP):
        fn()
    out = []
    for _ in range(N_CALLS):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _p95(ms: list[float]) -> float:
    return float(np.percentile(ms, 95))


def _report(label: str, api: list[float], raw: list[float], plan: str) -> None:
    med, raw_med = statistics.median(api), statistics.median(raw)
    print(
        f"{label}: {med:.2f} ms median, p95 {_p95(api):.2f} ms "
        f"(baseline raw-cursor {raw_med:.2f} ms, ratio {med / raw_med:.1f}x; "
        f"goal <= {GOAL_MS:g} ms)"
    )
    print(f"    plan: {plan}")


def _check(frame: pl.DataFrame, raw_rows: list) -> None:  # type: ignore[type-arg]
    if frame.height != N_DAYS or len(raw_rows) != N_DAYS:
        raise SystemExit(f"expected {N_DAYS} rows, got {frame.height} (api) / {len(raw_rows)}")


def bench_sqlite(workdir: Path) -> None:
    path = workdir / "bench.db"
    engine = get_engine(f"sqlite:///{path.as_posix()}")
    code = _populate(engine)
    params = (code, FIRST_DAY.isoformat(), "9999-12-31")
    raw = sqlite3.connect(path)
    sql = RAW_SQL.format(p="?")
    plan = "; ".join(r[-1] for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
    _check(get_observations(engine, code), raw.execute(sql, params).fetchall())
    api = _timed(lambda: get_observations(engine, code))
    base = _timed(lambda: raw.execute(sql, params).fetchall())
    _report("read_series[sqlite]", api, base, plan)
    as_of = _timed(lambda: get_observations(engine, code, as_of=PUBLISHED))
    as_of_plan = raw.execute(
        "EXPLAIN QUERY PLAN " + AS_OF_SQL.format(p="?"), (*params, "x", "x")
    ).fetchall()
    print(f"read_series_as_of[sqlite]: {statistics.median(as_of):.2f} ms median")
    print(f"    plan: {'; '.join(r[-1] for r in as_of_plan)}")
    raw.close()
    engine.dispose()


def bench_postgres() -> None:
    try:
        import psycopg

        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"read_series[postgres]: skipped, server unreachable ({exc})")
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in PG_URL else "?"
        engine = get_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
        code = _populate(engine)
        admin.execute(f"ANALYZE {schema}.series_observations")
        raw = psycopg.connect(PG_URL, options=f"-csearch_path={schema}", autocommit=True)
        sql = RAW_SQL.format(p="%s")
        params = (code, FIRST_DAY, date(9999, 12, 31))
        plan_rows = raw.execute("EXPLAIN " + sql, params).fetchall()
        plan = " / ".join(r[0].strip() for r in plan_rows)
        _check(get_observations(engine, code), raw.execute(sql, params).fetchall())
        api = _timed(lambda: get_observations(engine, code))
        base = _timed(lambda: raw.execute(sql, params).fetchall())
        _report("read_series[postgres]", api, base, plan)
        as_of = _timed(lambda: get_observations(engine, code, as_of=PUBLISHED))
        as_of_plan = raw.execute(
            "EXPLAIN " + AS_OF_SQL.format(p="%s"), (*params, PUBLISHED, PUBLISHED)
        ).fetchall()
        print(f"read_series_as_of[postgres]: {statistics.median(as_of):.2f} ms median")
        print(f"    plan: {' / '.join(r[0].strip() for r in as_of_plan)}")
        raw.close()
        engine.dispose()
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()


def main() -> None:
    print(
        f"# {N_SERIES} series x {N_DAYS} days; get_observations for one series, "
        f"{N_CALLS} warm calls; python {sys.version.split()[0]}, polars {pl.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="steelsage-bench-") as tmp:
        bench_sqlite(Path(tmp))
    bench_postgres()


if __name__ == "__main__":
    main()
