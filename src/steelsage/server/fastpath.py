"""A fast path for the busiest read: ``GET /api/v1/series/{code}/observations``.

FastAPI's dependency injection and parameter validation cost several hundred microseconds a
request, more than the read itself once the reply is cached. This ASGI middleware answers a
*routine* request straight from the caches that the full route fills — the caller resolved
from the credential cache, the reply from the published-data cache — and does everything
the route does for it: the rate limit, the entitlement window and the read audit.

Anything not routine goes to the full route unchanged: no or unknown credentials, a session
cookie, a parameter it does not parse strictly (``as_of``, odd dates), an unknown or
unentitled series, a reply not cached yet, an error of any kind. So the fast path can only
ever serve a reply the full route has produced before for the same key.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from steelsage.config import market_today
from steelsage.server.auth.ratelimit import RateLimited
from steelsage.server.auth.runtime import CredentialCache, runtime_for
from steelsage.server.cache import SERIES_KEY, observations_key, published_cache
from steelsage.server.entitle import clip
from steelsage.server.errors import error_body

_PATH = re.compile(r"^/api/v1/series/([A-Za-z0-9_.\-]{1,80})/observations$")
_MEDIA = {
    "json": b"application/json",
    "csv": b"text/csv; charset=utf-8",
    "parquet": b"application/vnd.apache.parquet",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class SeriesFastPath:
    def __init__(self, app: ASGIApp, owner: Any) -> None:
        self.app = app
        self.owner = owner  # the FastAPI app: its state holds the caches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _PATH.match(scope["path"])
            if match is not None and await self._serve(scope, send, match.group(1)):
                return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, code: str) -> bool:
        state = self.owner.state
        token = _bearer(scope)
        if token is None or getattr(state, "published_cache", None) is None:
            return False
        runtime = runtime_for(self.owner)
        user = runtime.cache.get(CredentialCache.digest("key", token))
        if user is None:
            return False
        params = _params(scope)
        if params is None:
            return False
        start, end, fmt = params
        cache = published_cache(self.owner)
        series = cache.peek(SERIES_KEY)
        info = None if series is None else series.get(code)
        if info is None or not user.principal.can_see(info):
            return False
        lo, hi = clip(start, end, user.principal.window(info, market_today()))
        body = cache.peek(observations_key(code, lo, hi, fmt))
        if body is None:
            return False
        try:
            await runtime.limiter.hit(runtime.settings.rate_limit, "api", f"user:{user.id}")
        except RateLimited as exc:
            await _send(
                send,
                429,
                _json(error_body("rate_limited", exc.message)),
                b"application/json",
                [(b"retry-after", str(exc.retry_after).encode())],
            )
            return True
        if user.audit is not None:
            detail = {"start": str(lo), "end": str(hi), "format": fmt}
            user.audit.record(user.username, "series", code, detail)
        extra = []
        if fmt != "json":
            extra.append((b"content-disposition", f'attachment; filename="{code}.{fmt}"'.encode()))
        await _send(send, 200, body, _MEDIA[fmt], extra)
        return True


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
        if name == b"cookie":
            return None  # sessions (and their CSRF rules) take the full route
    return None


def _params(scope: Scope) -> tuple[date | None, date | None, str] | None:
    """(start, end, format) when the query string is strictly routine, else None."""
    query = scope.get("query_string", b"").decode("latin-1")
    start = end = None
    fmt = "json"
    try:
        # parse_qsl decodes once, as the full route does; decoding again would accept
        # values the route refuses ("%2531" → "%31" → "1").
        for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
            if name == "start" and start is None and len(value) == 10:
                start = date.fromisoformat(value)
            elif name == "end" and end is None and len(value) == 10:
                end = date.fromisoformat(value)
            elif name == "format" and value in _MEDIA:
                fmt = value
            else:
                return None
    except ValueError:
        return None
    if start is not None and end is not None and start > end:
        return None  # the full route explains the error
    return start, end, fmt


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


async def _send(
    send: Send, status: int, body: bytes, media: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [(b"content-type", media), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
