"""Fast batched writes of Polars frames: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
from sqlalchemy import Connection, Table

BATCH_ROWS = 50_000
# Column types whose Polars CSV text PostgreSQL's COPY reads back exactly.
_CSV_SAFE = (
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.Float32,
    pl.Float64,
    pl.Boolean,
    pl.String,
    pl.Date,
    pl.Datetime,
    pl.Null,
)


def _naive_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps are stored as naive UTC; convert zone-aware columns first."""
    casts = [
        pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    return frame.with_columns(casts) if casts else frame


def _sqlite_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and timestamps as the text SQLAlchemy itself stores on SQLite.

    The sqlite3 default adapters drop ``.000000`` from whole-second timestamps, and such
    text compares unequal to what SQLAlchemy binds in queries (and they are deprecated).
    """
    casts = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        elif isinstance(dtype, pl.Date):
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d"))
    return frame.with_columns(casts) if casts else frame


def bulk_insert(conn: Connection, table: Table, frame: pl.DataFrame) -> int:
    """Insert ``frame`` (columns named like the table's) inside ``conn``'s transaction.

    Only the frame's columns are written; the rest take their server/ORM defaults, so
    defaults that matter must be present in the frame. Returns the number of rows written.
    """
    if frame.height == 0:
        return 0
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise ValueError(f"columns {unknown} are not in table {table.name}")
    columns = frame.columns
    frame = _naive_utc(frame)
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        col_sql = ", ".join(f'"{c}"' for c in columns)
        csv = all(isinstance(t, _CSV_SAFE) for t in frame.schema.values())
        options = " (FORMAT csv)" if csv else ""
        copy_sql = f'COPY "{table.name}" ({col_sql}) FROM STDIN{options}'
        with dbapi.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            if csv:
                # Polars writes CSV natively; nulls come out unquoted-empty and empty
                # strings quoted, which is exactly how PostgreSQL's CSV COPY tells them apart.
                for chunk in frame.iter_slices(BATCH_ROWS):
                    copy.write(chunk.write_csv(include_header=False).encode())
            else:
                for row in frame.iter_rows():
                    copy.write_row(row)
        return frame.height
    frame = _sqlite_ready(frame)
    placeholders = ", ".join("?" for _ in columns)
    col_sql = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({col_sql}) VALUES ({placeholders})'
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        for chunk in frame.iter_slices(BATCH_ROWS):
            cur.executemany(sql, chunk.iter_rows())
    finally:
        cur.close()
    return frame.height


BULK_LOAD_MIN_ROWS = 100_000


@contextmanager
def bulk_load(conn: Connection, tables: list[Table], n_rows: int) -> Iterator[None]:
    """Within ``conn``'s transaction, load many rows into ``tables`` faster on SQLite.

    For large loads the secondary indexes are dropped and rebuilt afterwards (a sorted
    build is several times faster than a million random B-tree inserts). SQLite DDL is
    transactional, so a failure rolls the indexes back with the data. PostgreSQL's COPY
    needs no help; nothing changes there.
    """
    if conn.dialect.name != "sqlite" or n_rows < BULK_LOAD_MIN_ROWS:
        yield
        return
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
