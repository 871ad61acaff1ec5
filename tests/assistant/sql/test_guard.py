"""The SQL guard: good queries pass with a LIMIT; every hostile input is refused by code."""

from __future__ import annotations

import pytest
from sqlglot import exp

from steelsage.assistant.sql import UnsafeSQLError, check_sql, describe, render
from steelsage.assistant.sql.semantic import EXAMPLES, VIEWS

GOOD = [
    "SELECT date, value FROM v_observations WHERE series_code = 'rebar.shanghai'",
    "SELECT s.region, o.value FROM v_observations o JOIN v_series s ON s.code = o.series_code "
    "WHERE s.product = 'rebar' ORDER BY o.value",
    "WITH m AS (SELECT series_code, max(date) AS d FROM v_observations GROUP BY series_code) "
    "SELECT o.series_code, o.value FROM v_observations o JOIN m ON m.series_code = o.series_code "
    "AND m.d = o.date",
    "SELECT code FROM v_series WHERE kind = 'assessment' UNION SELECT series_code "
    "FROM v_observations",
    "SELECT series_code, value - lag(value) OVER (PARTITION BY series_code ORDER BY date) "
    "FROM v_observations",
    "SELECT count(DISTINCT series_code), round(avg(value), 1), coalesce(max(low), 0) "
    "FROM v_observations WHERE date BETWEEN '2026-01-01' AND '2026-03-31'",
    "SELECT code FROM v_series WHERE code IN (SELECT series_code FROM v_observations "
    "WHERE value > 3000) AND name_en LIKE '%rebar%'",
    "SELECT * FROM v_series;",
]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("sql", GOOD)
def test_good_query_passes_with_a_limit(sql: str, dialect: str) -> None:
    query = check_sql(sql, dialect=dialect)
    assert isinstance(query, (exp.Select, exp.SetOperation))
    rendered = render(query, dialect=dialect)
    assert rendered.endswith("LIMIT 200")
    check_sql(rendered, dialect=dialect)  # what we run passes the guard again


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT value FROM v_observations", "LIMIT 200"),
        ("SELECT value FROM v_observations LIMIT 10", "LIMIT 10"),
        ("SELECT value FROM v_observations LIMIT 5000", "LIMIT 200"),
        ("SELECT value FROM v_observations LIMIT -1", "LIMIT 200"),
        ("SELECT value FROM v_observations LIMIT (SELECT 100000)", "LIMIT 200"),
        ("SELECT value FROM v_observations LIMIT 10 OFFSET 5", "LIMIT 10 OFFSET 5"),
        ("SELECT 1 UNION ALL SELECT 2 LIMIT 1000", "LIMIT 200"),
    ],
)
def test_limit_is_added_or_capped(sql: str, expected: str) -> None:
    assert render(check_sql(sql, dialect="sqlite"), dialect="sqlite").endswith(expected)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT value FROM v_observations LIMIT ALL", "LIMIT 200"),
        ("SELECT value FROM v_observations FETCH FIRST 50000 ROWS ONLY", "LIMIT 200"),
        ("SELECT value FROM v_observations FETCH FIRST 5 ROWS WITH TIES", "LIMIT 5"),
    ],
)
def test_postgres_limit_forms_are_capped(sql: str, expected: str) -> None:
    rendered = render(check_sql(sql, dialect="postgresql"), dialect="postgresql")
    assert rendered.endswith(expected)


def test_cap_is_configurable() -> None:
    query = check_sql("SELECT value FROM v_observations LIMIT 50", dialect="sqlite", limit=20)
    assert render(query, dialect="sqlite").endswith("LIMIT 20")


