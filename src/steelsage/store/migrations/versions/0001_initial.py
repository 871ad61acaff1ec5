"""initial schema

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("series_code", sa.String(length=80), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("mid", sa.Float(), nullable=False),
        sa.Column("change", sa.Float(), nullable=True),
        sa.Column("change_pct", sa.Float(), nullable=True),
        sa.Column("n_sources", sa.Integer(), nullable=False),
        sa.Column("n_reports", sa.Integer(), nullable=False),
        sa.Column("n_deals", sa.Integer(), nullable=False),
        sa.Column("n_excluded", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=80), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("fallback_reason", sa.String(length=80), nullable=True),
        sa.Column("judgement", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series_code", "date", "run_id", name="uq_assessment"),
    )
    op.create_index(op.f("ix_assessments_run_id"), "assessments", ["run_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=120), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)

    op.create_table(
        "demo_truth_errors",
        sa.Column("report_id", sa.String(length=120), nullable=False),
        sa.Column("error_type", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_table(
        "demo_truth_prices",
        sa.Column("series_code", sa.String(length=80), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("true_mid", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("series_code", "date"),
    )
    op.create_table(
        "flags",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("series_code", sa.String(length=80), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_flags_reason"), "flags", ["reason"], unique=False)
    op.create_index(op.f("ix_flags_run_id"), "flags", ["run_id"], unique=False)
    op.create_index("ix_flags_series_date", "flags", ["series_code", "date"], unique=False)
    op.create_index(op.f("ix_flags_submission_id"), "flags", ["submission_id"], unique=False)

    op.create_table(
        "fx_rates",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("pair", sa.String(length=8), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("date", "pair"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("archive_path", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("n_accepted", sa.Integer(), nullable=False),
        sa.Column("n_rejected", sa.Integer(), nullable=False),
        sa.Column("n_duplicate", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_import_batches_sha256"), "import_batches", ["sha256"], unique=False)

    op.create_table(
        "indices",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("base_date", sa.Date(), nullable=True),
        sa.Column("base_value", sa.Float(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "overrides",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_pipeline_runs_input_fingerprint"),
        "pipeline_runs",
        ["input_fingerprint"],
        unique=False,
    )

    op.create_table(
        "publications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("release", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("n_values", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release", "version", name="uq_publication_version"),
    )
    op.create_index(
        op.f("ix_publications_published_at"), "publications", ["published_at"], unique=False
    )

    op.create_table(
        "series",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("commodity", sa.String(length=40), nullable=True),
        sa.Column("product", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=12), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("first_date", sa.Date(), nullable=True),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(op.f("ix_series_commodity"), "series", ["commodity"], unique=False)
    op.create_index(op.f("ix_series_product"), "series", ["product"], unique=False)
    op.create_index(op.f("ix_series_region"), "series", ["region"], unique=False)

    op.create_table(
        "sources",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=40), nullable=True),
        sa.Column("credibility_weight", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "standardized_reports",
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("source_code", sa.String(length=32), nullable=False),
        sa.Column("series_code", sa.String(length=80), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("data_type", sa.String(length=12), nullable=False),
        sa.Column("raw_value", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("volume_t", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("adjustments", sa.Text(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    op.create_index("ix_std_date", "standardized_reports", ["date"], unique=False)
    op.create_index(
        "ix_std_series_date", "standardized_reports", ["series_code", "date"], unique=False
    )

    op.create_table(
        "index_weights",
        sa.Column("index_code", sa.String(length=80), nullable=False),
        sa.Column("component", sa.String(length=80), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("base_price", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["index_code"],
            ["indices.code"],
        ),
        sa.PrimaryKeyConstraint("index_code", "component"),
    )
    op.create_table(
        "raw_submissions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", BIG_ID, nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=120), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("spec", sa.Text(), nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("price", sa.Text(), nullable=True),
        sa.Column("low", sa.Text(), nullable=True),
        sa.Column("high", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("tax_basis", sa.Text(), nullable=True),
        sa.Column("weight_basis", sa.Text(), nullable=True),
        sa.Column("delivery", sa.Text(), nullable=True),
        sa.Column("volume", sa.Text(), nullable=True),
        sa.Column("data_type", sa.Text(), nullable=True),
        sa.Column("time", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_raw_row_hash", "raw_submissions", ["row_hash"], unique=True)
    op.create_index("ix_raw_batch_row", "raw_submissions", ["batch_id", "row_number"], unique=False)
    op.create_index(
        op.f("ix_raw_submissions_report_id"), "raw_submissions", ["report_id"], unique=False
    )

    op.create_table(
        "rejects",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", BIG_ID, nullable=True),
        sa.Column("submission_id", sa.BigInteger(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rejects_batch_id"), "rejects", ["batch_id"], unique=False)
    op.create_index(op.f("ix_rejects_reason"), "rejects", ["reason"], unique=False)
    op.create_index(op.f("ix_rejects_submission_id"), "rejects", ["submission_id"], unique=False)

    op.create_table(
        "series_observations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("series_code", sa.String(length=80), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("change", sa.Float(), nullable=True),
        sa.Column("n_sources", sa.Integer(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("assessment_id", sa.BigInteger(), nullable=True),
        sa.Column("publication_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_obs_current",
        "series_observations",
        ["series_code", "superseded_at", "date"],
        unique=False,
    )
    op.create_index(
        "ix_obs_series_date",
        "series_observations",
        ["series_code", "date", "published_at"],
        unique=False,
    )

    op.create_table(
        "source_coverage",
        sa.Column("source_code", sa.String(length=32), nullable=False),
        sa.Column("series_code", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_code"],
            ["sources.code"],
        ),
        sa.PrimaryKeyConstraint("source_code", "series_code"),
    )
    op.create_table(
        "stage_stats",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("n_in", sa.BigInteger(), nullable=False),
        sa.Column("n_kept", sa.BigInteger(), nullable=False),
        sa.Column("n_rejected", sa.BigInteger(), nullable=False),
        sa.Column("n_flagged", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("counters", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["pipeline_runs.id"],
        ),
        sa.PrimaryKeyConstraint("run_id", "stage"),
    )


def downgrade() -> None:
    op.drop_table("stage_stats")
    op.drop_table("source_coverage")
    op.drop_table("series_observations")
    op.drop_table("rejects")
    op.drop_table("raw_submissions")
    op.drop_table("index_weights")
    op.drop_table("standardized_reports")
    op.drop_table("sources")
    op.drop_table("series")
    op.drop_table("publications")
    op.drop_table("pipeline_runs")
    op.drop_table("overrides")
    op.drop_table("indices")
    op.drop_table("import_batches")
    op.drop_table("fx_rates")
    op.drop_table("flags")
    op.drop_table("demo_truth_prices")
    op.drop_table("demo_truth_errors")
    op.drop_table("audit_log")
    op.drop_table("assessments")
