"""Collection and ingestion, persisted: file → raw submissions → verify → standardize.

Each file is one transaction: a crash halfway leaves nothing of that file behind except its
``import_batches`` row marked ``failed`` with the error, so a later re-import starts clean.
Re-importing a file whose bytes were already imported completely adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select, update

from steelsage.catalog import Catalog
from steelsage.config import get_settings
from steelsage.pipeline.base import RunContext, StageResult
from steelsage.pipeline.context import build_context
from steelsage.pipeline.ingest import VALUE_COLUMNS, ImportFileError, read_reports
from steelsage.pipeline.standardize import StandardizeStage
from steelsage.pipeline.verify import VerifyStage
from steelsage.store import audit, bulk_insert
from steelsage.store import models as m
from steelsage.store.bulk import bulk_load
from steelsage.store.schemas import utc_now

logger = logging.getLogger(__name__)

RAW_COLUMNS = list(VALUE_COLUMNS)
MAX_REJECTS_LISTED = 1000
BULK_TABLES = [m.RawSubmission.__table__, m.StandardizedReport.__table__]


@dataclass
class FileOutcome:
    """What happened to one file; the JSON shape of ``steelsage import --json``."""

    file: str
    status: str  # imported | duplicate_file | failed
    batch_id: int | None = None
    accepted: int = 0
    rejected: int = 0
    flagged: int = 0
    duplicates: int = 0
    rejects: list[dict] = field(default_factory=list)
    error: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    standardized: pl.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("standardized", None)
        return d


@dataclass
class ImportSummary:
    files: list[FileOutcome]

    def to_dict(self) -> dict:
        return {
            "files": [f.to_dict() for f in self.files],
            "accepted": sum(f.accepted for f in self.files),
            "rejected": sum(f.rejected for f in self.files),
            "flagged": sum(f.flagged for f in self.files),
            "duplicates": sum(f.duplicates for f in self.files),
            "failed": sum(f.status == "failed" for f in self.files),
        }


def _now() -> datetime:
    return utc_now().replace(microsecond=0)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _complete_batch_with_hash(engine: Engine, sha256: str) -> int | None:
    t = m.ImportBatch.__table__
    stmt = select(t.c.id).where(t.c.sha256 == sha256, t.c.status == "complete").limit(1)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def _start_batch(engine: Engine, **values: object) -> int:
    t = m.ImportBatch.__table__
    with engine.begin() as conn:
        res = conn.execute(insert(t).values(status="started", started_at=_now(), **values))
        return int(res.inserted_primary_key[0])


def _fail_batch(engine: Engine, batch_id: int, error: str) -> None:
    t = m.ImportBatch.__table__
    with engine.begin() as conn:
        conn.execute(
            update(t)
            .where(t.c.id == batch_id)
            .values(status="failed", error=error[:4000], finished_at=_now())
        )


def _archive(path: Path, sha256: str) -> str:
    dest_dir = get_settings().archive_dir / sha256[:2]
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{sha256}{path.suffix.lower()}"
    if not dest.exists():
        shutil.copyfile(path, dest)
    return str(dest)


def _raw_json(frame: pl.DataFrame) -> pl.Series:
    cols = [c for c in RAW_COLUMNS if c in frame.columns]
    return frame.select(pl.struct(cols).struct.json_encode().alias("raw")).to_series()


def _existing_hashes(conn: Connection, hashes: pl.Series) -> pl.DataFrame:
    """(row_hash, batch_id, row_number) of hashes already stored."""
    t = m.RawSubmission.__table__
    if conn.execute(select(t.c.id).limit(1)).first() is None:
        return pl.DataFrame(
            schema={"row_hash": pl.Utf8, "prev_batch": pl.Int64, "prev_row": pl.Int64}
        )
    found: list[tuple] = []
    values = hashes.unique().to_list()
    for i in range(0, len(values), 5000):
        chunk = values[i : i + 5000]
        stmt = select(t.c.row_hash, t.c.batch_id, t.c.row_number).where(t.c.row_hash.in_(chunk))
        found.extend(conn.execute(stmt).all())
    return pl.DataFrame(
        found,
        schema={"row_hash": pl.Utf8, "prev_batch": pl.Int64, "prev_row": pl.Int64},
        orient="row",
    )


def _existing_report_ids(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """(source, report_id, batch_id, row_number) of report ids this frame repeats."""
    schema = {
        "source": pl.Utf8,
        "report_id": pl.Utf8,
        "prev_batch": pl.Int64,
        "prev_row": pl.Int64,
    }
    if "report_id" not in frame.columns:
        return pl.DataFrame(schema=schema)
    t = m.RawSubmission.__table__
    ids = frame["report_id"].drop_nulls().unique().to_list()
    if not ids or conn.execute(select(t.c.id).limit(1)).first() is None:
        return pl.DataFrame(schema=schema)
    found: list[tuple] = []
    for i in range(0, len(ids), 5000):
        stmt = select(t.c.source, t.c.report_id, t.c.batch_id, t.c.row_number).where(
            t.c.report_id.in_(ids[i : i + 5000])
        )
        found.extend(conn.execute(stmt).all())
    frame = pl.DataFrame(found, schema=schema, orient="row")
    return frame.unique(["source", "report_id"], keep="first")


def _lock_for_ids(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE raw_submissions IN SHARE ROW EXCLUSIVE MODE")


def _split_duplicates(conn: Connection, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Drop rows already stored or repeated within the file; return (new, duplicate rejects)."""
    first = frame.with_columns(pl.col("row_number").min().over("row_hash").alias("_first_row"))
    in_file_dup = first.filter(pl.col("row_number") != pl.col("_first_row"))
    first = first.filter(pl.col("row_number") == pl.col("_first_row")).drop("_first_row")
    existing = _existing_hashes(conn, first["row_hash"])
    stored_dup = first.join(existing, on="row_hash", how="inner")
    new = first.join(existing.select("row_hash"), on="row_hash", how="anti")
    known_ids = _existing_report_ids(conn, new)
    if known_ids.height:
        id_dup = new.join(known_ids, on=["source", "report_id"], how="inner")
        new = new.join(known_ids, on=["source", "report_id"], how="anti")
        stored_dup = pl.concat([stored_dup, id_dup], how="diagonal_relaxed")
    rejects = pl.concat(
        [
            in_file_dup.with_columns(
                pl.lit("duplicate").alias("reason"),
                pl.lit(None, dtype=pl.Utf8).alias("field"),
                pl.format(
                    "与本文件第{}行重复 / duplicates row {} of this file",
                    pl.col("_first_row"),
                    pl.col("_first_row"),
                ).alias("message"),
            ).drop("_first_row"),
            stored_dup.with_columns(
                pl.lit("duplicate").alias("reason"),
                pl.lit(None, dtype=pl.Utf8).alias("field"),
                pl.format(
                    "已于批次{}第{}行收到 / already received in batch {} row {}",
                    "prev_batch",
                    "prev_row",
                    "prev_batch",
                    "prev_row",
                ).alias("message"),
            ).drop("prev_batch", "prev_row"),
        ],
        how="diagonal_relaxed",
    )
    return new, rejects


