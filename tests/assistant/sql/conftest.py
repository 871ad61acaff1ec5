"""The ``market`` fixture: the tiny market of :mod:`.sql_support` on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from .sql_support import Market, seed_market


@pytest.fixture
def market(engine: Engine) -> Market:
    return seed_market(engine)