# One case per attack: (dialect, sql, refusal code).
HOSTILE = [
    # more than one statement
    ("sqlite", "SELECT 1; DROP TABLE series", "multiple_statements"),
    ("sqlite", "SELECT * FROM v_series; SELECT * FROM v_observations", "multiple_statements"),
    # writes and DDL at the top
    ("sqlite", "DROP TABLE series", "write"),
    ("sqlite", "DROP VIEW v_observations", "write"),
    ("sqlite", "DELETE FROM series_observations", "write"),
    ("sqlite", "INSERT INTO series (code) VALUES ('x')", "write"),
    ("sqlite", "UPDATE series SET name_zh = 'x'", "write"),
    (
        "postgresql",
        "MERGE INTO series s USING v_series v ON s.code = v.code WHEN MATCHED THEN DELETE",
        "write",
    ),
    ("sqlite", "CREATE TABLE stolen AS SELECT * FROM v_series", "write"),
    ("sqlite", "ALTER TABLE series ADD COLUMN x INT", "write"),
    ("postgresql", "TRUNCATE series_observations", "write"),
    # data-modifying CTEs: a SELECT at the top
    (
        "postgresql",
        "WITH d AS (DELETE FROM series_observations RETURNING *) SELECT * FROM d",
        "write",
    ),
    (
        "postgresql",
        "WITH d AS (UPDATE series SET unit = 'x' RETURNING code) SELECT count(*) FROM v_series",
        "write",
    ),
    (
        "postgresql",
        "WITH d AS (INSERT INTO series (code) VALUES ('x') RETURNING code) SELECT * FROM v_series",
        "write",
    ),
    ("postgresql", "SELECT * INTO stolen FROM v_series", "write"),
    # locking reads
    ("postgresql", "SELECT * FROM v_series FOR UPDATE", "lock"),
    ("postgresql", "SELECT * FROM v_series FOR SHARE", "lock"),
    # database and session commands
    ("sqlite", "ATTACH DATABASE '/tmp/evil.db' AS evil", "command"),
    ("sqlite", "DETACH DATABASE evil", "command"),
    ("sqlite", "PRAGMA query_only = OFF", "command"),
    ("sqlite", "PRAGMA table_info(series)", "command"),
    ("postgresql", "COPY series TO '/tmp/series.csv'", "command"),
    ("postgresql", "COPY (SELECT * FROM v_series) TO PROGRAM 'sh'", "command"),
    ("postgresql", "SET statement_timeout = 0", "command"),
    ("sqlite", "VACUUM", "command"),
    ("sqlite", "VACUUM INTO '/tmp/copy.db'", "command"),
    ("postgresql", "COMMIT", "command"),
    ("sqlite", "EXPLAIN SELECT * FROM v_series", "command"),
    ("postgresql", "DO $$ BEGIN PERFORM 1; END $$", "command"),
    ("postgresql", "GRANT ALL ON series TO PUBLIC", "not_select"),
    # comments, refused even where harmless
    ("sqlite", "SELECT * FROM v_series -- trailing comment", "comment"),
    ("sqlite", "SELECT * FROM v_series /* block */", "comment"),
    ("sqlite", "SELECT * FROM v_series WHERE 1 = 1 /* ; DROP TABLE series */", "comment"),
    ("sqlite", "SELECT * FROM v_series WHERE code = 'a--b'", "comment"),
    # tables other than the views
    ("sqlite", "SELECT code FROM v_series UNION SELECT name FROM users", "table"),
    ("sqlite", "SELECT * FROM series_observations", "table"),
    ("sqlite", "SELECT name, sql FROM sqlite_master", "table"),
    ("sqlite", "SELECT * FROM sqlite_schema", "table"),
    ("sqlite", "SELECT * FROM main.v_series", "table"),
    ("sqlite", "SELECT * FROM pragma_table_info('series')", "table"),
    ("postgresql", "SELECT * FROM pg_catalog.pg_tables", "table"),
    ("postgresql", "SELECT usename, passwd FROM pg_shadow", "table"),
    ("postgresql", "SELECT * FROM information_schema.tables", "table"),
    ("postgresql", "SELECT * FROM generate_series(1, 1000000000)", "table"),
    ("postgresql", "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", "table"),
    ("sqlite", "SELECT (SELECT count(*) FROM series_observations)", "table"),
    ("sqlite", "SELECT * FROM v_series WHERE EXISTS (SELECT 1 FROM publications)", "table"),
    ("sqlite", "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM series) SELECT * FROM a", "table"),
    ("sqlite", "SELECT * FROM (WITH series AS (SELECT 1) SELECT 1) AS a, series", "table"),
    ("sqlite", "WITH v_series AS (SELECT * FROM series) SELECT * FROM v_series", "cte_name"),
    # PostgreSQL folds unquoted names only: "SERIES" is not series, so this reads the table
    ("postgresql", 'WITH "SERIES" AS (SELECT 1) SELECT * FROM series', "table"),
    ("postgresql", 'WITH series AS (SELECT 1) SELECT * FROM "SERIES"', "table"),
    ("postgresql", 'SELECT * FROM "V_SERIES"', "table"),
    # functions outside the allow-list
    ("postgresql", "SELECT pg_sleep(10)", "function"),
    ("sqlite", "SELECT load_extension('/tmp/evil.so')", "function"),
    ("sqlite", "SELECT readfile('/etc/passwd')", "function"),
    ("sqlite", "SELECT writefile('/tmp/x', 'y')", "function"),
    ("postgresql", "SELECT pg_read_file('/etc/passwd')", "function"),
    ("postgresql", "SELECT lo_import('/etc/passwd')", "function"),
    ("sqlite", "SELECT randomblob(1000000000)", "function"),
    ("postgresql", "SELECT dblink('host=evil', 'SELECT 1')", "function"),
    ("postgresql", "SELECT current_setting('data_directory')", "function"),
    ("postgresql", "SELECT code FROM v_series WHERE pg_sleep(1) IS NOT NULL", "function"),
    ("postgresql", "SELECT version()", "function"),
    # other constructs outside the allow-list
    ("postgresql", "SELECT CAST('pg_authid' AS regclass)", "syntax"),
    ("sqlite", "SELECT * FROM (VALUES (1))", "syntax"),
    ("sqlite", "SELECT ?", "syntax"),
    ("sqlite", "SELECT x'00'", "syntax"),
    # not SQL at all
    ("sqlite", "", "empty"),
    ("sqlite", " ;  ", "empty"),
    ("sqlite", "SELEC * FROM v_series", "parse_error"),
    ("sqlite", "SELECT 1 " + "+ 1 " * 6000, "too_long"),
]


