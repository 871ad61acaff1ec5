"""read-only views for the assistant's text-to-SQL: v_series, v_observations

The assistant lets a language model write SQL against these two views only (never the
tables), so the columns a model sees are stable and documented
(``steelsage.assistant.sql.semantic``) and superseded values are never visible.
The view SQL is written out here, not imported, so this revision stays as it was shipped.

Later revisions that rebuild ``series`` or ``series_observations`` (SQLite batch mode
copies and renames the table) must drop these views first and create them again after.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V_SERIES = """
CREATE VIEW v_series AS
SELECT code, kind, name_zh, name_en, commodity, product, region, unit, frequency, method,
       first_date, last_date
FROM series
"""

# Current values only: a correction supersedes the row it replaces.
V_OBSERVATIONS = """
CREATE VIEW v_observations AS
SELECT series_code, date, value, low, high, change, n_sources, fallback, version,
       published_at
FROM series_observations
WHERE superseded_at IS NULL
"""


def upgrade() -> None:
    op.execute(V_SERIES)
    op.execute(V_OBSERVATIONS)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_observations")
    op.execute("DROP VIEW IF EXISTS v_series")