def _reject_rows(
    frame: pl.DataFrame, batch_id: int, file_name: str, created: datetime
) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame()
    raw = frame["raw"] if "raw" in frame.columns else _raw_json(frame)
    sub = (
        frame["submission_id"]
        if "submission_id" in frame.columns
        else pl.Series([None] * frame.height, dtype=pl.Int64)
    )
    return pl.DataFrame(
        {
            "batch_id": pl.Series([batch_id] * frame.height, dtype=pl.Int64),
            "submission_id": sub.cast(pl.Int64),
            "file_name": pl.Series([file_name] * frame.height, dtype=pl.Utf8),
            "row_number": frame["row_number"].cast(pl.Int64),
            "field": frame["field"].cast(pl.Utf8),
            "reason": frame["reason"].cast(pl.Utf8),
            "message": frame["message"].cast(pl.Utf8),
            "raw": raw.cast(pl.Utf8),
            "created_at": pl.Series([created] * frame.height, dtype=pl.Datetime("us")),
        }
    )


def _standardized_rows(std: pl.DataFrame, batch_id: int) -> pl.DataFrame:
    from steelsage.pipeline.weights import report_weight

    return std.select(
        pl.col("submission_id").cast(pl.Int64),
        pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
        pl.col("source_code"),
        pl.col("series_code"),
        pl.col("date"),
        pl.col("data_type"),
        pl.col("price_value").alias("raw_value"),
        pl.col("value"),
        pl.col("volume_t"),
        report_weight().alias("weight"),
        pl.col("std_adjustments").alias("adjustments"),
        pl.col("excluded").fill_null(False),
    )


