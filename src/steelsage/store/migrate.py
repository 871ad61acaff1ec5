"""Schema migrations: Alembic configured from code, the scripts ship inside the package.

No ``alembic.ini`` is needed. To add a revision after changing ``models.py``::

    from alembic import command
    from steelsage.store import get_engine, init_db
    from steelsage.store.migrate import alembic_config
    url = "sqlite:////tmp/scratch.db"
    init_db(get_engine(url))  # a scratch database at the current head
    command.revision(alembic_config(url=url), message="what changed", autogenerate=True,
                     rev_id="0002")

then read and tidy the generated file under ``migrations/versions/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any constant works; it only has to be the same for every process migrating one database.
_PG_LOCK_KEY = 0x57EE15A6E


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An ``alembic.config.Config`` for our migrations, bound to ``connection`` or ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return head


def _revision_of(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for an empty (never migrated) database."""
    with engine.connect() as conn:
        return _revision_of(conn)


def init_db(engine: Engine) -> None:
    """Bring the database to the newest schema. Idempotent and cheap when already there."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting at once must not both create the tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        command.upgrade(alembic_config(conn), "head")
