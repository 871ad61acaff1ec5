"""SQLAlchemy 2 models: the platform's tables.

Raw input is kept as received forever; everything derived (standardized reports, flags,
assessments) points back to it; published values are versioned and never updated in place,
so an "as of" query can always return what was published at that moment.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Source(Base):
    """Sample library: who reports prices to us."""

    __tablename__ = "sources"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))  # mill|trader|end_user|port_agent|broker|external
    region_code: Mapped[str | None] = mapped_column(String(40))
    credibility_weight: Mapped[float] = mapped_column(Float, default=1.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    licence: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SourceCoverage(Base):
    """Which assessment series a source is expected to report on."""

    __tablename__ = "source_coverage"

    source_code: Mapped[str] = mapped_column(ForeignKey("sources.code"), primary_key=True)
    series_code: Mapped[str] = mapped_column(String(80), primary_key=True)


class ImportBatch(Base):
    """One imported file (or in-memory frame). Status goes started → complete | failed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(16))  # csv|xlsx|json|jsonl|frame|external
    encoding: Mapped[str | None] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    archive_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="started")
    n_rows: Mapped[int] = mapped_column(Integer, default=0)
    n_accepted: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    n_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    imported_by: Mapped[str] = mapped_column(String(80), default="system")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class RawSubmission(Base):
    """A price report exactly as received (all text). Kept forever."""

    __tablename__ = "raw_submissions"
    __table_args__ = (
        # A unique index, not a table constraint, so bulk loads can rebuild it (SQLite).
        Index("uq_raw_row_hash", "row_hash", unique=True),
        Index("ix_raw_batch_row", "batch_id", "row_number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    row_hash: Mapped[str] = mapped_column(String(40))
    report_id: Mapped[str | None] = mapped_column(String(120), index=True)
    source: Mapped[str | None] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    price: Mapped[str | None] = mapped_column(Text)
    low: Mapped[str | None] = mapped_column(Text)
    high: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    tax_basis: Mapped[str | None] = mapped_column(Text)
    weight_basis: Mapped[str | None] = mapped_column(Text)
    delivery: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(Text)
    data_type: Mapped[str | None] = mapped_column(Text)
    time: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new")  # new|processed


class Reject(Base):
    """A row that could not be used, with where and why. Never dropped silently."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    file_name: Mapped[str] = mapped_column(Text)
    row_number: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)  # the row as received (JSON text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StandardizedReport(Base):
    """A verified, classified and standardized price report."""

    __tablename__ = "standardized_reports"
    __table_args__ = (
        Index("ix_std_series_date", "series_code", "date"),
        Index("ix_std_date", "date"),
    )

    submission_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger)
    source_code: Mapped[str] = mapped_column(String(32))
    series_code: Mapped[str] = mapped_column(String(80))
    date: Mapped[date] = mapped_column(Date)
    data_type: Mapped[str] = mapped_column(String(12))
    raw_value: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    volume_t: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    adjustments: Mapped[str | None] = mapped_column(Text)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)


class Flag(Base):
    """A report flagged by verification or outlier handling; editors resolve it."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_series_date", "series_code", "date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(BigInteger, index=True)
    batch_id: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    stage: Mapped[str] = mapped_column(String(32))
    series_code: Mapped[str | None] = mapped_column(String(80))
    date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|accepted|rejected
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Series(Base):
    """Every series a user can read: assessments, indicators, indices, external data."""

    __tablename__ = "series"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # assessment|indicator|index|external
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    commodity: Mapped[str | None] = mapped_column(String(40), index=True)
    product: Mapped[str | None] = mapped_column(String(40), index=True)
    region: Mapped[str | None] = mapped_column(String(40), index=True)
    unit: Mapped[str] = mapped_column(String(40))
    frequency: Mapped[str] = mapped_column(String(12), default="daily")
    method: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict | None] = mapped_column(JSON)
    first_date: Mapped[date | None] = mapped_column(Date)
    last_date: Mapped[date | None] = mapped_column(Date)


class PipelineRun(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|complete|failed
    input_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    params: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class StageStat(Base):
    __tablename__ = "stage_stats"

    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    n_in: Mapped[int] = mapped_column(BigInteger, default=0)
    n_kept: Mapped[int] = mapped_column(BigInteger, default=0)
    n_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    n_flagged: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    counters: Mapped[dict | None] = mapped_column(JSON)


class Assessment(Base):
    """A compiled (not yet necessarily published) assessment for one series and day."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("series_code", "date", "run_id", name="uq_assessment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigInteger, index=True)
    series_code: Mapped[str] = mapped_column(String(80))
    date: Mapped[date] = mapped_column(Date)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    mid: Mapped[float] = mapped_column(Float)
    change: Mapped[float | None] = mapped_column(Float)
    change_pct: Mapped[float | None] = mapped_column(Float)
    n_sources: Mapped[int] = mapped_column(Integer)
    n_reports: Mapped[int] = mapped_column(Integer)
    n_deals: Mapped[int] = mapped_column(Integer, default=0)
    n_excluded: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str] = mapped_column(String(80))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_reason: Mapped[str | None] = mapped_column(String(80))
    judgement: Mapped[bool] = mapped_column(Boolean, default=False)


class Publication(Base):
    """A versioned release. A correction is a new version for the same release date."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("release", "version", name="uq_publication_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release: Mapped[str] = mapped_column(String(80))  # e.g. "assessments:2026-11-24" or "wb"
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # initial|correction|import
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    published_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    n_values: Mapped[int] = mapped_column(Integer, default=0)


class SeriesObservation(Base):
    """A published value. Never updated except ``superseded_at`` when a new version lands."""

    __tablename__ = "series_observations"
    __table_args__ = (
        Index("ix_obs_current", "series_code", "superseded_at", "date"),
        Index("ix_obs_series_date", "series_code", "date", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    series_code: Mapped[str] = mapped_column(String(80))
    date: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    change: Mapped[float | None] = mapped_column(Float)
    n_sources: Mapped[int | None] = mapped_column(Integer)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    assessment_id: Mapped[int | None] = mapped_column(BigInteger)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)


class IndexDef(Base):
    __tablename__ = "indices"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    base_date: Mapped[date | None] = mapped_column(Date)
    base_value: Mapped[float] = mapped_column(Float, default=100.0)
    method: Mapped[str] = mapped_column(Text)


class IndexWeight(Base):
    __tablename__ = "index_weights"

    index_code: Mapped[str] = mapped_column(ForeignKey("indices.code"), primary_key=True)
    component: Mapped[str] = mapped_column(String(80), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    base_price: Mapped[float | None] = mapped_column(Float)


class Override(Base):
    """An editor's judgement: who changed what, and why."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(20))  # flag|assessment|submission
    target_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))  # accept|reject|set_value
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(80))
    why: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict | None] = mapped_column(JSON)


class FxRate(Base):
    __tablename__ = "fx_rates"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    pair: Mapped[str] = mapped_column(String(8), primary_key=True)  # e.g. USDCNY
    rate: Mapped[float] = mapped_column(Float)


class DemoTruthPrice(Base):
    """Demo market only: the true mid price behind the synthetic reports."""

    __tablename__ = "demo_truth_prices"

    series_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    true_mid: Mapped[float] = mapped_column(Float)


class DemoTruthError(Base):
    """Demo market only: which reports carry a planted error."""

    __tablename__ = "demo_truth_errors"

    report_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    error_type: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


# Access-control tables live in their own module; importing it registers them on Base.metadata.
from steelsage.store import access_models as _access_models  # noqa: E402,F401