@pytest.mark.parametrize(("dialect", "sql", "code"), HOSTILE, ids=[h[1][:60] for h in HOSTILE])
def test_hostile_input_is_refused(dialect: str, sql: str, code: str) -> None:
    with pytest.raises(UnsafeSQLError) as info:
        check_sql(sql, dialect=dialect)
    error = info.value
    assert error.code == code
    # Both languages, each saying what is allowed instead.
    allowed = "round" if code == "function" else "v_observations"
    assert allowed in error.message_zh and allowed in error.message_en
    assert error.message_zh != error.message_en


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(UnsafeSQLError) as info:
        check_sql("SELECT 1", dialect="mysql")
    assert info.value.code == "unsupported_backend"


def test_what_sqlite_cannot_express_is_refused_not_silently_rewritten() -> None:
    # SQLite has no column list on a table alias; sqlglot would drop it without a word.
    query = check_sql("SELECT a FROM v_series AS s(a, b)", dialect="sqlite")
    with pytest.raises(UnsafeSQLError) as info:
        render(query, dialect="sqlite")
    assert info.value.code == "unsupported"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_describe_documents_every_column_and_its_examples_pass(lang: str, dialect: str) -> None:
    text = describe(lang, dialect)
    for view in VIEWS.values():
        assert view.name in text
        for column in view.columns:
            assert f"- {column.name} (" in text
            assert (column.en if lang == "en" else column.zh) in text
    assert "round" in text
    for example in EXAMPLES:
        assert example.sql(dialect) in text
        render(check_sql(example.sql(dialect), dialect=dialect), dialect=dialect)
    assert "--" not in text and "/*" not in text  # nothing the guard would refuse
