"""Per-app auth state: the credential cache, the rate limiter and the audit recorder.

Created lazily on first use from ``app.state.settings`` and ``app.state.engine`` (or
explicitly with :func:`install_auth`, which also flushes the audit log at shutdown).

**Credential cache.** Resolving an API key or a session costs a database round trip; the
series endpoint must serve thousands of requests a second, so a resolved caller is cached
in process for ``cache_seconds`` (``STEELSAGE_AUTH_CACHE_SECONDS``, default 5 s). The
price: a revoked key, an ended session, a changed role or a changed grant takes effect in
*other* worker processes only when their entry expires — within ``cache_seconds``. In the
process that made the change the cache is cleared at once. Set it to 0 to disable caching.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steelsage.server.auth.audit import AuditRecorder
from steelsage.server.auth.ratelimit import RateLimiter
from steelsage.server.auth.service import AuthUser

DEFAULT_CACHE_SECONDS = 5.0
MAX_CACHE_ENTRIES = 50_000


class CredentialCache:
    """``credential digest → (expires monotonic time, AuthUser)``; a plain dict (atomic
    operations under the GIL), cleared wholesale when it grows too big."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, AuthUser]] = {}

    @staticmethod
    def digest(kind: str, secret: str) -> str:
        return kind + ":" + hashlib.sha256(secret.encode("utf-8")).hexdigest()

    def get(self, key: str) -> AuthUser | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: str, user: AuthUser) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_CACHE_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, user)

    def clear(self) -> None:
        self._entries.clear()


class AuthRuntime:
    def __init__(
        self,
        settings: Any,
        engine: Engine,
        *,
        cache_seconds: float | None = None,
        audit_flush_rows: int = 200,
        audit_flush_seconds: float = 2.0,
    ) -> None:
        self.settings = settings
        self.engine = engine
        # Auth writes read first (the user, the key), then write: take SQLite's write lock at
        # the start so a concurrent writer (the audit flush) cannot invalidate the snapshot.
        writer = engine.execution_options(sqlite_immediate=True)
        self.sessions: sessionmaker[Session] = sessionmaker(bind=writer, expire_on_commit=False)
        self.readers: sessionmaker[Session] = sessionmaker(bind=engine, expire_on_commit=False)
        if cache_seconds is None:
            cache_seconds = float(getattr(settings, "auth_cache_seconds", DEFAULT_CACHE_SECONDS))
        self.cache = CredentialCache(cache_seconds)
        self.limiter = RateLimiter(getattr(settings, "redis_url", None))
        self.audit = AuditRecorder(
            engine, flush_rows=audit_flush_rows, flush_seconds=audit_flush_seconds
        )

    def session(self) -> Session:
        """A session for work that writes (sign-in, keys, admin)."""
        return self.sessions()

    def read_session(self) -> Session:
        """A session for the per-request credential lookups (mostly reads)."""
        return self.readers()

    def close(self) -> None:
        self.audit.close()


_create_lock = threading.Lock()


def runtime_for(app: FastAPI) -> AuthRuntime:
    """The app's :class:`AuthRuntime`, created on first use."""
    runtime = getattr(app.state, "auth", None)
    if runtime is not None:
        return runtime
    with _create_lock:
        runtime = getattr(app.state, "auth", None)
        if runtime is None:
            runtime = AuthRuntime(app.state.settings, app.state.engine)
            app.state.auth = runtime
    return runtime


def install_auth(app: FastAPI, runtime: AuthRuntime | None = None) -> AuthRuntime:
    """Attach auth state to ``app`` now and flush the audit log when the app shuts down.

    Call it in ``create_app`` after ``app.state.settings`` and ``app.state.engine`` are set.
    It wraps the existing lifespan, so it works with or without a custom one.
    """
    if runtime is not None:
        app.state.auth = runtime
    runtime = runtime_for(app)
    inner: Callable[[Any], Any] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any):  # type: ignore[no-untyped-def]
        try:
            async with inner(a) as state:
                yield state
        finally:
            current = getattr(app.state, "auth", None)
            if current is not None:
                current.close()

    app.router.lifespan_context = lifespan
    return runtime
