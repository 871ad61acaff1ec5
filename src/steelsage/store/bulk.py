"""Fast batched writes of Polars frames: executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, Table

BATCH_ROWS = 50_000


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
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        col_sql = ", ".join(f'"{c}"' for c in columns)
        copy_sql = f'COPY "{table.name}" ({col_sql}) FROM STDIN'
        with dbapi.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for row in frame.iter_rows():
                copy.write_row(row)
        return frame.height
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
