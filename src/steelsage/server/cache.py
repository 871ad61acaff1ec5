"""Response cache for published data, invalidated by the publication watermark.

Published values only change when a publication is made (a release, a correction, an import of
external series), and every one of those adds a row to ``publications``. The watermark — the
newest publication id — is read at most once per ``ttl_s`` per process; any change empties
the cache. A reply can therefore be at most ``ttl_s`` seconds stale after a publication.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from steelsage.store import models as m

_pub = m.Publication.__table__


class PublishedCache:
    def __init__(self, engine: Engine, *, ttl_s: float = 1.0, max_items: int = 4096) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._mark: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def _watermark(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(_pub.c.id), 0))).scalar() or 0)

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.ttl_s:
            return
        mark = self._watermark()
        with self._lock:
            self._checked = now
            if mark != self._mark:
                self._items.clear()
                self._mark = mark

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value of ``key``, or ``make()`` stored under it."""
        self._fresh()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any | None:
        """The cached value of ``key`` or None (after the freshness check)."""
        self._fresh()
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._checked = 0.0


SERIES_KEY = ("series",)
"""Series metadata by code (what ``list_series`` returns), cached like the replies."""


def published_cache(app: Any) -> PublishedCache:
    """The app's cache of published data: replies, series metadata, answers."""
    cache = getattr(app.state, "published_cache", None)
    if cache is None:
        cache = app.state.published_cache = PublishedCache(app.state.engine)
    return cache


def observations_key(code: str, lo: date | None, hi: date | None, fmt: str) -> tuple[Any, ...]:
    """The key of a current (not ``as_of``) observations reply: shared by the full route and
    the fast path, so the fast path only serves what the route has made."""
    return ("obs", code, lo, hi, None, fmt)
