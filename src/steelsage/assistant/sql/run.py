"""Run a guarded, entitled query on a read-only connection with a time limit.

The guard is the first wall; the connection is the second, so a query that slipped past
the guard still cannot write:

- SQLite: a separate connection opened with ``mode=ro``, ``PRAGMA query_only=ON``, no
  attached databases, an authorizer that allows reading only, and a progress handler that
  aborts the statement at the deadline.
- PostgreSQL: a ``READ ONLY`` transaction with ``statement_timeout`` and ``lock_timeout``,
  the statement sent as a prepared statement (one statement only, so no ``COMMIT; …``),
  always rolled back. For a hard guarantee also point the assistant at a role that has
  SELECT on the views only.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from steelsage.assistant.principal import Principal
from steelsage.assistant.sql.entitle import entitle
from steelsage.assistant.sql.errors import SqlQueryError, UnsafeSQLError
from steelsage.assistant.sql.guard import DEFAULT_LIMIT, check_sql, render
from steelsage.store import SeriesInfo, list_series

Row = tuple[Any, ...]


@dataclass(frozen=True)
class SqlResult:
    columns: list[str]
    rows: list[Row]
    executed_sql: str
    truncated: bool  # more rows matched than ``limit``; only the first ``limit`` are here
    limit: int
    ms: float


class ReadOnlyConnection(Protocol):
    def fetch(self, sql: str, max_rows: int) -> tuple[list[str], list[Row]]:
        """Run one statement; its column names and at most ``max_rows`` rows."""
        ...


def _timeout(timeout_s: float) -> UnsafeSQLError:
    return UnsafeSQLError(
        "timeout",
        f"查询超过 {timeout_s:g} 秒被中止。请缩小日期范围、加上 series_code 条件或先聚合。",
        f"The query ran longer than {timeout_s:g} s and was stopped. Narrow the dates, "
        "filter on series_code or aggregate first.",
    )


def _read_only(detail: str) -> UnsafeSQLError:
    return UnsafeSQLError(
        "read_only",
        f"只读连接拒绝了这条语句（{detail}）。只能执行 SELECT。",
        f"The read-only connection refused the statement ({detail}). Only SELECT can run.",
    )


def _db_error(detail: str) -> SqlQueryError:
    return SqlQueryError(
        "db_error",
        f"数据库无法执行这条 SQL：{detail}。请对照 v_series、v_observations 的说明修改。",
        f"The database could not run this SQL: {detail}. Fix it using the descriptions "
        "of v_series and v_observations.",
    )


# --------------------------------------------------------------------------- SQLite
_SQLITE_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_SQLITE_DENIED_FUNCTIONS = frozenset(
    {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "randomblob", "zeroblob"}
)
_SQLITE_PROGRESS_OPS = 1000  # virtual-machine steps between deadline checks
_SQLITE_MAX_LENGTH = 10_000_000  # largest string or blob a query may build


def _sqlite_authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action == sqlite3.SQLITE_FUNCTION:
        denied = (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS
        return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK
    return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


class _SqliteReadOnly:
    def __init__(self, path: str, timeout_s: float) -> None:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        self._timeout_s = timeout_s
        self._deadline = 0.0
        self._timed_out = False
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout_s)
        except sqlite3.Error as exc:
            raise _db_error(f"cannot open {path} read-only: {exc}") from exc
        conn.execute("PRAGMA query_only = ON")
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _SQLITE_MAX_LENGTH)
        conn.set_authorizer(_sqlite_authorize)
        conn.set_progress_handler(self._progress, _SQLITE_PROGRESS_OPS)
        self._conn = conn

    def _progress(self) -> int:
        if time.monotonic() > self._deadline:
            self._timed_out = True
            return 1  # non-zero aborts the running statement
        return 0

    def fetch(self, sql: str, max_rows: int) -> tuple[list[str], list[Row]]:
        self._deadline = time.monotonic() + self._timeout_s
        self._timed_out = False
        try:
            cursor = self._conn.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            rows = [tuple(r) for r in cursor.fetchmany(max_rows)]
            cursor.close()
        except (sqlite3.Error, sqlite3.Warning) as exc:
            if self._timed_out:
                raise _timeout(self._timeout_s) from exc
            text = str(exc)
            if "not authorized" in text or "readonly" in text or "read-only" in text:
                raise _read_only(text) from exc
            raise _db_error(text) from exc
        return columns, rows

    def close(self) -> None:
        self._conn.close()


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise SqlQueryError(
            "unsupported_backend",
            "文本转 SQL 需要文件型 SQLite 数据库（内存数据库无法以只读方式再次打开）。",
            "Text-to-SQL needs a file SQLite database (an in-memory one cannot be opened "
            "read-only a second time).",
        )
    return path


# --------------------------------------------------------------------------- PostgreSQL
_PG_TIMEOUT_STATES = frozenset({"57014", "55P03"})  # query_canceled, lock_not_available
_PG_READ_ONLY_STATES = frozenset({"25006", "42501"})  # read_only_sql_transaction, privilege


class _PostgresReadOnly:
    def __init__(self, engine: Engine, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._fairy = engine.raw_connection()  # back to the pool on close()
        self._pg = self._fairy.driver_connection
        self._pg.rollback()
        self._pg.autocommit = False

    def fetch(self, sql: str, max_rows: int) -> tuple[list[str], list[Row]]:
        import psycopg

        ms = max(1, int(self._timeout_s * 1000))
        try:
            with self._pg.cursor() as cur:
                cur.execute("SET TRANSACTION READ ONLY")  # first statement of the transaction
                cur.execute(f"SET LOCAL statement_timeout = {ms}")
                cur.execute(f"SET LOCAL lock_timeout = {ms}")
                # Extended protocol: the server refuses more than one statement.
                cur.execute(sql, prepare=True)
                columns = [d.name for d in cur.description or ()]
                rows = [tuple(r) for r in cur.fetchmany(max_rows)]
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None)
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if state in _PG_TIMEOUT_STATES:
                raise _timeout(self._timeout_s) from exc
            if state in _PG_READ_ONLY_STATES:
                raise _read_only(text) from exc
            raise _db_error(text) from exc
        finally:
            self._pg.rollback()
        return columns, rows

    def close(self) -> None:
        self._fairy.close()


@contextmanager
def readonly_connection(engine: Engine, *, timeout_s: float = 2.0) -> Iterator[ReadOnlyConnection]:
    """A connection that can only read, each statement stopped after ``timeout_s``.

    Raises :class:`UnsafeSQLError` ``timeout`` or ``read_only``, or
    :class:`SqlQueryError` ``db_error`` from ``fetch``.
    """
    conn: _SqliteReadOnly | _PostgresReadOnly
    name = engine.dialect.name
    if name == "sqlite":
        conn = _SqliteReadOnly(_sqlite_path(engine), timeout_s)
    elif name == "postgresql":
        conn = _PostgresReadOnly(engine, timeout_s)
    else:
        raise SqlQueryError(
            "unsupported_backend",
            f"文本转 SQL 只支持 SQLite 和 PostgreSQL，不支持 {name}。",
            f"Text-to-SQL supports SQLite and PostgreSQL only, not {name}.",
        )
    try:
        yield conn
    finally:
        conn.close()


# --------------------------------------------------------------------------- entry point
def _cell(value: Any) -> Any:
    """A JSON-friendly cell: dates as ISO text, decimals as floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def run_sql(
    engine: Engine,
    sql: str,
    principal: Principal,
    today: date,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout_s: float = 2.0,
    series: Iterable[SeriesInfo] | None = None,
) -> SqlResult:
    """Check ``sql``, restrict it to what ``principal`` may see on ``today``, and run it.

    At most ``limit`` rows come back (``truncated`` says whether more matched). ``series``
    is the store's series metadata when the caller already has it.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    dialect = engine.dialect.name
    # One row beyond the limit tells whether the result was cut off.
    query = check_sql(sql, dialect=dialect, limit=limit + 1)
    if not principal.unrestricted:
        catalog = list(series) if series is not None else list_series(engine)
        query = entitle(query, principal, catalog, today)
    executed = render(query, dialect=dialect)
    started = time.perf_counter()
    with readonly_connection(engine, timeout_s=timeout_s) as conn:
        columns, rows = conn.fetch(executed, max_rows=limit + 1)
    ms = (time.perf_counter() - started) * 1000
    return SqlResult(
        columns=columns,
        rows=[tuple(_cell(v) for v in row) for row in rows[:limit]],
        executed_sql=executed,
        truncated=len(rows) > limit,
        limit=limit,
        ms=round(ms, 2),
    )
