"""The store: SQLAlchemy models, engine/session factory, migrations, write and read API.

Other packages import from here only. Alembic is loaded lazily, when a migration runs.
"""

from steelsage.store import models
from steelsage.store.bulk import bulk_insert
from steelsage.store.engine import get_engine, normalize_url, session_factory, session_scope
from steelsage.store.migrate import current_revision, init_db
from steelsage.store.models import Base
from steelsage.store.read import (
    get_observations,
    get_observations_many,
    get_series,
    latest_date,
    list_series,
    publications,
)
from steelsage.store.schemas import PublicationInfo, SeriesInfo
from steelsage.store.write import (
    VALUE_SCHEMA,
    audit,
    publish_many,
    publish_values,
    record_override,
    upsert_series,
)

__all__ = [
    "VALUE_SCHEMA",
    "Base",
    "PublicationInfo",
    "SeriesInfo",
    "audit",
    "bulk_insert",
    "current_revision",
    "get_engine",
    "get_observations",
    "get_observations_many",
    "get_series",
    "init_db",
    "latest_date",
    "list_series",
    "models",
    "normalize_url",
    "publications",
    "publish_many",
    "publish_values",
    "record_override",
    "session_factory",
    "session_scope",
    "upsert_series",
]
