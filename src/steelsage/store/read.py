"""Read API: the one way every feature reads series and published values.

Statements are built once at import and bound per call, so SQLAlchemy's compiled cache
serves them; rows are fetched in one go and turned into a Polars frame column-wise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Select,
    String,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)

from steelsage.store.models import AuditLog, Publication, Series, SeriesObservation
from steelsage.store.schemas import PublicationInfo, SeriesInfo, utc_naive

_obs = SeriesObservation.__table__
_series = Series.__table__
_pub = Publication.__table__
_audit = AuditLog.__table__

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "value": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "change": pl.Float64(),
    "n_sources": pl.Int64(),
    "fallback": pl.Boolean(),
    "version": pl.Int64(),
    "published_at": pl.Datetime("us"),
}
_MANY_SCHEMA: dict[str, pl.DataType] = {"series_code": pl.Utf8(), **OBSERVATION_SCHEMA}

_MIN_DATE = date(1, 1, 1)
_MAX_DATE = date(9999, 12, 31)

_in_range = (_obs.c.date >= bindparam("start"), _obs.c.date <= bindparam("end"))
_current = (_obs.c.superseded_at.is_(None),)
_as_of = (
    _obs.c.published_at <= bindparam("as_of"),
    or_(_obs.c.superseded_at.is_(None), _obs.c.superseded_at > bindparam("as_of")),
)
_one = _obs.c.series_code == bindparam("code")
_many = _obs.c.series_code.in_(bindparam("codes", expanding=True))


@lru_cache(maxsize=16)
def _obs_statement(dialect: str, many: bool, as_of: bool) -> Select:
    """The observation query; built once per shape so SQLAlchemy's compiled cache hits.

    On SQLite dates and timestamps come back as the stored text and booleans as 0/1:
    Polars parses those column-wise faster than SQLAlchemy converts them row by row.
    ix_obs_current serves current reads; ix_obs_series_date serves as-of reads.
    """
    columns: list[Any] = []
    for name in OBSERVATION_SCHEMA:
        col = _obs.c[name]
        if dialect == "sqlite" and name in ("date", "published_at"):
            col = type_coerce(col, String).label(name)
        elif dialect == "sqlite" and name == "fallback":
            col = type_coerce(col, Integer).label(name)
        columns.append(col)
    if many:
        columns.insert(0, _obs.c.series_code)
    stmt = select(*columns).where(_many if many else _one, *_in_range)
    stmt = stmt.where(*(_as_of if as_of else _current))
    order = (_obs.c.series_code, _obs.c.date) if many else (_obs.c.date,)
    return stmt.order_by(*order)


_SERIES_COLUMNS = [
    *(_series.c[name] for name in SeriesInfo.model_fields if name not in ("first", "last")),
    _series.c.first_date.label("first"),
    _series.c.last_date.label("last"),
]


def as_of_moment(as_of: date | datetime) -> datetime:
    """A ``date`` means the end of that day; timestamps are compared as naive UTC."""
    if isinstance(as_of, datetime):
        return utc_naive(as_of)
    return datetime.combine(as_of, time.max)


def _day(value: date | datetime | None, default: date) -> date:
    if value is None:
        return default
    return value.date() if isinstance(value, datetime) else value


def _column(name: str, values: Sequence[Any], dtype: pl.DataType) -> pl.Series:
    sample = next((v for v in values if v is not None), None)
    if isinstance(dtype, pl.Date | pl.Datetime):
        if isinstance(sample, str):  # SQLite text, as SQLAlchemy stores it
            text = pl.Series(name, values, dtype=pl.Utf8)
            if isinstance(dtype, pl.Date):
                return text.str.to_date("%Y-%m-%d")
            return text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        # Arrow converts date/datetime objects several times faster than Polars does.
        import pyarrow as pa

        arrow_type = pa.date32() if isinstance(dtype, pl.Date) else pa.timestamp("us")
        return pl.Series(name, pa.array(values, type=arrow_type))
    if isinstance(dtype, pl.Boolean) and type(sample) is int:
        return pl.Series(name, values, dtype=pl.Int64).cast(pl.Boolean)
    return pl.Series(name, values, dtype=dtype)


def _frame(rows: Sequence[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    columns = zip(*rows, strict=True)
    return pl.DataFrame(
        [
            _column(name, col, dtype)
            for (name, dtype), col in zip(schema.items(), columns, strict=True)
        ]
    )


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for one-statement reads: on PostgreSQL in autocommit, which saves the
    BEGIN and ROLLBACK round trips."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def _obs_params(
    start: date | None, end: date | None, as_of: date | datetime | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"start": _day(start, _MIN_DATE), "end": _day(end, _MAX_DATE)}
    if as_of is not None:
        params["as_of"] = as_of_moment(as_of)
    return params


def get_observations(
    engine: Engine,
    code: str,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | datetime | None = None,
) -> pl.DataFrame:
    """Published values of one series, sorted by date.

    Columns: ``date, value, low, high, change, n_sources, fallback, version, published_at``.
    Without ``as_of`` the current values; with it, what was published at that moment.
    """
    params = _obs_params(start, end, as_of)
    params["code"] = code
    with _reading(engine) as conn:
        rows = conn.execute(
            _obs_statement(engine.dialect.name, False, as_of is not None), params
        ).all()
    return _frame(rows, OBSERVATION_SCHEMA)


def get_observations_many(
    engine: Engine,
    codes: Sequence[str],
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | datetime | None = None,
) -> pl.DataFrame:
    """Like :func:`get_observations` for several series, with a leading ``series_code``."""
    if not codes:
        return pl.DataFrame(schema=_MANY_SCHEMA)
    params = _obs_params(start, end, as_of)
    params["codes"] = list(codes)
    with _reading(engine) as conn:
        rows = conn.execute(
            _obs_statement(engine.dialect.name, True, as_of is not None), params
        ).all()
    return _frame(rows, _MANY_SCHEMA)


def _series_info(row: Any) -> SeriesInfo:
    return SeriesInfo.model_validate(row._mapping)


def list_series(
    engine: Engine,
    *,
    kind: str | None = None,
    commodity: str | None = None,
    product: str | None = None,
    region: str | None = None,
    query: str | None = None,
    limit: int | None = None,
) -> list[SeriesInfo]:
    """Series matching every given filter, by code. ``query`` is a case-insensitive
    substring of the code, Chinese name or English name."""
    stmt = select(*_SERIES_COLUMNS).order_by(_series.c.code)
    for column, wanted in (
        (_series.c.kind, kind),
        (_series.c.commodity, commodity),
        (_series.c.product, product),
        (_series.c.region, region),
    ):
        if wanted is not None:
            stmt = stmt.where(column == wanted)
    if query:
        stmt = stmt.where(
            or_(
                *(
                    col.icontains(query.strip(), autoescape=True)
                    for col in (_series.c.code, _series.c.name_zh, _series.c.name_en)
                )
            )
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    with _reading(engine) as conn:
        return [_series_info(row) for row in conn.execute(stmt)]


def get_series(engine: Engine, code: str) -> SeriesInfo | None:
    """One series' metadata, or ``None`` when the code is unknown."""
    with _reading(engine) as conn:
        row = conn.execute(select(*_SERIES_COLUMNS).where(_series.c.code == code)).first()
    return None if row is None else _series_info(row)


