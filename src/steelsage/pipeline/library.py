"""Sample library, persisted: add or update sources and their coverage."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, delete, select

from steelsage.pipeline.context import build_context
from steelsage.pipeline.sample_library import SampleLibraryStage, load_sources_file
from steelsage.store import audit, bulk_insert
from steelsage.store import models as m
from steelsage.store.schemas import utc_now

SOURCE_COLUMNS = ["code", "name", "type", "region_code", "credibility_weight", "active"]


def register_sources(engine: Engine, frame: pl.DataFrame, *, who: str = "system") -> dict:
    """Validate sources through the sample-library stage and upsert the clean ones."""
    ctx = build_context(engine)
    result = SampleLibraryStage().run(frame, ctx)
    kept = result.kept
    now = utc_now().replace(microsecond=0)
    src = m.Source.__table__
    cov = m.SourceCoverage.__table__
    with engine.begin() as conn:
        codes = kept["code"].to_list()
        existing = set()
        for i in range(0, len(codes), 5000):
            chunk = codes[i : i + 5000]
            existing |= {
                r[0] for r in conn.execute(select(src.c.code).where(src.c.code.in_(chunk)))
            }
            conn.execute(delete(cov).where(cov.c.source_code.in_(chunk)))
            conn.execute(delete(src).where(src.c.code.in_(chunk)))
        rows = kept.select([pl.col(c) for c in SOURCE_COLUMNS]).with_columns(
            pl.lit(now, dtype=pl.Datetime("us")).alias("created_at"),
            pl.lit(now, dtype=pl.Datetime("us")).alias("updated_at"),
        )
        bulk_insert(conn, src, rows)
        if "coverage" in kept.columns:
            coverage = (
                kept.select(pl.col("code").alias("source_code"), pl.col("coverage"))
                .explode("coverage")
                .drop_nulls("coverage")
                .rename({"coverage": "series_code"})
                .unique()
            )
            bulk_insert(conn, cov, coverage)
        audit(
            conn,
            who,
            "sources.register",
            "source",
            None,
            {
                "added": len(set(codes) - existing),
                "updated": len(existing & set(codes)),
                "rejected": result.rejected.height,
            },
        )
    rejects = [
        {"code": r.get("code"), "reason": r["reason"], "message": r["message"]}
        for r in result.rejected.iter_rows(named=True)
    ]
    return {"accepted": kept.height, "rejected": result.rejected.height, "rejects": rejects}


class SourcesFileError(ValueError):
    """The sources file cannot be read at all (missing, unreadable, malformed)."""


def register_sources_file(engine: Engine, path: Path, *, who: str = "system") -> dict:
    """Register the sources listed in a CSV or YAML file (see ``load_sources_file``)."""
    path = Path(path)
    if not path.is_file():
        raise SourcesFileError(f"{path}: 文件不存在 / file not found")
    try:
        frame = load_sources_file(path)
    except (OSError, UnicodeError, csv.Error) as exc:
        raise SourcesFileError(
            f"{path}: 无法读取来源文件（{exc}），请提供 UTF-8 的 CSV 或 YAML / cannot read the "
            f"sources file ({exc}); give a UTF-8 CSV or YAML file"
        ) from None
    return register_sources(engine, frame, who=who)
