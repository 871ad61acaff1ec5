"""Who read what: a buffered recorder writing ``audit_log`` rows with action ``read``.

One INSERT per request would cost the series endpoint more than the read itself, so
rows are queued in memory and written in batches by a background thread: every
``flush_rows`` rows or ``flush_seconds`` seconds, whichever comes first, and at shutdown
(:meth:`AuditRecorder.close`, also registered with ``atexit``). A failed write keeps the
rows for the next attempt, up to ``max_pending`` rows; beyond that the oldest are dropped
and the loss is logged — the service keeps answering either way.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from steelsage.store.models import AuditLog

log = logging.getLogger("steelsage.server.audit")

READ = "read"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _jsonable(detail: Mapping[str, Any]) -> Any:
    """A JSON-safe copy (dates and other objects become strings), so a flush never fails
    on a value a route passed in."""
    return json.loads(json.dumps(dict(detail), default=str, ensure_ascii=False))


class AuditRecorder:
    def __init__(
        self,
        engine: Engine,
        *,
        flush_rows: int = 200,
        flush_seconds: float = 2.0,
        max_pending: int = 100_000,
    ) -> None:
        self.engine = engine
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0
        ref = weakref.ref(self)
        atexit.register(lambda: (r := ref()) is not None and r.close())

    def record(
        self,
        actor: str,
        entity: str,
        entity_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
        *,
        action: str = READ,
    ) -> None:
        """Queue one row (cheap: a list append under a lock)."""
        row = {
            "at": _utcnow(),
            "actor": actor[:80],
            "action": action[:40],
            "entity": entity[:40],
            "entity_id": None if entity_id is None else str(entity_id)[:120],
            "detail": _jsonable(detail) if detail else None,
        }
        with self._lock:
            self._rows.append(row)
            closed = self._closed
            full = len(self._rows) >= self.flush_rows
        if closed:  # after shutdown there is no writer thread: write at once
            self.flush()
        elif full:
            self._ensure_thread()
            self._wake.set()
        else:
            self._ensure_thread()

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write everything queued now; returns the number of rows written."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(AuditLog), rows)
            except Exception as exc:
                log.error("audit log write failed (%d rows kept for retry): %s", len(rows), exc)
                with self._lock:
                    self._rows = rows + self._rows
                    excess = len(self._rows) - self.max_pending
                    if excess > 0:
                        del self._rows[:excess]
                        self.dropped += excess
                        log.error("audit log buffer full: dropped %d oldest rows", excess)
                return 0
            self.written += len(rows)
            return len(rows)

    def close(self) -> None:
        """Stop the background thread and write what is left (idempotent)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self.flush()

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="steelsage-audit", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            with self._lock:
                closed = self._closed
            try:
                self.flush()
            except Exception:  # never let the writer thread die silently
                log.exception("audit flush failed")
            if closed:
                return
