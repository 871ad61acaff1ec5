"""Read-only views for people: latest assessments, the sample library."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from steelsage.store import models as m


def latest_assessments(
    engine: Engine, *, commodity: str | None = None, benchmark_only: bool = True
) -> list[dict]:
    """Current published values on the latest assessment date (benchmark series first)."""
    obs = m.SeriesObservation.__table__
    ser = m.Series.__table__
    with engine.connect() as conn:
        last = conn.execute(
            select(func.max(obs.c.date))
            .select_from(obs.join(ser, ser.c.code == obs.c.series_code))
            .where(ser.c.kind == "assessment", obs.c.superseded_at.is_(None))
        ).scalar()
        if last is None:
            return []
        stmt = (
            select(
                ser.c.code,
                ser.c.name_zh,
                ser.c.name_en,
                ser.c.unit,
                ser.c.commodity,
                ser.c.meta,
                obs.c.date,
                obs.c.value,
                obs.c.low,
                obs.c.high,
                obs.c.change,
                obs.c.n_sources,
                obs.c.fallback,
                obs.c.version,
            )
            .select_from(obs.join(ser, ser.c.code == obs.c.series_code))
            .where(
                obs.c.date == last,
                obs.c.superseded_at.is_(None),
                ser.c.kind.in_(["assessment", "index"]),
            )
            .order_by(ser.c.kind.desc(), ser.c.commodity, ser.c.code)
        )
        if commodity:
            stmt = stmt.where(ser.c.commodity == commodity)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    if benchmark_only:
        rows = [
            r for r in rows if r["code"].startswith("idx.") or (r["meta"] or {}).get("benchmark")
        ]
    for r in rows:
        r.pop("meta", None)
        r["date"] = r["date"].isoformat()
    return rows


def list_sources(engine: Engine) -> list[dict]:
    s = m.Source.__table__
    c = m.SourceCoverage.__table__
    cov = (
        select(c.c.source_code, func.count().label("coverage")).group_by(c.c.source_code).subquery()
    )
    stmt = (
        select(
            s.c.code,
            s.c.name,
            s.c.type,
            s.c.region_code,
            s.c.credibility_weight,
            s.c.active,
            func.coalesce(cov.c.coverage, 0).label("coverage"),
        )
        .select_from(s.outerjoin(cov, cov.c.source_code == s.c.code))
        .order_by(s.c.code)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
