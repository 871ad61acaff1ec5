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

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

log = logging.getLogger("steelsage.server.ratelimit")

NAMESPACE = "steelsage"


class RateLimited(Exception):
    """Too many requests; ``retry_after`` seconds until the next one is allowed."""

    def __init__(self, retry_after: int, limit: str) -> None:
        super().__init__(limit)
        self.retry_after = retry_after
        self.limit = limit


@lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem:
    """``"600/minute"`` → a limit item (cached: parsing is not free on a hot path)."""
    return parse(text)


def make_storage(redis_url: str | None) -> Storage:
    if redis_url:
        return storage_from_string(redis_url, wrap_exceptions=True, key_prefix=NAMESPACE)
    return MemoryStorage()


class RateLimiter:
    """``hit(limit, scope, identity)`` counts one request or raises :class:`RateLimited`."""

    def __init__(self, redis_url: str | None = None, *, enabled: bool = True) -> None:
        self.storage = make_storage(redis_url)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.enabled = enabled
        self._warned_at = 0.0

    def hit(self, limit: str, scope: str, identity: str) -> None:
        if not self.enabled or not limit:
            return
        item = parse_limit(limit)
        try:
            allowed = self.strategy.hit(item, scope, identity)
            if allowed:
                return
            reset_at, _remaining = self.strategy.get_window_stats(item, scope, identity)
        except Exception as exc:  # storage down: fail open, but say so (once a minute)
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("rate-limit storage unavailable, not limiting: %s", exc)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(retry_after, limit)

    def reset(self) -> None:
        try:
            self.storage.reset()
        except Exception as exc:  # pragma: no cover - best effort
            log.warning("could not reset rate-limit storage: %s", exc)