def flag_rows(
    flagged: pl.DataFrame,
    *,
    stage: str,
    created: datetime,
    batch_id: int | None = None,
    run_id: int | None = None,
) -> pl.DataFrame:
    """Rows for the ``flags`` table from a frame carrying the flag columns."""
    if flagged.height == 0:
        return pl.DataFrame()
    return flagged.select(
        pl.col("submission_id").cast(pl.Int64),
        pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(stage).alias("stage"),
        pl.col("series_code"),
        pl.col("date"),
        pl.col("flag_reason").alias("reason"),
        pl.col("flag_message").alias("message"),
        pl.col("flag_score").cast(pl.Float64).alias("score"),
        pl.lit("open").alias("status"),
        pl.lit(created, dtype=pl.Datetime("us")).alias("created_at"),
    )


def _record_stage_stats(
    conn: Connection, kind: str, batch_id: int, stats: list[dict], started: datetime
) -> None:
    runs = m.PipelineRun.__table__
    res = conn.execute(
        insert(runs).values(
            started_at=started,
            finished_at=_now(),
            status="complete",
            params={"kind": kind, "batch_id": batch_id},
        )
    )
    run_id = int(res.inserted_primary_key[0])
    for seq, row in enumerate(stats, start=3):
        conn.execute(insert(m.StageStat.__table__).values(run_id=run_id, seq=seq, **row))


