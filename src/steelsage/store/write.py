"""Write API: series metadata, versioned publications, overrides and the audit log.

Every function works inside the caller's transaction (``conn`` from ``engine.begin()``)
and never commits, so a publication and its audit row land together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from steelsage.store.bulk import bulk_insert
from steelsage.store.models import AuditLog, Override, Publication, Series, SeriesObservation
from steelsage.store.schemas import PublicationInfo, utc_naive, utc_now

SERIES_KINDS = ("assessment", "indicator", "index", "external")
PUBLICATION_KINDS = ("initial", "correction", "import")
_SERIES_REQUIRED = ("code", "kind", "name_zh", "name_en", "unit")
_SERIES_AUTO = ("first_date", "last_date")  # maintained by publish_values

VALUE_SCHEMA: dict[str, pl.DataType] = {
    "series_code": pl.Utf8(),
    "date": pl.Date(),
    "value": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "change": pl.Float64(),
    "n_sources": pl.Int64(),
    "fallback": pl.Boolean(),
    "assessment_id": pl.Int64(),
}
_VALUE_REQUIRED = ("series_code", "date", "value")
_IN_CHUNK = 1000  # codes per IN (...) list

_obs = SeriesObservation.__table__
_pub = Publication.__table__
_series = Series.__table__
_audit = AuditLog.__table__
_override = Override.__table__

# Per-connection scratch table holding one publication's values while it is applied.
_stage = Table(
    "_publish_stage",
    MetaData(),
    Column("series_code", String(80)),
    Column("date", Date),
    Column("value", Float),
    Column("low", Float),
    Column("high", Float),
    Column("change", Float),
    Column("n_sources", Integer),
    Column("fallback", Boolean),
    Column("assessment_id", BigInteger),
    prefixes=["TEMPORARY"],
)


def _json_safe(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    if detail is None:
        return None
    return json.loads(json.dumps(detail, default=str, ensure_ascii=False))


def audit(
    conn: Connection,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Append one row to ``audit_log``; returns its id."""
    row = {
        "at": utc_naive(at) if at else utc_now(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": _json_safe(detail),
    }
    return conn.execute(insert(_audit).values(row).returning(_audit.c.id)).scalar_one()


def record_override(
    conn: Connection,
    target: str,
    target_id: str | int,
    action: str,
    old_value: Any,
    new_value: Any,
    who: str,
    why: str,
) -> int:
    """Record an editor's judgement (and audit it); returns the override id.

    Refused without a reason: IOSCO asks that every override says who and why.
    """
    if not why or not why.strip():
        raise ValueError(
            "人工干预必须填写理由（why）。/ An override needs a reason: pass why='…' "
            "explaining the judgement."
        )
    if not who or not who.strip():
        raise ValueError("人工干预必须注明操作人（who）。/ An override needs who made it.")
    old = None if old_value is None else str(old_value)
    new = None if new_value is None else str(new_value)
    now = utc_now()
    override_id = conn.execute(
        insert(_override)
        .values(
            target=target,
            target_id=str(target_id),
            action=action,
            old_value=old,
            new_value=new,
            who=who,
            why=why.strip(),
            at=now,
        )
        .returning(_override.c.id)
    ).scalar_one()
    audit(
        conn,
        who,
        "override",
        target,
        target_id,
        {"override_id": override_id, "action": action, "old": old, "new": new, "why": why.strip()},
        at=now,
    )
    return override_id


def _dialect_insert(conn: Connection):  # type: ignore[no-untyped-def]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def upsert_series(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert series metadata, or update the given fields of series that exist (by code).

    Each row needs ``code, kind, name_zh, name_en, unit``; other ``series`` columns are
    optional. ``first_date``/``last_date`` are maintained by :func:`publish_values`.
    """
    if not rows:
        return 0
    allowed = set(_series.c.keys()) - set(_SERIES_AUTO)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        unknown = sorted(set(row) - allowed)
        if unknown:
            raise ValueError(
                f"序列字段无效 / unknown series fields {unknown} for {row.get('code')!r}; "
                f"allowed: {sorted(allowed)}"
            )
        missing = [k for k in _SERIES_REQUIRED if row.get(k) in (None, "")]
        if missing:
            raise ValueError(
                f"序列缺少必填字段 / series {row.get('code')!r} lacks required fields {missing}"
            )
        if row["kind"] not in SERIES_KINDS:
            raise ValueError(
                f"序列类型无效 / series {row['code']!r}: kind must be one of {SERIES_KINDS}, "
                f"got {row['kind']!r}"
            )
        groups.setdefault(tuple(sorted(row)), []).append(row)
    dialect_insert = _dialect_insert(conn)
    for keys, group in groups.items():
        stmt = dialect_insert(_series)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_series.c.code],
            set_={k: stmt.excluded[k] for k in keys if k != "code"},
        )
        conn.execute(stmt, group)
    return len(rows)


def _prepare_values(values: pl.DataFrame) -> pl.DataFrame:
    unknown = [c for c in values.columns if c not in VALUE_SCHEMA]
    if unknown:
        raise ValueError(
            f"发布数据含未知列 / unknown columns {unknown}; expected {list(VALUE_SCHEMA)}"
        )
    missing = [c for c in _VALUE_REQUIRED if c not in values.columns]
    if missing:
        raise ValueError(f"发布数据缺少列 / values lack required columns {missing}")
    try:
        frame = values.select(
            (
                pl.col(name).cast(dtype)
                if name in values.columns
                else pl.lit(False if name == "fallback" else None, dtype=dtype)
            ).alias(name)
            for name, dtype in VALUE_SCHEMA.items()
        ).with_columns(pl.col("fallback").fill_null(False))
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"发布数据类型错误 / values have the wrong types: {exc}") from exc
    if frame.height == 0:
        raise ValueError("没有可发布的数据 / values is empty: nothing to publish")
    for name in _VALUE_REQUIRED:
        n_null = frame[name].null_count()
        if n_null:
            raise ValueError(f"发布数据 {name} 列有 {n_null} 个空值 / {n_null} null {name!r}")
    for name in ("value", "low", "high", "change"):
        n_bad = int((~frame[name].is_finite()).sum())  # nulls count as neither
        if n_bad:
            raise ValueError(
                f"发布数据 {name} 列有 {n_bad} 个非有限数值 / {n_bad} NaN or infinite {name!r}"
            )
    dup = frame.select("series_code", "date").is_duplicated()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise ValueError(
            f"同一序列同一日期出现多次 / {int(dup.sum())} rows repeat a (series_code, date), "
            f"e.g. {first['series_code']} {first['date']}"
        )
    return frame


def _current_bound(agg: Any) -> Any:
    """``agg(date)`` over the current values of the series in the enclosing row."""
    obs = _obs.alias("o")
    return (
        select(agg(obs.c.date))
        .where(obs.c.series_code == _series.c.code, obs.c.superseded_at.is_(None))
        .scalar_subquery()
    )


def _current_ranges(conn: Connection, codes: list[str]) -> pl.DataFrame:
    """First and last date with a current value per series (null when none).

    Refuses codes missing from ``series``: values need their metadata registered first.
    """
    rows: list[Any] = []
    for i in range(0, len(codes), _IN_CHUNK):
        chunk = codes[i : i + _IN_CHUNK]
        stmt = select(_series.c.code, _current_bound(func.min), _current_bound(func.max)).where(
            _series.c.code.in_(chunk)
        )
        rows.extend(conn.execute(stmt).all())
    unknown = sorted(set(codes) - {row[0] for row in rows})
    if unknown:
        raise ValueError(
            f"未登记的序列 / unknown series {unknown[:10]}{' …' if len(unknown) > 10 else ''}: "
            "register them with upsert_series() first"
        )
    return pl.DataFrame(
        rows,
        schema={"series_code": pl.Utf8, "cur_first": pl.Date, "cur_last": pl.Date},
        orient="row",
    )


def _drop_stage(conn: Connection) -> None:
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    conn.execute(text(f"DROP TABLE IF EXISTS {schema}.{_stage.name}"))


def publish_values(
    conn: Connection,
    *,
    release: str,
    kind: str,
    values: pl.DataFrame,
    who: str,
    note: str | None = None,
    run_id: int | None = None,
    now: datetime | None = None,
) -> PublicationInfo:
    """Publish ``values`` as the next version of ``release``.

    ``values``: ``series_code, date, value`` plus optional ``low, high, change, n_sources,
    fallback, assessment_id``. The version is the release's previous maximum + 1; ``kind``
    is ``import`` when the caller says so, otherwise ``initial`` for version 1 and
    ``correction`` after. Current rows for the same (series, date) are superseded; values
    equal to the current row (value, low, high) are skipped and counted as unchanged.
    """
    if kind not in PUBLICATION_KINDS:
        raise ValueError(f"发布类型无效 / kind must be one of {PUBLICATION_KINDS}, got {kind!r}")
    frame = _prepare_values(values)
    now = utc_naive(now) if now else utc_now()
    codes = frame["series_code"].unique().sort().to_list()
    ranges = _current_ranges(conn, codes)

    previous = conn.execute(
        select(func.max(_pub.c.version)).where(_pub.c.release == release)
    ).scalar()
    version = (previous or 0) + 1
    if kind != "import":
        kind = "initial" if version == 1 else "correction"

    # Rows outside a series' current date range cannot replace anything: they go straight
    # in. Only the others are staged to find unchanged values and supersede the rest.
    outside = (
        pl.col("cur_first").is_null()
        | (pl.col("date") < pl.col("cur_first"))
        | (pl.col("date") > pl.col("cur_last"))
    )
    joined = frame.join(ranges, on="series_code", how="left")
    fresh = joined.filter(outside).select(frame.columns)
    overlap = joined.filter(~outside).select(frame.columns)

    n_unchanged = 0
    if overlap.height:
        _drop_stage(conn)
        _stage.create(conn)
        bulk_insert(conn, _stage, overlap.sort("series_code", "date"))
        n_unchanged = _drop_unchanged(conn)
    n_values = frame.height - n_unchanged

    info = _record_publication(
        conn,
        release=release,
        version=version,
        kind=kind,
        run_id=run_id,
        at=now,
        who=who,
        note=note,
        n_values=n_values,
        n_unchanged=n_unchanged,
    )
    pub_id = info.id

    if overlap.height:
        if overlap.height > n_unchanged:
            _supersede_and_insert_staged(conn, pub_id, version, now)
        _drop_stage(conn)
    if fresh.height:
        bulk_insert(
            conn,
            _obs,
            fresh.sort("series_code", "date").with_columns(
                pl.lit(pub_id, pl.Int64).alias("publication_id"),
                pl.lit(version, pl.Int64).alias("version"),
                pl.lit(now, pl.Datetime("us")).alias("published_at"),
            ),
        )
    if n_values:
        _refresh_series_dates(conn, codes)
    return info


def _record_publication(
    conn: Connection,
    *,
    release: str,
    version: int,
    kind: str,
    run_id: int | None,
    at: datetime,
    who: str,
    note: str | None,
    n_values: int,
    n_unchanged: int,
) -> PublicationInfo:
    """Insert the ``publications`` row and its audit entry."""
    pub_id = conn.execute(
        insert(_pub)
        .values(
            release=release,
            version=version,
            kind=kind,
            run_id=run_id,
            published_at=at,
            published_by=who,
            note=note,
            n_values=n_values,
        )
        .returning(_pub.c.id)
    ).scalar_one()
    detail = {
        "release": release,
        "version": version,
        "kind": kind,
        "n_values": n_values,
        "n_unchanged": n_unchanged,
        "note": note,
    }
    audit(conn, who, "publish", "publication", pub_id, detail, at=at)
    return PublicationInfo(
        id=pub_id,
        release=release,
        version=version,
        kind=kind,
        published_at=at,
        n_values=n_values,
        n_unchanged=n_unchanged,
    )


def _drop_unchanged(conn: Connection) -> int:
    """Remove staged values equal to the current row (value, low, high, change); return how
    many."""
    current = _obs.alias("cur")
    same_as_current = exists().where(
        current.c.series_code == _stage.c.series_code,
        current.c.date == _stage.c.date,
        current.c.superseded_at.is_(None),
        current.c.value == _stage.c.value,
        current.c.low.is_not_distinct_from(_stage.c.low),
        current.c.high.is_not_distinct_from(_stage.c.high),
        current.c.change.is_not_distinct_from(_stage.c.change),
    )
    return conn.execute(delete(_stage).where(same_as_current)).rowcount


def _supersede_and_insert_staged(
    conn: Connection, pub_id: int, version: int, now: datetime
) -> None:
    conn.execute(
        update(_obs)
        .where(
            _obs.c.series_code == _stage.c.series_code,
            _obs.c.date == _stage.c.date,
            _obs.c.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    conn.execute(
        insert(_obs).from_select(
            [*(c.name for c in _stage.c), "publication_id", "version", "published_at"],
            select(
                *_stage.c,
                literal(pub_id, BigInteger),
                literal(version, Integer),
                literal(now, DateTime),
            ),
        )
    )


def _refresh_series_dates(conn: Connection, codes: list[str]) -> None:
    """Set first/last date of ``codes`` from their current values."""
    for i in range(0, len(codes), _IN_CHUNK):
        conn.execute(
            update(_series)
            .where(_series.c.code.in_(codes[i : i + _IN_CHUNK]))
            .values(first_date=_current_bound(func.min), last_date=_current_bound(func.max))
        )


def publish_many(
    conn: Connection,
    parts: list[tuple[str, pl.DataFrame, datetime | None]],
    *,
    who: str,
    note: str | None = None,
    run_id: int | None = None,
) -> list[PublicationInfo]:
    """Publish several releases at once: ``parts`` = ``(release, values, published_at)``.

    Same rules as :func:`publish_values` (one call per release gives the same result), but a
    release whose values all lie outside their series' current date range — the normal
    daily case and a history backfill — is written in one set-based pass for all releases
    together instead of one round of queries per release.
    """
    prepared = [(release, _prepare_values(values), now) for release, values, now in parts]
    codes = sorted({c for _, frame, _ in prepared for c in frame["series_code"].unique()})
    if not prepared:
        return []
    ranges = _current_ranges(conn, codes)
    outside = (
        pl.col("cur_first").is_null()
        | (pl.col("date") < pl.col("cur_first"))
        | (pl.col("date") > pl.col("cur_last"))
    )
    simple, overlapping = [], []
    for release, frame, now in prepared:
        joined = frame.join(ranges, on="series_code", how="left")
        (simple if joined.filter(~outside).height == 0 else overlapping).append(
            (release, frame, now)
        )

    releases = [release for release, _, _ in simple]
    previous: dict[str, int] = {}
    for i in range(0, len(releases), _IN_CHUNK):
        chunk = releases[i : i + _IN_CHUNK]
        previous.update(
            conn.execute(
                select(_pub.c.release, func.max(_pub.c.version))
                .where(_pub.c.release.in_(chunk))
                .group_by(_pub.c.release)
            ).all()
        )
    infos: list[PublicationInfo] = []
    rows: list[pl.DataFrame] = []
    for release, frame, now in simple:
        moment = utc_naive(now) if now else utc_now()
        version = previous.get(release, 0) + 1
        kind = "initial" if version == 1 else "correction"
        info = _record_publication(
            conn,
            release=release,
            version=version,
            kind=kind,
            run_id=run_id,
            at=moment,
            who=who,
            note=note,
            n_values=frame.height,
            n_unchanged=0,
        )
        pub_id = info.id
        rows.append(
            frame.with_columns(
                pl.lit(pub_id, pl.Int64).alias("publication_id"),
                pl.lit(version, pl.Int64).alias("version"),
                pl.lit(moment, pl.Datetime("us")).alias("published_at"),
            )
        )
        infos.append(info)
    if rows:
        bulk_insert(conn, _obs, pl.concat(rows).sort("series_code", "date"))
        _refresh_series_dates(conn, codes)
    for release, frame, now in overlapping:
        infos.append(
            publish_values(
                conn,
                release=release,
                kind="initial",
                values=frame,
                who=who,
                note=note,
                run_id=run_id,
                now=now,
            )
        )
    return infos
