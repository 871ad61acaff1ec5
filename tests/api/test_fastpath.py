"""The observations fast path serves exactly what the full route serves, with the same
rate limit and audit, and steps aside for everything that is not routine."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from support.access import API

from steelsage.server import create_app
from steelsage.server.fastpath import SeriesFastPath
from steelsage.store import models as m

from .conftest import SQLITE_ONLY, api_settings

pytestmark = SQLITE_ONLY
PATH = f"{API}/series/rebar.shanghai/observations"


@pytest.fixture
def cached_client(api_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    served: list[str] = []
    original = SeriesFastPath._serve

    async def spy(self, scope, send, code):  # type: ignore[no-untyped-def]
        done = await original(self, scope, send, code)
        if done:
            served.append(scope["query_string"].decode())
        return done

    monkeypatch.setattr(SeriesFastPath, "_serve", spy)
    app = create_app(api_settings(auth_cache_seconds=60, rate_limit="8/minute"), api_engine)
    with TestClient(app) as client:
        yield client, served
    app.state.auth.close()


def _reads(engine: Engine) -> int:
    table = m.AuditLog.__table__
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(table).where(table.c.action == "read")
        ).scalar_one()


def test_same_reply_same_audit_same_limit(
    cached_client, member, packages, api_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    client, served = cached_client
    me = member("fast", role="subscriber", packages=(packages["rebar"],))
    params = {"start": "2026-11-01", "end": "2026-11-24"}
    first = client.get(PATH, params=params, headers=me.headers)  # full route fills the caches
    second = client.get(PATH, params=params, headers=me.headers)  # served by the fast path
    assert served == ["start=2026-11-01&end=2026-11-24"]
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    csv = [
        client.get(PATH, params={**params, "format": "csv"}, headers=me.headers) for _ in range(2)
    ]
    assert csv[0].content == csv[1].content and len(served) == 2
    assert csv[1].headers["content-disposition"] == csv[0].headers["content-disposition"]
    limited = [client.get(PATH, params=params, headers=me.headers).status_code for _ in range(5)]
    assert limited == [200, 200, 200, 200, 429]  # 8 per minute, counted on both paths
    time.sleep(0.3)  # the audit recorder flushes in the background
    client.app.state.auth.audit.flush()
    assert _reads(api_engine) >= 5


def test_not_routine_goes_the_full_way(cached_client, member, packages) -> None:  # type: ignore[no-untyped-def]
    client, served = cached_client
    me = member("slow", role="subscriber", packages=(packages["rebar"],))
    client.get(PATH, headers=me.headers)
    for params in ({"as_of": "2026-11-01T00:00:00"}, {"start": "2026-11-1"}, {"x": "1"}):
        client.get(PATH, params=params, headers=me.headers)
    # decoded once, as the full route does: "%2531" is "%31", not "1"
    assert client.get(f"{PATH}?start=2026-11-0%2531", headers=me.headers).status_code == 422
    hrc = client.get(f"{API}/series/hrc.shanghai/observations", headers=me.headers)
    assert hrc.status_code == 403
    assert (
        client.get(f"{API}/series/hrc.shanghai/observations", headers=me.headers).status_code == 403
    )
    assert served == []