CHUNK_ROWS = 150_000


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def _source_chunks(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Split into about CHUNK_ROWS-row parts; all rows of one source land in one part."""
    n_parts = max(1, -(-frame.height // CHUNK_ROWS))
    if n_parts == 1:
        return [frame]
    bucket = pl.col("source").fill_null("").str.to_lowercase().hash(seed=0) % n_parts
    return [
        part.drop("_bucket")
        for part in frame.with_columns(bucket.alias("_bucket")).partition_by(
            "_bucket", maintain_order=True
        )
    ]


@dataclass
class _ChunkTotals:
    """Stage statistics summed over chunks."""

    rows: dict[str, dict] = field(default_factory=dict)
    n_kept: int = 0
    n_flagged: int = 0
    standardized: list[pl.DataFrame] = field(default_factory=list)

    def add(self, stage: str, n_in: int, result: StageResult, seconds: float) -> None:
        row = self.rows.setdefault(
            stage,
            {
                "stage": stage,
                "n_in": 0,
                "n_kept": 0,
                "n_rejected": 0,
                "n_flagged": 0,
                "seconds": 0.0,
                "counters": {},
            },
        )
        row["n_in"] += n_in
        row["n_kept"] += result.kept.height
        row["n_rejected"] += result.rejected.height
        row["n_flagged"] += result.flagged.height
        row["seconds"] += seconds
        for key, value in result.counters.items():
            row["counters"][key] = row["counters"].get(key, 0) + value

    def stage_rows(self) -> list[dict]:
        return list(self.rows.values())


def _store_standardized(
    conn: Connection, standardized: StageResult, batch_id: int, created: datetime
) -> None:
    """Write a standardization result: its reports and its range-check flags."""
    bulk_insert(
        conn, m.StandardizedReport.__table__, _standardized_rows(standardized.kept, batch_id)
    )
    flags = flag_rows(standardized.flagged, stage="standardize", created=created, batch_id=batch_id)
    bulk_insert(conn, m.Flag.__table__, flags)


def ingest_frame(
    engine: Engine,
    frame: pl.DataFrame,
    *,
    batch_id: int,
    file_name: str,
    read_rejects: pl.DataFrame | None = None,
    ctx: RunContext,
    keep_standardized: bool = False,
) -> FileOutcome:
    """Persist one import frame (columns of the import frame, with ``row_number`` and
    ``row_hash``) under ``batch_id``, in a single transaction."""
    started = _now()
    created = started
    outcome = FileOutcome(file=file_name, status="imported", batch_id=batch_id)
    stats: list[dict] = []
    with engine.begin() as conn, ExitStack() as loading:
        _lock_for_ids(conn)
        t0 = time.perf_counter()
        new, dup_rejects = _split_duplicates(conn, frame)
        max_id = conn.execute(select(func.coalesce(func.max(m.RawSubmission.id), 0))).scalar()
        new = new.with_columns(
            (pl.int_range(1, new.height + 1, dtype=pl.Int64) + int(max_id)).alias("submission_id"),
            pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
        )
        loading.enter_context(bulk_load(conn, BULK_TABLES, new.height))
        raw_cols = ["submission_id", "batch_id", "row_number", "row_hash", *RAW_COLUMNS]
        raw = new.select([c for c in raw_cols if c in new.columns]).rename({"submission_id": "id"})
        bulk_insert(
            conn, m.RawSubmission.__table__, raw.with_columns(pl.lit("processed").alias("status"))
        )
        read_rej = read_rejects if read_rejects is not None else pl.DataFrame()
        stats.append(
            {
                "stage": "ingest",
                "n_in": frame.height + read_rej.height,
                "n_kept": new.height,
                "n_rejected": dup_rejects.height + read_rej.height,
                "n_flagged": 0,
                "seconds": time.perf_counter() - t0,
            }
        )

        # Verify, standardize and store in chunks that keep each source's rows together
        # (every duplicate rule involves the source), so memory stays bounded on big files.
        totals = _ChunkTotals()
        reject_parts = [
            _reject_rows(r, batch_id, file_name, created)
            for r in (read_rej, dup_rejects)
            if r.height
        ]
        bulk_insert(conn, m.Reject.__table__, _concat(reject_parts))
        for part in _source_chunks(new):
            t0 = time.perf_counter()
            verified = VerifyStage().run(part, ctx)
            totals.add("verify", part.height, verified, time.perf_counter() - t0)
            t0 = time.perf_counter()
            standardized = StandardizeStage().run(verified.kept, ctx)
            totals.add("standardize", verified.kept.height, standardized, time.perf_counter() - t0)
            chunk_rejects = _concat(
                [
                    _reject_rows(r, batch_id, file_name, created)
                    for r in (verified.rejected, standardized.rejected)
                    if r.height
                ]
            )
            bulk_insert(conn, m.Reject.__table__, chunk_rejects)
            reject_parts.append(
                chunk_rejects.drop("raw") if chunk_rejects.height else chunk_rejects
            )
            _store_standardized(conn, standardized, batch_id, created)
            totals.n_kept += standardized.kept.height
            totals.n_flagged += standardized.flagged.height
            if keep_standardized:
                totals.standardized.append(standardized.kept)
            del verified, standardized
        loading.close()  # rebuild the indexes dropped for a large load
        stats.extend(totals.stage_rows())
        rejects = _concat(reject_parts)

        outcome.accepted = totals.n_kept - totals.n_flagged
        outcome.flagged = totals.n_flagged
        # Every `duplicate` counts as a duplicate, whether the importer saw the row hash
        # before or verification found the report id repeated within the file.
        n_dup = int((rejects["reason"] == "duplicate").sum()) if rejects.height else 0
        outcome.rejected = rejects.height - n_dup
        outcome.duplicates = n_dup
        if rejects.height:
            listed = rejects.sort("row_number").head(MAX_REJECTS_LISTED)
            outcome.rejects = [
                {
                    "file": file_name,
                    "row": r["row_number"],
                    "field": r["field"],
                    "reason": r["reason"],
                    "message": r["message"],
                }
                for r in listed.iter_rows(named=True)
            ]
        t = m.ImportBatch.__table__
        conn.execute(
            update(t)
            .where(t.c.id == batch_id)
            .values(
                status="complete",
                finished_at=_now(),
                n_rows=frame.height + read_rej.height,
                n_accepted=totals.n_kept,
                n_rejected=outcome.rejected,
                n_duplicate=outcome.duplicates,
            )
        )
        _record_stage_stats(conn, "import", batch_id, stats, started)
    if keep_standardized:
        outcome.standardized = _concat(totals.standardized)
    return outcome


def import_paths(
    engine: Engine,
    paths: list[Path],
    *,
    who: str = "cli",
    catalog: Catalog | None = None,
    today: date | None = None,
    max_bytes: int | None = None,
) -> ImportSummary:
    """Import files one by one; a file that fails does not stop the others."""
    settings = get_settings()
    max_bytes = max_bytes or settings.max_import_bytes
    ctx = build_context(engine, catalog=catalog, today=today)
    outcomes: list[FileOutcome] = []
    for path in paths:
        outcomes.append(_import_one(engine, Path(path), who=who, ctx=ctx, max_bytes=max_bytes))
    return ImportSummary(outcomes)


def _import_one(
    engine: Engine, path: Path, *, who: str, ctx: RunContext, max_bytes: int
) -> FileOutcome:
    t0 = time.perf_counter()
    name = str(path)
    if not path.is_file():
        error = (
            f"{name}: 这是目录，请给出其中的文件 / is a directory: give the files in it"
            if path.is_dir()
            else f"{name}: 文件不存在 / file not found"
        )
        return FileOutcome(file=name, status="failed", reason="missing_file", error=error)
    size = path.stat().st_size
    if size > max_bytes:
        return FileOutcome(
            file=name,
            status="failed",
            reason="file_too_large",
            error=(
                f"{name}: 文件 {size:,} 字节，超过上限 {max_bytes:,} 字节；请拆分文件或调高 "
                f"STEELSAGE_MAX_IMPORT_BYTES / file is {size:,} bytes, over the limit of "
                f"{max_bytes:,}; split it or raise STEELSAGE_MAX_IMPORT_BYTES"
            ),
        )
    sha = _sha256(path)
    previous = _complete_batch_with_hash(engine, sha)
    if previous is not None:
        return FileOutcome(
            file=name,
            status="duplicate_file",
            batch_id=previous,
            error=f"{name}: 该文件已于批次 {previous} 导入 / already imported as batch {previous}",
            seconds=time.perf_counter() - t0,
        )
    batch_id = _start_batch(
        engine,
        file_name=name,
        sha256=sha,
        format=path.suffix.lower().lstrip(".") or "csv",
        size_bytes=size,
        imported_by=who,
    )
    try:
        read = read_reports(path, max_bytes=max_bytes)
        archive = _archive(path, sha)
        with engine.begin() as conn:
            t = m.ImportBatch.__table__
            conn.execute(
                update(t)
                .where(t.c.id == batch_id)
                .values(format=read.format, encoding=read.encoding, archive_path=archive)
            )
        outcome = ingest_frame(
            engine,
            read.frame,
            batch_id=batch_id,
            file_name=name,
            read_rejects=_with_raw(read.rejects),
            ctx=ctx,
        )
    except ImportFileError as exc:
        _fail_batch(engine, batch_id, exc.message)
        return FileOutcome(
            file=name, status="failed", batch_id=batch_id, reason=exc.reason, error=exc.message
        )
    except Exception as exc:  # a crash halfway: the file's transaction was rolled back
        detail = f"{type(exc).__name__}: {exc}"
        _fail_batch(engine, batch_id, detail)
        logger.exception("import of %s failed", name)
        return FileOutcome(
            file=name,
            status="failed",
            batch_id=batch_id,
            reason="internal_error",
            error=(
                f"{name}: 导入中途出错，该文件未写入任何数据，可修复后重新导入（{detail}）/ "
                f"the import failed halfway; nothing from this file was stored and it can be "
                f"imported again ({detail})"
            ),
        )
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _with_raw(rejects: pl.DataFrame) -> pl.DataFrame:
    if rejects.height == 0 or "raw" in rejects.columns:
        return rejects
    return rejects.with_columns(pl.lit(None, dtype=pl.Utf8).alias("raw"))


def import_frame(
    engine: Engine,
    frame: pl.DataFrame,
    *,
    name: str,
    who: str = "system",
    ctx: RunContext | None = None,
    keep_standardized: bool = False,
) -> FileOutcome:
    """Import an in-memory frame of reports (the import frame's text columns) through the
    same path as files. ``row_number`` and ``row_hash`` are added when missing."""
    from steelsage.pipeline.ingest import add_row_hash

    if "row_number" not in frame.columns:
        frame = frame.with_row_index("row_number", offset=1).with_columns(
            pl.col("row_number").cast(pl.Int64)
        )
    if "row_hash" not in frame.columns:
        frame = add_row_hash(frame)
    digest = hashlib.sha256()
    digest.update(frame["row_hash"].str.join("").item().encode())
    sha = digest.hexdigest()
    previous = _complete_batch_with_hash(engine, sha)
    if previous is not None:
        return FileOutcome(file=name, status="duplicate_file", batch_id=previous)
    ctx = ctx or build_context(engine)
    batch_id = _start_batch(engine, file_name=name, sha256=sha, format="frame", imported_by=who)
    try:
        return ingest_frame(
            engine,
            frame,
            batch_id=batch_id,
            file_name=name,
            ctx=ctx,
            keep_standardized=keep_standardized,
        )
    except Exception as exc:
        _fail_batch(engine, batch_id, f"{type(exc).__name__}: {exc}")
        raise


def summary_json(summary: ImportSummary) -> str:
    return json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str)


FIXABLE_REASONS = (
    "unknown_source",
    "unknown_product",
    "unknown_region",
    "unknown_unit",
    "not_assessed",
    "missing_fx",
    "future_date",
)


def reprocess_rejected(
    engine: Engine,
    *,
    reasons: list[str] | None = None,
    who: str = "cli",
    ctx: RunContext | None = None,
) -> dict:
    """Verify and standardize again the stored raw rows rejected for a reason that can be
    fixed outside the file (a source registered since, an FX rate loaded, a catalog
    update). Rows that pass now are added; the original reject records stay as history."""
    wanted = list(reasons or FIXABLE_REASONS)
    raw = m.RawSubmission.__table__
    rej = m.Reject.__table__
    std = m.StandardizedReport.__table__
    cols = [raw.c.id, raw.c.batch_id, raw.c.row_number, raw.c.row_hash]
    cols += [raw.c[c] for c in RAW_COLUMNS]
    stmt = select(*cols).where(
        raw.c.id.in_(
            select(rej.c.submission_id).where(
                rej.c.reason.in_(wanted), rej.c.submission_id.is_not(None)
            )
        ),
        ~raw.c.id.in_(select(std.c.submission_id)),
    )
    schema = {
        "submission_id": pl.Int64,
        "batch_id": pl.Int64,
        "row_number": pl.Int64,
        "row_hash": pl.Utf8,
        **{c: pl.Utf8 for c in RAW_COLUMNS},
    }
    with engine.connect() as conn:
        frame = pl.DataFrame(conn.execute(stmt).all(), schema=schema, orient="row")
    result = {"reasons": wanted, "candidates": frame.height, "accepted": 0, "flagged": 0}
    if frame.height == 0:
        result["still_rejected"] = 0
        return result
    ctx = ctx or build_context(engine)
    created = _now()
    with engine.begin() as conn:
        kept_parts = []
        for (batch_id,), part in frame.group_by(["batch_id"], maintain_order=True):
            verified = VerifyStage().run(part, ctx)
            standardized = StandardizeStage().run(verified.kept, ctx)
            _store_standardized(conn, standardized, batch_id, created)
            kept_parts.append(standardized)
        n_kept = sum(s.kept.height for s in kept_parts)
        n_flagged = sum(s.flagged.height for s in kept_parts)
        result.update(
            accepted=n_kept - n_flagged,
            flagged=n_flagged,
            still_rejected=frame.height - n_kept,
        )
        audit(conn, who, "reprocess", "raw_submissions", None, result)
    return result