def publications(engine: Engine, release: str | None = None) -> list[PublicationInfo]:
    """Publications (all, or of one release) in the order they were made."""
    stmt = select(_pub).order_by(_pub.c.published_at, _pub.c.id)
    receipts = select(_audit.c.entity_id, _audit.c.detail).where(
        _audit.c.action == "publish", _audit.c.entity == "publication"
    )
    if release is not None:
        stmt = stmt.where(_pub.c.release == release)
    with _reading(engine) as conn:
        rows = conn.execute(stmt).all()
        unchanged = {
            entity_id: (detail or {}).get("n_unchanged")
            for entity_id, detail in conn.execute(receipts)
        }
    return [
        PublicationInfo(
            id=row.id,
            release=row.release,
            version=row.version,
            kind=row.kind,
            published_at=row.published_at,
            n_values=row.n_values,
            n_unchanged=unchanged.get(str(row.id)),
        )
        for row in rows
    ]


def latest_date(engine: Engine, kind: str | None = "assessment") -> date | None:
    """The newest date with a current value among series of ``kind`` (any kind if None)."""
    stmt = select(func.max(_series.c.last_date))
    if kind is not None:
        stmt = stmt.where(_series.c.kind == kind)
    with _reading(engine) as conn:
        return conn.execute(stmt).scalar()
