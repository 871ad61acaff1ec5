"""Running generated SQL: views, limits, entitlements, timeouts and the read-only wall.

Every test here runs on SQLite and PostgreSQL (the ``engine`` fixture under ``market``).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from steelsage.assistant.principal import LOCAL_ADMIN, Package, Principal
from steelsage.assistant.sql import (
    SqlQueryError,
    UnsafeSQLError,
    readonly_connection,
    run_sql,
)
from steelsage.assistant.sql.semantic import VIEWS

from .sql_support import BASE, CORRECTED_DAY, DAYS, REBAR_ONLY, START, TODAY, Market


def _count(market: Market, table: str) -> int:
    with market.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_views_have_exactly_the_documented_columns(market: Market) -> None:
    with market.engine.connect() as conn:
        assert set(VIEWS) <= set(inspect(conn).get_view_names())
        for view in VIEWS.values():
            columns = list(conn.execute(text(f"SELECT * FROM {view.name} LIMIT 0")).keys())
            assert tuple(columns) == view.column_names


def test_observations_view_shows_current_values_only(market: Market) -> None:
    result = run_sql(
        market.engine,
        "SELECT value, version FROM v_observations "
        f"WHERE series_code = 'rebar.shanghai' AND date = '{CORRECTED_DAY.isoformat()}'",
        LOCAL_ADMIN,
        TODAY,
    )
    corrected = BASE["rebar.shanghai"] + (CORRECTED_DAY - START).days + 7
    assert result.rows == [(corrected, 2)]
    assert _count(market, "series_observations") == 3 * len(DAYS) + 1


def test_good_query_runs_and_is_limited(market: Market) -> None:
    sql = "SELECT series_code, date, value FROM v_observations ORDER BY date, series_code"
    result = run_sql(market.engine, sql, LOCAL_ADMIN, TODAY, limit=10)
    assert result.columns == ["series_code", "date", "value"]
    assert len(result.rows) == 10 and result.truncated
    assert result.rows[0] == ("hrc.shanghai", START.isoformat(), BASE["hrc.shanghai"])
    assert result.executed_sql.endswith("LIMIT 11")

    small = run_sql(market.engine, sql + " LIMIT 4", LOCAL_ADMIN, TODAY, limit=10)
    assert len(small.rows) == 4 and not small.truncated


def test_default_limit_is_200(market: Market) -> None:
    result = run_sql(market.engine, "SELECT * FROM v_observations", LOCAL_ADMIN, TODAY)
    assert len(result.rows) == 200 and result.truncated


def test_admin_sees_every_series(market: Market) -> None:
    result = run_sql(
        market.engine,
        "SELECT series_code, count(*) FROM v_observations GROUP BY series_code "
        "ORDER BY series_code",
        LOCAL_ADMIN,
        TODAY,
    )
    assert [r[0] for r in result.rows] == ["hrc.shanghai", "rebar.beijing", "rebar.shanghai"]


HRC_ATTEMPTS = [
    "SELECT * FROM v_observations WHERE series_code = 'hrc.shanghai'",
    "SELECT series_code, value FROM v_observations WHERE series_code = 'rebar.shanghai' "
    "UNION ALL SELECT series_code, value FROM v_observations WHERE series_code = 'hrc.shanghai'",
    "SELECT value FROM v_observations WHERE series_code IN "
    "(SELECT code FROM v_series WHERE product = 'hrc')",
    "SELECT (SELECT max(value) FROM v_observations WHERE series_code = 'hrc.shanghai') AS v",
    "SELECT * FROM (SELECT * FROM v_observations WHERE series_code LIKE 'hrc%') AS x",
    "WITH h AS (SELECT * FROM v_observations WHERE series_code LIKE 'hrc%') SELECT * FROM h",
    "SELECT o.* FROM v_series s JOIN v_observations o ON o.series_code = s.code "
    "WHERE s.product = 'hrc'",
    "SELECT o.* FROM v_observations AS o WHERE o.series_code = 'hrc.shanghai' OR 1 = 1",
    "SELECT * FROM v_series WHERE code = 'hrc.shanghai' OR product = 'hrc'",
    "SELECT * FROM \"v_observations\" WHERE series_code = 'hrc.shanghai'",
]


def test_rebar_subscriber_never_gets_an_hrc_number(market: Market) -> None:
    # One database for every attempt: the fixture costs more than the queries.
    hrc_values = {BASE["hrc.shanghai"] + i for i in range(len(DAYS))}
    for sql in HRC_ATTEMPTS:
        result = run_sql(market.engine, sql, REBAR_ONLY, TODAY, limit=500)
        for row in result.rows:
            for cell in row:
                assert not (isinstance(cell, str) and "hrc" in cell), (sql, row)
                # Every HRC value is above 3900; every rebar value below 3600.
                assert not (isinstance(cell, float) and cell in hrc_values), (sql, row)
                assert not (isinstance(cell, float) and 3900 < cell < 4100), (sql, row)


def test_aggregates_cover_only_what_the_subscriber_may_see(market: Market) -> None:
    sql = "SELECT count(*), max(value), sum(value) FROM v_observations"
    seen = run_sql(market.engine, sql, REBAR_ONLY, TODAY).rows
    rebar = run_sql(
        market.engine, sql + " WHERE series_code LIKE 'rebar%'", LOCAL_ADMIN, TODAY
    ).rows
    assert seen == rebar and seen[0][0] == 2 * len(DAYS)


def test_rebar_subscriber_still_sees_rebar(market: Market) -> None:
    result = run_sql(
        market.engine,
        "SELECT DISTINCT series_code FROM v_observations ORDER BY series_code",
        REBAR_ONLY,
        TODAY,
    )
    assert result.rows == [("rebar.beijing",), ("rebar.shanghai",)]


def test_history_and_delay_windows_are_applied(market: Market) -> None:
    principal = Principal(
        id="sub-2",
        role="subscriber",
        packages=(
            Package(name="bj", series=frozenset({"rebar.beijing"}), history_days=10),
            Package(name="sh", series=frozenset({"rebar.shanghai"}), delay_days=5),
            Package(name="hrc", products=frozenset({"hrc"}), history_days=30, delay_days=2),
        ),
    )
    result = run_sql(
        market.engine,
        "SELECT series_code, min(date), max(date) FROM v_observations GROUP BY series_code "
        "ORDER BY series_code",
        principal,
        TODAY,
    )
    assert result.rows == [
        ("hrc.shanghai", (TODAY - timedelta(30)).isoformat(), (TODAY - timedelta(2)).isoformat()),
        ("rebar.beijing", (TODAY - timedelta(10)).isoformat(), TODAY.isoformat()),
        ("rebar.shanghai", START.isoformat(), (TODAY - timedelta(5)).isoformat()),
    ]


def test_principal_without_packages_sees_nothing(market: Market) -> None:
    nobody = Principal(id="x", role="subscriber")
    for sql in ("SELECT * FROM v_observations", "SELECT * FROM v_series"):
        assert run_sql(market.engine, sql, nobody, TODAY).rows == []


@pytest.mark.parametrize(
    "sql",
    [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELECT count(*) FROM v_observations a, v_observations b, v_observations c, "
        "v_observations d",
    ],
    ids=["recursive-cte", "cross-join"],
)
def test_slow_query_hits_the_timeout(market: Market, sql: str) -> None:
    started = time.monotonic()
    with pytest.raises(UnsafeSQLError) as info:
        run_sql(market.engine, sql, LOCAL_ADMIN, TODAY, timeout_s=0.2)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 5
    # The connection pool is still usable afterwards.
    assert run_sql(market.engine, "SELECT 1 AS one", LOCAL_ADMIN, TODAY).rows == [(1,)]


WRITES = [
    "DELETE FROM series_observations",
    "UPDATE series SET name_zh = 'x'",
    "INSERT INTO series (code, kind, name_zh, name_en, unit, frequency) "
    "VALUES ('x', 'assessment', 'x', 'x', 'x', 'daily')",
    "CREATE TABLE stolen (a INTEGER)",
    "DROP VIEW v_observations",
    "DROP TABLE series_observations",
]
SQLITE_ONLY = [
    "ATTACH DATABASE ':memory:' AS scratch",
    "PRAGMA query_only = OFF",
    "SELECT load_extension('/tmp/evil.so')",
]
POSTGRES_ONLY = [
    "COMMIT; DELETE FROM series_observations",
    "SET TRANSACTION READ WRITE",
]


def test_readonly_connection_cannot_write_even_without_the_guard(
    market: Market, backend: str
) -> None:
    statements = WRITES + (SQLITE_ONLY if backend == "sqlite" else POSTGRES_ONLY)
    before = _count(market, "series_observations"), _count(market, "series")
    with readonly_connection(market.engine, timeout_s=2.0) as conn:
        for sql in statements:
            with pytest.raises(SqlQueryError) as info:
                conn.fetch(sql, max_rows=10)
            assert info.value.code in {"read_only", "db_error"}, sql
        # Still refused after all those attempts on the same connection.
        with pytest.raises(SqlQueryError):
            conn.fetch("DELETE FROM series_observations", max_rows=10)
    assert (_count(market, "series_observations"), _count(market, "series")) == before
    with market.engine.connect() as conn:
        assert set(VIEWS) <= set(inspect(conn).get_view_names())


def test_sqlite_file_is_opened_read_only_below_the_authorizer(market: Market, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite connection layers")
    with readonly_connection(market.engine) as conn:
        conn._conn.set_authorizer(None)  # type: ignore[attr-defined]  # peel one layer off
        with pytest.raises(UnsafeSQLError) as info:
            conn.fetch("DELETE FROM series_observations", max_rows=1)
    assert info.value.code == "read_only"
    assert _count(market, "series_observations") == 3 * len(DAYS) + 1


def test_a_cte_named_like_a_table_never_reads_the_table(market: Market) -> None:
    sql = (
        "WITH RECURSIVE series_observations(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
        "FROM series_observations WHERE n < 3) SELECT count(*) FROM series_observations"
    )
    assert run_sql(market.engine, sql, REBAR_ONLY, TODAY).rows == [(3,)]


def test_unknown_column_is_a_clear_database_error(market: Market) -> None:
    with pytest.raises(SqlQueryError) as info:
        run_sql(market.engine, "SELECT price FROM v_observations", LOCAL_ADMIN, TODAY)
    assert info.value.code == "db_error"
    assert "price" in info.value.message_en and "v_observations" in info.value.message_zh


def test_in_memory_sqlite_is_refused_with_a_hint() -> None:
    engine = create_engine("sqlite://")
    try:
        with pytest.raises(SqlQueryError) as info:
            run_sql(engine, "SELECT 1", LOCAL_ADMIN, TODAY)
    finally:
        engine.dispose()
    assert info.value.code == "unsupported_backend"
