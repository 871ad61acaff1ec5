"""Rate limits with the ``limits`` library: Redis when configured, in-process otherwise.

Use Redis (``STEELSAGE_REDIS_URL``) when more than one worker serves: in-process counters
are per worker. Counting uses the sliding-window-counter strategy (one or two keys per
identity, cheap on Redis). When Redis is unreachable the limiter fails open and logs: an
outage of the limiter must not take the data service down; account lockout still guards
sign-ins.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger("steelsage.server.ratelimit")

NAMESPACE = "steelsage"


class RateLimited(Exception):
    """Too many requests; ``retry_after`` seconds until the next one is allowed."""

    def __init__(self, retry_after: int, limit: str) -> None:
        super().__init__(limit)
        self.retry_after = retry_after
        self.limit = limit

    @property
    def message(self) -> str:
        return (
            f"请求过于频繁，请 {self.retry_after} 秒后再试 / too many requests ({self.limit}); "
            f"retry in {self.retry_after} s"
        )


@lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem:
    """``"600/minute"`` → a limit item (cached: parsing is not free on a hot path)."""
    return parse(text)


def make_storage(redis_url: str | None) -> Storage:
    if redis_url:
        return storage_from_string(redis_url, wrap_exceptions=True, key_prefix=NAMESPACE)
    return MemoryStorage()


class RateLimiter:
    """``await hit(limit, scope, identity)`` counts one request or raises :class:`RateLimited`.

    In process it uses ``limits.aio`` (its memory storage expires entries with an asyncio
    task; the thread-based one starts a timer thread every few milliseconds under load,
    which cost more than the request). With Redis the synchronous storage is used: one
    round trip of tens of microseconds (the helper measured the async Redis storage running
    out of connections under concurrent load).
    """

    def __init__(self, redis_url: str | None = None, *, enabled: bool = True) -> None:
        self.storage = make_storage(redis_url)
        # Fixed windows: the cheapest check per request (the series endpoint serves thousands
        # a second); a burst at a window edge can reach twice the limit, which is acceptable.
        if redis_url:
            self.strategy: Any = FixedWindowRateLimiter(self.storage)
            self._async = False
        else:
            from limits.aio.storage import MemoryStorage as AsyncMemoryStorage
            from limits.aio.strategies import FixedWindowRateLimiter as AsyncFixedWindow

            self.storage = AsyncMemoryStorage()
            self.strategy = AsyncFixedWindow(self.storage)
            self._async = True
        self.enabled = enabled
        self._warned_at = 0.0

    async def hit(self, limit: str, scope: str, identity: str) -> None:
        if not self.enabled or not limit:
            return
        item = parse_limit(limit)
        try:
            if self._async:
                allowed = await self.strategy.hit(item, scope, identity)
                stats = (
                    None if allowed else await self.strategy.get_window_stats(item, scope, identity)
                )
            else:
                allowed = self.strategy.hit(item, scope, identity)
                stats = None if allowed else self.strategy.get_window_stats(item, scope, identity)
        except Exception as exc:  # storage down: fail open, but say so (once a minute)
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("rate-limit storage unavailable, not limiting: %s", exc)
            return
        if allowed:
            return
        reset_at = stats[0]
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(retry_after, limit)

    def reset(self) -> None:
        if self._async:  # a fresh in-process storage forgets every counter
            from limits.aio.storage import MemoryStorage as AsyncMemoryStorage
            from limits.aio.strategies import FixedWindowRateLimiter as AsyncFixedWindow

            self.storage = AsyncMemoryStorage()
            self.strategy = AsyncFixedWindow(self.storage)
            return
        try:
            self.storage.reset()
        except Exception as exc:  # pragma: no cover - best effort
            log.warning("could not reset rate-limit storage: %s", exc)
